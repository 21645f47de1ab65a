"""`portalctl templates`: list, show, validate and render ticket templates (the format is in portalctl.templates).

portalctl.templates (and yaml with it) loads inside each command, so `tickets` can share `variable_options`
without paying for them on every run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from portalctl.commands import complete
from portalctl.commands.context import Output, app, message, output_options
from portalctl.commands.params import key_values
from portalctl.errors import InvalidInput, PortalError
from portalctl.i18n import _

F = TypeVar("F", bound=Callable[..., Any])
LIST_COLUMNS = ("name", "source", "description")


def variable_options(function: F) -> F:
    """--var NAME=VALUE and --vars-file FILE, shared with `tickets create --template`."""
    function = click.option(
        "--vars-file", "vars_files", multiple=True, metavar="FILE",
        type=click.Path(exists=True, dir_okay=False, allow_dash=True),
        help="Variables from a YAML mapping or a .env file (- for stdin; repeatable, later files win).",
    )(function)
    function = click.option(
        "--var", "var_pairs", multiple=True, metavar="NAME=VALUE",
        help="A template variable (repeatable); beats --vars-file and the environment.",
    )(function)
    return function


@click.group()
def templates() -> None:
    """List, show, validate and render ticket templates.

    A template is a YAML file that describes a ticket (subject, body, priority, department, fields, attachments,
    a de-duplication key) with ${NAME} or ${NAME:-default} variables. A NAME is looked up in
    ./.portalctl/templates/ and then in the user config directory; anything with a slash or a .yaml ending is a
    path.

    \b
    Examples:
      portalctl templates list
      portalctl templates render ci-build-failure --var CI_PIPELINE_ID=311
      portalctl tickets create --template ci-build-failure --var CI_PIPELINE_ID=311
    """


@templates.command("list")
@output_options(LIST_COLUMNS)
def list_(output: Output) -> None:
    """List templates by name.

    A name in ./.portalctl/templates/ hides the same name in your config directory.

    \b
    Examples:
      portalctl templates list
      portalctl templates list -o json | jq -r '.[].path'
    """
    from portalctl.templates.lookup import available, template_dirs

    count = output.many(record(name, path) for name, path in available().items())
    if count == 0 and output.fmt == "table":
        message(_("No templates. Add NAME.yaml to {value}.").format(
            value=' or '.join(str(d) for d in template_dirs())))


def record(name: str, path: Path) -> dict[str, str | None]:
    from portalctl.templates.loading import load_template

    try:
        description = load_template(path).description
    except InvalidInput:
        description = _("(invalid: run 'portalctl templates validate {name}')").format(name=name)
    return {"name": name, "source": str(path.parent), "path": str(path), "description": description}


@templates.command()
@click.argument("ref", metavar="NAME|PATH", shell_complete=complete.shell(complete.templates))
def show(ref: str) -> None:
    """Print a template's file as it is written, then (on stderr) the variables it reads from the environment.

    \b
    Examples:
      portalctl templates show ci-build-failure
      portalctl templates show ci-build-failure > .portalctl/templates/nightly.yaml
    """
    from portalctl.templates.loading import load_template
    from portalctl.templates.lookup import find_template
    from portalctl.templates.reading import read_text

    path = find_template(ref)
    app().io.echo(read_text(path, path), nl=False)
    try:
        declared = load_template(path).variables
    except PortalError as exc:
        message(_("warning: {message}").format(message=exc.message))
        return
    if declared:
        message("\n" + _("Variables (from --var, --vars-file or the environment):"))
    for variable in declared:
        default = " " + _("(default: {value})").format(value=variable.default) if variable.default is not None else ""
        message(f"  {variable.name}{default}" + (f": {variable.description}" if variable.description else ""))


@templates.command()
@click.argument("refs", nargs=-1, metavar="[NAME|PATH]...", shell_complete=complete.shell(complete.templates))
@variable_options
@click.option("--strict", is_flag=True, help="Render fully: a variable with no value is an error, not a warning.")
def validate(refs: tuple[str, ...], var_pairs: tuple[str, ...], vars_files: tuple[str, ...], strict: bool) -> None:
    """Check templates, stopping at the first error (named by file, line and key).

    Without arguments, every template found by name is checked. Variables are not needed: one with no value and
    no default is a warning, unless --strict, which also checks that files to attach exist and that choices
    (priority, type) hold once the variables are filled in.

    \b
    Examples:
      portalctl templates validate
      portalctl templates validate examples/templates/*.yaml
      portalctl templates validate hosting-outage --strict --var SERVICE=www.example.com
    """
    from portalctl.templates.loading import load_template
    from portalctl.templates.lookup import available, find_template
    from portalctl.templates.variables import gather_variables

    paths = [find_template(ref) for ref in refs] if refs else list(available().values())
    if not paths:
        raise click.UsageError(_("no templates found; pass NAME or PATH"))
    variables = gather_variables(key_values(var_pairs, "--var"), vars_files)
    for path in paths:
        template = load_template(path)
        if strict:
            template.render(variables)
        else:
            for warning in template.missing(variables):
                message(_("warning: {warning}").format(warning=warning))
        message(_("{path}: ok").format(path=path))


@templates.command()
@click.argument("ref", metavar="NAME|PATH", shell_complete=complete.shell(complete.templates))
@variable_options
@click.option("-o", "--output", "fmt", type=click.Choice(("yaml", "json")), default="yaml", show_default=True,
              help="Output format.")
def render(ref: str, var_pairs: tuple[str, ...], vars_files: tuple[str, ...], fmt: str) -> None:
    """Print the ticket a template describes; nothing is sent.

    Variables are filled in as `tickets create --template` would fill them.

    \b
    Examples:
      portalctl templates render import-form-change --var VAI_USER_CODE=0042 --var FORMS=5412
      CI_PIPELINE_ID=311 portalctl templates render ci-build-failure -o json
      portalctl templates render hosting-outage --vars-file service.env
    """
    from portalctl.templates.lookup import render_ticket

    ticket = render_ticket(ref, cli_vars=key_values(var_pairs, "--var"), vars_files=vars_files)
    if fmt == "json":
        app().io.echo(json.dumps(ticket.to_dict(), indent=2, ensure_ascii=False))
    else:
        app().io.echo(ticket.to_yaml(), nl=False)
