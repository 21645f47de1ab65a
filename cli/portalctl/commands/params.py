"""Option types shared by commands: times people type, KEY=VALUE pairs, body text from a flag or a file."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any

import click

from portalctl.commands.context import app
from portalctl.i18n import _
from portalctl.times import iso

RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SPAN = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd]?)$")
SPAN_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class When(click.ParamType):  # type: ignore[type-arg]
    """A moment: YYYY-MM-DD, an ISO date-time, or a span back from now (the I/O object's clock). Gives ISO UTC.

    `ahead=True`: a span counts forward from now instead (a notice that ends in 2h)."""

    name = "WHEN"

    def __init__(self, *, ahead: bool = False) -> None:
        self.ahead = ahead

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        match = RELATIVE.match(text)
        try:
            if match:
                span = timedelta(**{UNITS[match[2]]: int(match[1])})
                moment = app(ctx).io.now() + (span if self.ahead else -span)
            elif len(text) == 10:
                moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
        except ValueError:
            self.fail(_("{text!r} is not a date (YYYY-MM-DD), a date-time or a span like 7d").format(
                text=text), param, ctx)
        return iso(moment)


class Duration(click.ParamType):  # type: ignore[type-arg]
    """A span of time: 90s, 10m, 2h, 1d (or plain seconds). Gives seconds."""

    name = "DURATION"

    def __init__(self, minimum: float = 0.0) -> None:
        self.minimum = minimum  # seconds; shorter spans are refused (exit 2)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            seconds = value
        else:
            match = SPAN.match(str(value).strip().lower())
            if not match:
                self.fail(_("{value!r} is not a duration such as 90s, 10m or 2h").format(value=value), param, ctx)
            seconds = float(match[1]) * SPAN_SECONDS[match[2]]
        if seconds < self.minimum:
            self.fail(_("{value!r} is shorter than the minimum of {minimum:g} s").format(
                value=value, minimum=self.minimum), param, ctx)
        return seconds


def key_values(pairs: tuple[str, ...], flag: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(_("{pair!r} is not KEY=VALUE").format(pair=pair), param_hint=flag)
        result[key.strip()] = value
    return result


def body_text(body: str | None, body_file: IO[str] | None) -> str | None:
    """--body or --body-file (- for stdin), never both."""
    if body is not None and body_file is not None:
        raise click.UsageError(_("pass --body or --body-file, not both"))
    if body_file is not None:
        try:
            return body_file.read()
        except UnicodeDecodeError as exc:
            name = getattr(body_file, "name", "-")
            raise click.BadParameter(_("{name} is not UTF-8 text (it has the byte {byte:#04x})").format(
                name=name, byte=exc.object[exc.start]),
                                     param_hint="--body-file") from exc
    return body


def body_options(function: Any) -> Any:
    function = click.option(
        "--body-file", type=click.File("r", encoding="utf-8"), metavar="FILE",
        help="Read the text from FILE (- for stdin).",
    )(function)
    function = click.option("--body", help="The text (Markdown).")(function)
    return function
