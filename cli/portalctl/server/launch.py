"""How `portalctl serve` starts the app in one process or several: settings handed to workers through the
environment, the factory each worker calls, and the server's logging (plain lines or JSON).

Workers are uvicorn's: a supervisor process that binds the port, starts N worker processes (spawned, so each
builds its own app by calling `from_environment`), replaces one that dies and, on SIGTERM, stops them all
gracefully. They share the one database: a SQLite file in WAL mode, or PostgreSQL; what must hold across workers
(sign-in throttling, idempotency keys, tokens) lives there.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from portalctl.server.deps import AUTO_CLOSE_EVERY, MAIL_RETRY_FIRST, NOTIFY_BATCH, OUTBOX_EVERY

ENV = "_PORTALCTL_SERVE_APP"  # not PORTALCTL_*: not a setting a person sets
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class AppSettings:
    db: str  # a file path or a postgresql:// URL
    public_url: str
    smtp_url: str | None = None
    blob_dir: str | None = None
    auto_close_every: float = AUTO_CLOSE_EVERY
    log_format: str = "text"
    metrics_dir: str | None = None  # Prometheus multiprocess directory; None: no /metrics
    idempotency_stale_after: float | None = None  # None: the server's default
    outbox_every: float = OUTBOX_EVERY
    mail_retry_first: float = MAIL_RETRY_FIRST
    notify_batch: float = NOTIFY_BATCH


def run(settings: AppSettings, *, host: str, port: int, workers: int, trusted_proxies: Sequence[str] = ()) -> None:
    """Serve until SIGTERM or Ctrl-C: the app in this process for one worker, else under uvicorn's supervisor."""
    import uvicorn

    os.environ[ENV] = json.dumps(asdict(settings))
    if settings.metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = settings.metrics_dir  # read by prometheus_client in each worker
    supervisor = logging.getLogger("uvicorn.error")  # a worker died and was replaced; the supervisor stops
    if workers > 1:
        supervisor.addHandler(log_handler(sys.stderr, settings.log_format))
        supervisor.setLevel(logging.INFO)
        supervisor.propagate = False
    try:
        # X-Forwarded-For is believed only from the proxies named: otherwise a client could pick its own address
        # and slip past the per-address sign-in throttle.
        uvicorn.run("portalctl.server.launch:from_environment", factory=True, host=host, port=port,
                    workers=workers, log_config=None, log_level=None, access_log=False, timeout_graceful_shutdown=20,
                    proxy_headers=bool(trusted_proxies), forwarded_allow_ips=list(trusted_proxies) or None)
    finally:
        if settings.metrics_dir:  # the numbers of a server that stopped: the next start counts from zero
            shutil.rmtree(settings.metrics_dir, ignore_errors=True)


def from_environment() -> Any:
    """The app, built in each worker from the settings `run` left in the environment."""
    from portalctl.server.app import create_app

    settings = AppSettings(**json.loads(os.environ[ENV]))
    configure_logging(sys.stderr, settings.log_format)
    db: Path | str = settings.db if "://" in settings.db else Path(settings.db)
    return create_app(db, public_url=settings.public_url, smtp_url=settings.smtp_url,
                      blob_dir=Path(settings.blob_dir) if settings.blob_dir else None,
                      auto_close_every=settings.auto_close_every, metrics_dir=settings.metrics_dir,
                      outbox_every=settings.outbox_every, mail_retry_first=settings.mail_retry_first,
                      notify_batch=settings.notify_batch,
                      **({"idempotency_stale_after": settings.idempotency_stale_after}
                         if settings.idempotency_stale_after is not None else {}))


def configure_logging(stream: IO[str], log_format: str = "text") -> None:
    """The access log and server warnings on stderr, once per process."""
    server_log = logging.getLogger("portalctl.server")
    if server_log.handlers:
        return
    # What the log lines never show, not worked out for each (the logging HOWTO's "Optimization")
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    server_log.addHandler(log_handler(stream, log_format))
    server_log.setLevel(logging.INFO)
    server_log.propagate = False


def log_handler(stream: IO[str], log_format: str) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else
                         logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
    return handler


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors: time, level, logger, message, and an access line's fields
    (server/accesslog.py puts them in `fields`; no headers, so never a token)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "pid": record.process,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
