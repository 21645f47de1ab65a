"""Writing export files all-or-nothing: a temporary file next to the target, renamed over it only at the end.

A failed, interrupted or killed export therefore leaves yesterday's file as it was. SIGTERM and SIGHUP (a cron job
stopped, a terminal closed) are turned into KeyboardInterrupt while a file is being written, so the temporary file
is removed like on Ctrl-C; only SIGKILL leaves one behind, and the next export to the same target removes it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from portalctl.errors import PortalError
from portalctl.i18n import _

SUFFIX = ".partial"


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwind (and clean up) the way Ctrl-C does."""


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signal.Signals(signum).name)


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise Terminated (only possible in the main thread)."""
    previous: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            previous[signum] = signal.signal(signum, _raise_terminated)
        except ValueError:  # not the main thread: keep the default behaviour
            break
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(target: Path) -> None:
    """Remove temporary files a killed export to `target` left behind (their process is gone)."""
    prefix = f".{target.name}."
    try:
        names = list(target.parent.iterdir())  # not glob(): the name may hold [, ] or *
    except OSError:  # no such directory: creating the temporary file says so
        return
    for stale in names:
        if not (stale.name.startswith(prefix) and stale.name.endswith(SUFFIX)):
            continue
        pid = stale.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)


def _file_mode(target: Path) -> int:
    """Keep an existing file's permissions; a new one gets what the umask allows (not mkstemp's 0600)."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_paths(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """Temporary paths beside each target; on success each is fsynced and renamed over its target.

    On any exception (KeyboardInterrupt and Terminated included) the temporary files are removed and the targets
    are left untouched.
    """
    temps: list[Path] = []
    try:
        with signals_interrupt():
            for target in targets:
                if target.is_dir():
                    raise PortalError(_("{target} is a directory").format(
                        target=target), hint=_("pass a file name, e.g. tickets.csv"))
                sweep_stale(target)
                try:
                    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.",
                                                suffix=SUFFIX)
                except FileNotFoundError as exc:
                    raise PortalError(_("no directory {parent}").format(
                        parent=target.parent), hint=_("create it first, or pass another -o")) \
                        from exc
                except OSError as exc:
                    raise PortalError(_("cannot write in {parent}: {value}").format(
                        parent=target.parent, value=exc.strerror or exc),
                                      hint=_("pass -o with a directory you can write to")) from exc
                os.close(fd)
                temps.append(Path(name))
            yield temps
            for temp, target in zip(temps, targets, strict=True):
                os.chmod(temp, _file_mode(target))
                with open(temp, "rb") as written:
                    os.fsync(written.fileno())
                os.replace(temp, target)
    except BaseException:
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise
