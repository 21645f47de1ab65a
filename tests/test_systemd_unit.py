"""examples/systemd/portalctl.service: systemd itself accepts it, and it keeps its hardening."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "examples" / "systemd" / "portalctl.service"


def options(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_runs_serve_hardened() -> None:
    unit = options(UNIT.read_text())
    assert " serve " in unit["ExecStart"][0] and "--log-format json" in unit["ExecStart"][0]
    for key, value in (("ProtectSystem", "strict"), ("NoNewPrivileges", "true"), ("PrivateTmp", "true"),
                       ("ProtectHome", "true"), ("KillSignal", "SIGTERM"), ("CapabilityBoundingSet", "")):
        assert unit[key] == [value], key
    assert unit["StateDirectory"] == ["portalctl"]  # the one place it may write under ProtectSystem=strict
    assert "/var/lib/portalctl" in unit["ExecStart"][0]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    """verify checks the options and that ExecStart's program exists: point it at this interpreter's portalctl."""
    portalctl = Path(sys.executable).parent / "portalctl"
    if not portalctl.exists():
        pytest.skip("no portalctl console script beside this interpreter")
    copy = tmp_path / "portalctl.service"
    copy.write_text(UNIT.read_text().replace("/opt/portalctl/bin/portalctl", str(portalctl)))
    checked = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert "portalctl.service" not in checked.stderr, checked.stderr  # no warning about the unit
