"""Private files: what portalctl keeps (the portal file with its WAL and SHM, attachments, config, credentials) is
readable by its user alone, whatever the umask.

Directories portalctl makes are 0700 and files 0600 from the moment they exist. Ones found open to other users
(made by an older portalctl, or by hand) are repaired when opened: group and other permissions are removed, the
owner's kept, and a warning says so on stderr. Files the user asked for (an export's final file, a download) keep
the umask's mode; those are not kept here.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from portalctl.i18n import _

DIR_MODE = 0o700
FILE_MODE = 0o600
OPEN_TO_OTHERS = 0o077

_warn: Callable[[str], None] | None = None


def warn_to(stream: IO[str] | None) -> None:
    """Where repair warnings go (the CLI's stderr); None: the process's stderr."""
    global _warn
    _warn = None if stream is None else (lambda text: print(_("warning: {text}").format(text=text), file=stream))


def warn(text: str) -> None:
    if _warn is not None:
        _warn(text)
    else:
        print("portalctl: " + _("warning: {text}").format(text=text), file=sys.stderr)


def make_dirs(path: Path) -> Path:
    """`mkdir -p` whose every new directory is 0700 (the umask can only narrow that); existing ones are kept."""
    missing = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
    return path


def private_dir(path: Path) -> Path:
    """portalctl's own directory: made 0700 if missing, repaired if open to others."""
    make_dirs(path)
    repair(path)
    return path


def create_file(path: Path) -> bool:
    """Create an empty 0600 file at `path` unless one is there; True when it was made."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def repair(path: Path) -> None:
    """Remove group and other permissions from a file or directory portalctl keeps, saying so; a missing path, or
    one that belongs to another user, is left alone."""
    try:
        found = path.stat()
    except OSError:
        return
    mode = stat.S_IMODE(found.st_mode)
    if not mode & OPEN_TO_OTHERS or found.st_uid != os.geteuid():
        return
    private = mode & ~OPEN_TO_OTHERS
    try:
        os.chmod(path, private)
    except OSError as exc:
        if exc.errno != errno.EROFS:  # a read-only mount: nobody can change it, nor the portal in it
            warn(_("{path} can be read by other users ({mode:04o}) and could not be made private: {strerror}").format(
                path=path, mode=mode, strerror=exc.strerror))
        return
    warn(_("{path} could be read by other users ({mode:04o}); it is now {private:04o}").format(
        path=path, mode=mode, private=private))
