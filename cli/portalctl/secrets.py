"""Tokens and passwords: the OS keyring where one works, else a 0600 file. Never printed, never logged."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from portalctl.config import config_dir, state_dir
from portalctl.i18n import _
from portalctl.private import repair

SERVICE = "portalctl"


def _keyring_usable() -> bool:
    if os.environ.get("PORTALCTL_KEYRING", "").lower() in ("0", "no", "false", "off"):
        return False
    try:
        import keyring
        from keyring.backends.fail import Keyring as FailKeyring
    except ImportError:
        return False
    backend = keyring.get_keyring()
    return not isinstance(backend, FailKeyring) and getattr(backend, "priority", 0) > 0


class SecretStore:
    """Secrets per profile; `where()` says where they live so `auth status` can tell the user."""

    def __init__(self, path: Path | None = None, *, use_keyring: bool | None = None) -> None:
        self.path = path or config_dir() / "credentials.json"
        self.use_keyring = _keyring_usable() if use_keyring is None else use_keyring

    def where(self) -> str:
        return _("the system keyring") if self.use_keyring else str(self.path)

    def set(self, profile: str, secret: str) -> None:
        if self.use_keyring:
            import keyring

            keyring.set_password(SERVICE, profile, secret)
            return
        data = self._read()
        data[profile] = secret
        self._write(data)

    def get(self, profile: str) -> str | None:
        """The secret to use: PORTALCTL_TOKEN (CI) wins over what is stored."""
        return os.environ.get("PORTALCTL_TOKEN") or self.stored(profile)

    def stored(self, profile: str) -> str | None:
        if self.use_keyring:
            import keyring

            return keyring.get_password(SERVICE, profile)
        return self._read().get(profile)

    def delete(self, profile: str) -> None:
        if self.use_keyring:
            import keyring
            from keyring.errors import PasswordDeleteError

            with contextlib.suppress(PasswordDeleteError):
                keyring.delete_password(SERVICE, profile)
            return
        data = self._read()
        if data.pop(profile, None) is not None:
            self._write(data)

    def _read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        state_dir(self.path.parent, create=False)
        repair(self.path)
        return dict(json.loads(self.path.read_text(encoding="utf-8")))

    def _write(self, data: dict[str, str]) -> None:
        state_dir(self.path.parent)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)
