"""Progress a person sees on a terminal and a pipe never does: an export's bar with count, total and ETA, and
`tickets wait`'s state and time elapsed."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from click.testing import Result

from portalctl.contract import TicketDraft
from portalctl.engine.portal import Portal
from portalctl.iostreams import IOStreams
from portalctl.output.progress import Progress, Waiting
from tests.conftest import ADMIN, ANA

Cli = Callable[..., Result]


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_the_bar_shows_count_total_and_eta() -> None:
    clock, stream = Clock(), io.StringIO()
    meter = Progress("tickets", stream, total=4000, now=clock)
    clock.t += 10  # 1,000 of 4,000 in 10 s: 30 s to go
    assert meter.line(1000, clock.t) == "  [######------------------] 1,000/4,000 tickets  25%  ETA 0:30"
    meter.tick(1000)
    assert "1,000/4,000" in stream.getvalue()
    meter.done()
    assert stream.getvalue().endswith("\r\033[K")  # the line is cleared for what follows


def test_without_a_total_the_count_runs_alone() -> None:
    assert Progress("tickets", io.StringIO()).line(400, 0) == "  400 tickets exported…"


def test_waiting_shows_state_and_time_elapsed_each_second() -> None:
    clock, stream = Clock(), io.StringIO()
    waiting = Waiting("waiting for #7 to be resolved", stream, now=clock, sleep=clock.sleep)
    clock.t += 62
    waiting.sleep(3, "pending")
    shown = stream.getvalue()
    assert shown.count("\r") == 3
    assert "waiting for #7 to be resolved: pending · 1:04 elapsed" in shown


def test_nobody_watching_one_sleep_and_nothing_drawn() -> None:
    clock, slept = Clock(), []
    Waiting("w", None, now=clock, sleep=slept.append).sleep(30, "open")
    assert slept == [30]


@pytest.fixture
def many(portal: Portal) -> int:
    tickets = portal.session(ANA).tickets
    for n in range(450):
        tickets.create(TicketDraft(subject=f"Pedido {n}", body="x"))
    return 450


def test_export_on_a_terminal_draws_a_bar_with_the_total(cli: Cli, many: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    terminal = IOStreams.fake(tty=True)
    result = cli("export", "tickets", "-o", str(tmp_path / "all.csv"), user=ADMIN, io=terminal)
    assert result.exit_code == 0, terminal.err.getvalue()
    shown = terminal.err.getvalue()
    assert "/450 tickets" in shown and "ETA " in shown and "[" in shown


def test_export_to_a_pipe_shows_no_progress(cli: Cli, many: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pipe = IOStreams.fake()
    result = cli("export", "tickets", "-o", str(tmp_path / "all.csv"), user=ADMIN, io=pipe)
    assert result.exit_code == 0
    assert "\r" not in pipe.err.getvalue() and "ETA" not in pipe.err.getvalue()


def test_tickets_wait_on_a_terminal_shows_the_state_and_elapsed_time(cli: Cli, portal: Portal) -> None:
    made = portal.session(ANA).tickets.create(TicketDraft(subject="VPN", body="x"))
    terminal = IOStreams.fake(tty=True)
    wait = ("tickets", "wait", str(made.id), "--until", "resolved", "--interval", "1s")
    result = cli(*wait, "--timeout", "2s", user=ANA, io=terminal)
    assert result.exit_code == 7, terminal.err.getvalue() + result.output
    assert f"waiting for #{made.id} to be resolved: new · 0:0" in terminal.err.getvalue()
    piped = IOStreams.fake()
    cli(*wait, "--timeout", "1s", user=ANA, io=piped)
    assert "elapsed" not in piped.err.getvalue() and "\r" not in piped.err.getvalue()
