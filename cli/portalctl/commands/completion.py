"""`portalctl completion`: the shell completion script, from click's own generator."""

from __future__ import annotations

import click

from portalctl.commands.context import app

SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL.

    \b
    Examples:
      portalctl completion bash > ~/.local/share/bash-completion/completions/portalctl
      portalctl completion zsh > "${fpath[1]}/_portalctl"
      portalctl completion fish > ~/.config/fish/completions/portalctl.fish
    """
    from click.shell_completion import get_completion_class

    from portalctl.cli import root

    cls = get_completion_class(shell)
    assert cls is not None  # every name in SHELLS is one click knows
    app().io.echo(cls(root, {}, "portalctl", "_PORTALCTL_COMPLETE").source())
