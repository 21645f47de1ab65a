"""Writing a body in the user's editor, as git writes a commit message: `$VISUAL`, then `$EDITOR`.

On a terminal, `tickets create` and `tickets reply` without --body open the editor on a template whose `#` lines
explain what to write; those lines are stripped, and an empty text sends nothing (exit 2), as an empty commit
message aborts a commit. Without a terminal the flag stays required, as before.
"""

from __future__ import annotations

import click

from portalctl.commands.context import AppContext
from portalctl.i18n import N_, _

TEMPLATE = N_("""

# Write {what} above this line. Markdown is fine; several lines are fine.
# Lines starting with '#' are removed. An empty text sends nothing.
{context}""")


def strip_comments(text: str) -> str:
    """The text without its `#` instruction lines and surrounding blank lines."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


def compose(ctx: AppContext, value: str | None, flag: str, what: str, context: str = "") -> str:
    """`value` if given; on a terminal, what the user writes in their editor; else an error naming `flag`."""
    if value not in (None, ""):
        return str(value)
    if not ctx.interactive:
        raise click.UsageError(_("missing {flag} (no editor without a terminal)").format(flag=flag))
    notes = "".join(f"# {line}\n" if line else "#\n" for line in context.splitlines())
    written = click.edit(_(TEMPLATE).format(what=what, context=notes), extension=".md", require_save=False)
    text = strip_comments(written or "")
    if not text:
        raise click.UsageError(_("{what} is empty: nothing was sent").format(what=what))
    return text
