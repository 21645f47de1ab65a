"""Knowledge-base articles from a folder of Markdown files, each opening with a `---` YAML front-matter block.

Every file is read and checked before anything is written, so one bad file names itself and imports nothing.
The slug (default: the file name without .md) makes a re-import update the same articles instead of adding copies.
The front matter's keys are documented in 'portalctl admin articles import --help'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portalctl.errors import InvalidInput
from portalctl.i18n import N_, _

REQUIRED = ("title", "collection", "folder")
OPTIONAL = ("locale", "labels", "slug")
FORMAT_HINT = N_("start each file with a --- block holding title, collection and folder (locale, labels, slug "
                 "optional)")


def read_articles(directory: Path) -> list[dict[str, Any]]:
    """One dict per *.md file (sorted by name), keyed as `ArticlesAPI.add` takes them."""
    if not directory.is_dir():
        raise InvalidInput(_("{directory} is not a directory").format(directory=directory))
    files = sorted(directory.glob("*.md"))
    if not files:
        raise InvalidInput(_("no Markdown (*.md) files in {directory}").format(directory=directory))
    return [read_article(path) for path in files]


def read_article(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(_("{path}: cannot read it as UTF-8 text ({exc})").format(path=path, exc=exc)) from exc
    meta, body = split_front_matter(path, text)
    missing = [key for key in REQUIRED if not str(meta.get(key) or "").strip()]
    if missing:
        raise InvalidInput(_("{path}: the front matter has no {missing}").format(
            path=path, missing=', '.join(missing)), hint=_(FORMAT_HINT))
    unknown = sorted(set(meta) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise InvalidInput(_("{path}: unknown front-matter key {unknown}").format(
            path=path, unknown=", ".join(map(str, unknown))), hint=_(FORMAT_HINT))
    if not body.strip():
        raise InvalidInput(_("{path}: the article has no text after the front matter").format(path=path))
    labels = meta.get("labels") or []
    if isinstance(labels, str):
        labels = labels.split(",")
    if not isinstance(labels, list):
        raise InvalidInput(_("{path}: labels must be a list or comma-separated text").format(path=path))
    return {
        "collection": str(meta["collection"]).strip(),
        "folder": str(meta["folder"]).strip(),
        "title": str(meta["title"]).strip(),
        "body": body,
        "locale": str(meta.get("locale") or "en"),
        "labels": [str(label).strip() for label in labels if str(label).strip()],
        "slug": str(meta.get("slug") or path.stem),
    }


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    """(metadata, body). The block runs from a first line `---` to the next line `---` (or `...`)."""
    import yaml

    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise InvalidInput(_("{path}: no front matter (the first line must be ---)").format(
            path=path), hint=_(FORMAT_HINT))
    end = next((n for n, line in enumerate(lines[1:], start=1) if line.strip() in ("---", "...")), None)
    if end is None:
        raise InvalidInput(_("{path}: the front matter never ends (no closing --- line)").format(
            path=path), hint=_(FORMAT_HINT))
    try:
        meta = yaml.safe_load("".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 2}" if mark is not None else ""  # +1 for 0-based, +1 for the opening ---
        problem = getattr(exc, "problem", None) or exc
        raise InvalidInput(_("{path}{where}: bad front matter: {problem}").format(
            path=path, where=where, problem=problem), hint=_(FORMAT_HINT)) from exc
    if not isinstance(meta, dict):
        raise InvalidInput(_("{path}: the front matter must be key: value lines").format(path=path),
                           hint=_(FORMAT_HINT))
    return meta, "".join(lines[end + 1:]).lstrip("\n")
