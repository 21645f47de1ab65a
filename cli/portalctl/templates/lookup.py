"""Where templates are found: by path, else by name in ./.portalctl/templates/ and then the user config directory.

It also holds `render_ticket`, the one call that finds, checks and renders a template by reference, as
`tickets create --template` and `templates render` do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from portalctl.config import config_dir
from portalctl.errors import NotFound
from portalctl.i18n import _
from portalctl.templates.loading import load_template
from portalctl.templates.reading import SUFFIXES
from portalctl.templates.rendered import RenderedTicket
from portalctl.templates.variables import gather_variables


def template_dirs() -> list[Path]:
    """Where names are looked up, first match wins: the project's, then the user's."""
    return [Path.cwd() / ".portalctl" / "templates", config_dir() / "templates"]


def available() -> dict[str, Path]:
    """Every template name that resolves, with the file it resolves to."""
    found: dict[str, Path] = {}
    for folder in template_dirs():
        if folder.is_dir():
            for path in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()):
                found.setdefault(path.stem, path)
    return dict(sorted(found.items()))


def find_template(ref: str) -> Path:
    """NAME or PATH to a template file. A ref with a slash or a .yaml/.yml ending is a path; else a name."""
    if "/" in ref or os.sep in ref or ref.endswith(SUFFIXES):
        path = Path(ref).expanduser()
        if path.is_file():
            return path
        raise NotFound(_("no template file {ref}").format(ref=ref), hint=_("check the path, or give a template name"))
    for folder in template_dirs():
        for suffix in SUFFIXES:
            if (folder / f"{ref}{suffix}").is_file():
                return folder / f"{ref}{suffix}"
    names = ", ".join(available()) or "none"
    raise NotFound(_("no template named {ref!r} (looked in {value})").format(
        ref=ref, value=' and '.join(str(d) for d in template_dirs())),
                   hint=_("templates found: {names}; or pass a path to a .yaml file").format(names=names))


def render_ticket(
    ref: str, *, cli_vars: Mapping[str, str] | None = None, vars_files: Sequence[str] = ()
) -> RenderedTicket:
    """Find, check and render a template in one call: what `tickets create --template` and `templates render` do."""
    return load_template(find_template(ref)).render(gather_variables(cli_vars, vars_files))
