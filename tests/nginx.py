"""examples/nginx/portalctl.conf run for real: nginx as a child process on a loopback port, proxying to local
`portalctl serve` processes that stand in for the hosts. Used by tests/server/test_nginx.py and
scripts/bench/load.py --proxy.

nginx runs in the foreground with its prefix, pid file, logs and temporary files in one folder, so it needs no
root and leaves nothing behind; the example is used as written but for the upstream's hosts and the listen port.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "nginx" / "portalctl.conf"
HOST_LINE = re.compile(r"^(\s*)server \S+:8080 (.*);$", re.MULTILINE)


def nginx_binary() -> str | None:
    """Debian installs nginx in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def nginx_config(listen: int, backends: list[str], folder: Path) -> str:
    """The example inside a minimal main configuration: its hosts replaced by `backends` (host:port), its
    listen port by `listen` on 127.0.0.1, temporary files under `folder`."""
    example = EXAMPLE.read_text()
    hosts = list(HOST_LINE.finditer(example))  # consecutive lines in the upstream block
    if not hosts or "listen 80;" not in example:
        raise ValueError(f"{EXAMPLE} no longer has 'server HOST:8080 ...;' lines and 'listen 80;'")
    indent, options = hosts[0][1], hosts[0][2]
    ours = "\n".join(f"{indent}server {backend} {options};" for backend in backends)
    example = example[:hosts[0].start()] + ours + example[hosts[-1].end():]
    example = example.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                               "uwsgi", "scgi"))
    # as root, nginx's workers would switch to nobody, who cannot write in a private test folder
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    return (f"{user}worker_processes 2;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n    access_log {folder / 'access.log'};\n{temp}\n{example}\n}}\n")


@dataclass
class Nginx:
    url: str
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """SIGQUIT: nginx's graceful shutdown."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


class NginxUnavailable(RuntimeError):
    """nginx is not installed or would not start here: the reason, for a skip."""


def start_nginx(binary: str, listen: int, backends: list[str], folder: Path) -> Nginx:
    """nginx in the foreground on 127.0.0.1:`listen`; returns once /healthz answers through it."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(nginx_config(listen, backends, folder))
    error_log = folder / "error.log"
    with (folder / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(conf), "-e", str(error_log),
             "-g", f"daemon off; pid {folder / 'nginx.pid'}; error_log {error_log} notice;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )
    proxy = Nginx(f"http://127.0.0.1:{listen}", folder, process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = (folder / "stderr.log").read_text(errors="replace").strip() or proxy.error_log
            raise NginxUnavailable(f"nginx exited with {process.returncode}: {said}")
        try:
            if requests.get(proxy.url + "/healthz", timeout=1).status_code == 200:
                return proxy
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    proxy.stop()
    raise NginxUnavailable(f"nginx did not answer /healthz within 20 s: {proxy.error_log}")
