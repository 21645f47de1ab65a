"""`portalctl serve`: run the portal server for a team (FastAPI on uvicorn; the `server` extra)."""

from __future__ import annotations

from pathlib import Path

import click

from portalctl.commands.context import message
from portalctl.i18n import _, ngettext


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface; put TLS in front of it).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option("--db", "db_path", metavar="FILE|URL",
              help="The portal file, created if missing, or a postgresql://user@host/db URL (the postgresql extra) "
                   "(default: env PORTALCTL_DB, else the data directory's portal.db).")
@click.option("--attachments", "blob_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Where attached files are kept (default: beside the portal file; with PostgreSQL, the data "
                   "directory's attachments: every server process of one portal must share it).")
@click.option("--admin-email", metavar="EMAIL",
              help="When the portal has no users yet: create this first admin and print a one-time password.")
@click.option("--public-url", metavar="URL",
              help="The address people reach the server at, for links in mail (env PORTALCTL_PUBLIC_URL; "
                   "default: http://HOST:PORT).")
@click.option("--workers", type=click.IntRange(1, 64), metavar="N",
              help="Server processes sharing the port and the database (default: the number of CPUs). A worker "
                   "that dies is replaced.")
@click.option("--metrics", is_flag=True,
              help="Serve Prometheus metrics at /metrics: requests by route and status, latency, database "
                   "connections in use (the prometheus-client package).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="The access log on stderr: plain lines, or one JSON object a line for a log collector.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDR",
              help="A reverse proxy whose X-Forwarded-For gives the client address (repeatable; an IP address or "
                   "network such as 10.0.0.0/8). Without one, the header is ignored.")
def serve(host: str, port: int, db_path: str | None, blob_dir: str | None, admin_email: str | None,
          public_url: str | None, workers: int | None, metrics: bool, log_format: str,
          trusted_proxies: tuple[str, ...]) -> None:
    """Run the portal server: the embedded portal behind a versioned HTTP API (/api/v1).

    The portal is a SQLite file by default; teams that run several server processes, or outgrow one file, give
    --db a PostgreSQL URL (tables are created on first start; the role needs CREATE on the database).

    The OpenAPI document is at /openapi.json. Mail (password-reset links, ticket notifications) goes through
    PORTALCTL_SMTP_URL (smtp://user:password@host:587?from=help@example.com) when it is set, else into an outbox
    admins read at /api/v1/admin/outbox; notifications are gathered and sent every 5 seconds
    (PORTALCTL_OUTBOX_SECONDS), at most one per person and ticket every 5 minutes
    (PORTALCTL_NOTIFY_BATCH_SECONDS), a failed delivery is tried again after 60 seconds, then doubling
    (PORTALCTL_MAIL_RETRY_SECONDS). Resolved tickets close when their grace period has passed: the server looks
    at start-up and every 10 minutes (PORTALCTL_AUTO_CLOSE_SECONDS). Failed sign-ins are slowed down per client address;
    behind a reverse proxy, name it with --trusted-proxy so the address comes from its X-Forwarded-For (from
    anyone else the header is ignored). Stop with Ctrl-C or SIGTERM; requests in flight finish first.

    \b
    Examples:
      portalctl serve --db /srv/portal/portal.db --admin-email lead@example.com
      portalctl serve --host 0.0.0.0 --port 8080 --public-url https://help.example.com
      portalctl serve --trusted-proxy 127.0.0.1      # behind nginx on this machine
      portalctl serve --db postgresql://portal@db.internal/portal --attachments /srv/portal/files
    """
    try:
        import uvicorn  # noqa: F401

        from portalctl.server import launch
    except ImportError as exc:
        raise click.ClickException(
            _("the server needs the server extra ({name} is missing): pip install 'portalctl[server]'").format(
                name=exc.name)
        ) from exc
    from portalctl.config import Settings, data_dir, default_db
    from portalctl.engine.db import safe_url
    from portalctl.engine.dialect import is_postgres
    from portalctl.server.deps import MAIL_RETRY_FIRST, NOTIFY_BATCH, OUTBOX_EVERY

    settings = Settings({"db": db_path, "public_url": public_url})
    location: Path | str = settings.get("db") or str(default_db())
    if is_postgres(location):
        blobs = Path(blob_dir or data_dir() / "attachments").expanduser().resolve()
        shown = safe_url(str(location))
    else:
        location = Path(location).expanduser().resolve()
        blobs = Path(blob_dir).expanduser().resolve() if blob_dir else location.parent / "attachments"
        shown = str(location)
    prepare(location, blobs, admin_email, shown)
    url = settings.get("public_url") or default_public_url(host, port)
    count = workers or usable_cpus()
    every = auto_close_seconds(settings.get("auto_close_seconds"))
    outbox_every = positive_seconds(settings.get("outbox_seconds"), "PORTALCTL_OUTBOX_SECONDS", OUTBOX_EVERY)
    retry_first = positive_seconds(settings.get("mail_retry_seconds"), "PORTALCTL_MAIL_RETRY_SECONDS",
                                   MAIL_RETRY_FIRST)
    batch = positive_seconds(settings.get("notify_batch_seconds"), "PORTALCTL_NOTIFY_BATCH_SECONDS", NOTIFY_BATCH)
    metrics_dir = metrics_folder() if metrics else None
    serving = ngettext("Serving the portal at {shown} on http://{host}:{port}/api/v1 with {count} worker (OpenAPI: "
                       "/openapi.json; health: /healthz, /readyz{metrics}).",
                       "Serving the portal at {shown} on http://{host}:{port}/api/v1 with {count} workers (OpenAPI: "
                       "/openapi.json; health: /healthz, /readyz{metrics}).", count)
    message(serving.format(shown=shown, host=host, port=port, count=count,
                           metrics="; metrics: /metrics" if metrics else ""))
    launch.run(launch.AppSettings(db=str(location), public_url=url, smtp_url=settings.get("smtp_url"),
                                  blob_dir=str(blobs), log_format=log_format, metrics_dir=metrics_dir,
                                  auto_close_every=every, outbox_every=outbox_every, mail_retry_first=retry_first,
                                  notify_batch=batch,
                                  idempotency_stale_after=stale_seconds(settings.get("idempotency_stale_seconds"))),
               host=host, port=port, workers=count, trusted_proxies=trusted_proxies)


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's or a taskset's share), not the machine's count."""
    import os

    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def metrics_folder() -> str:
    """A fresh folder for prometheus-client's per-worker files (its multiprocess mode): counts start at zero."""
    try:
        import prometheus_client  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(_("--metrics needs prometheus-client: pip install 'portalctl[server]'")) from exc
    import tempfile

    return tempfile.mkdtemp(prefix="portalctl-metrics-")


def auto_close_seconds(setting: str | float | None) -> float:
    """How often resolved tickets past their grace period are closed: PORTALCTL_AUTO_CLOSE_SECONDS, else 600."""
    from portalctl.server.deps import AUTO_CLOSE_EVERY

    return positive_seconds(setting, "PORTALCTL_AUTO_CLOSE_SECONDS", AUTO_CLOSE_EVERY)


def positive_seconds(setting: str | float | None, name: str, default: float) -> float:
    """A period from the environment: a number of seconds above 0, else a usage error naming the variable."""
    try:
        seconds = float(setting or default)
    except ValueError:
        seconds = 0
    if not seconds > 0:
        raise click.BadParameter(_("{name} must be a number of seconds above 0, not {setting!r}").format(
            name=name, setting=setting))
    return seconds


def stale_seconds(setting: str | float | None) -> float:
    """How long an Idempotency-Key claimed by an older portalctl that crashed mid-request blocks its retries:
    PORTALCTL_IDEMPOTENCY_STALE_SECONDS, else 600 (keys are now recorded with the work, so only such claims wait)."""
    from portalctl.server.deps import IDEMPOTENCY_STALE_AFTER

    try:
        seconds = float(setting if setting not in (None, "") else IDEMPOTENCY_STALE_AFTER)
    except ValueError:
        seconds = -1
    if not seconds >= 0:
        raise click.BadParameter(
            _("PORTALCTL_IDEMPOTENCY_STALE_SECONDS must be a number of seconds (0 or more), not {setting!r}").format(
                setting=setting))
    return seconds


def default_public_url(host: str, port: int) -> str:
    """http://HOST:PORT, naming this machine when listening on every interface; says so, since mail links use it."""
    import socket

    name = socket.getfqdn() if host in ("0.0.0.0", "::", "") else host
    url = f"http://{name}:{port}"
    if name not in ("127.0.0.1", "localhost", "::1"):
        message(_("Links in mail will point to {url}; pass --public-url if people reach the server elsewhere.").format(
            url=url))
    return url


def prepare(location: Path | str, blob_dir: Path, admin_email: str | None, shown: str) -> None:
    """Create the portal if missing; with no users, create the first admin or say how to."""
    from portalctl.engine.accounts import bootstrap_admin
    from portalctl.engine.portal import Portal

    portal = Portal(location, create=True, blob_dir=blob_dir)
    try:
        if not portal.is_empty():
            if admin_email:
                message(_("The portal already has users; --admin-email is ignored."))
            return
        if not admin_email:
            message(_("This portal has no users yet. Create the first admin with:\n"
                      "  portalctl serve --db {shown} --admin-email you@example.com").format(shown=shown))
            return
        email = admin_email.strip()
        bootstrap_admin(portal, email=email, name=email.split("@")[0])
        password = portal.session(email).accounts.reset_password(email)  # temporary: to be replaced at sign-in
        message(_("Created the first admin {email} with the one-time password: {password}\n"
                  "Sign in with it and choose a new password (POST /api/v1/auth/login with new_password).").format(
                      email=email, password=password))
    finally:
        portal.close()
