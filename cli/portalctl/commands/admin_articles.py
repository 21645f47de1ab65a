"""`portalctl admin articles`: write the knowledge base (agents and admins)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click

from portalctl.commands.articles import LIST_COLUMNS
from portalctl.commands.context import POSITIVE, Output, app, message, output_options, report
from portalctl.commands.params import body_options, body_text
from portalctl.i18n import _, ngettext

label_option = click.option("--label", "labels", multiple=True, help="A label (repeatable).")


@click.group()
def articles() -> None:
    """Write the knowledge base: add, edit, or import a folder of Markdown files (agents and admins).

    \b
    Examples:
      portalctl admin articles add --collection Colombia --folder Hosting --title "Renovar el dominio" \\
          --body-file renovar.md --locale es --label dominios
      portalctl admin articles import ./kb
    """


@articles.command()
@click.option("--collection", metavar="NAME", help="Collection (e.g. a country); made if missing.")
@click.option("--folder", metavar="NAME", help="Folder in the collection (e.g. a product); made if missing.")
@click.option("--title")
@body_options
@click.option("--locale", default="en", show_default=True, help="Language of the text, e.g. es or es-CO.")
@label_option
@output_options(LIST_COLUMNS)
def add(collection: str | None, folder: str | None, title: str | None, body: str | None, body_file: IO[str] | None,
        locale: str, labels: tuple[str, ...], output: Output) -> None:
    """Add an article. Missing values are prompted for on a terminal; elsewhere the command names the flag.

    \b
    Examples:
      portalctl admin articles add --collection México --folder "Facturación electrónica" \\
          --title "Cancelar un CFDI" --body-file cancelar.md --locale es --label cfdi
      cat faq.md | portalctl admin articles add --collection International --folder Hosting \\
          --title "Hosting FAQ" --body-file -
    """
    ctx = app()
    article = ctx.client.articles.add(
        collection=ctx.require(collection, "--collection", _("Collection")),
        folder=ctx.require(folder, "--folder", _("Folder")),
        title=ctx.require(title, "--title", _("Title")),
        body=ctx.require(body_text(body, body_file), "--body or --body-file", _("Text (Markdown)")),
        locale=locale, labels=labels,
    )
    message(_("Added article #{id}: {title} ({collection} > {folder})").format(
        id=article.id, title=article.title, collection=article.collection, folder=article.folder))
    report(output, article)


@articles.command()
@click.argument("article_id", type=POSITIVE, metavar="ID")
@click.option("--collection", metavar="NAME", help="Move it to this collection (same folder name).")
@click.option("--folder", metavar="NAME", help="Move it to this folder.")
@click.option("--title")
@body_options
@click.option("--locale", help="Language of the text, e.g. es or es-CO.")
@click.option("--label", "labels", multiple=True, help="A label (repeatable; replaces the article's labels).")
@output_options(LIST_COLUMNS)
def edit(article_id: int, collection: str | None, folder: str | None, title: str | None, body: str | None,
         body_file: IO[str] | None, locale: str | None, labels: tuple[str, ...], output: Output) -> None:
    """Change an article; what you do not pass stays as it is. Its updated time moves.

    \b
    Examples:
      portalctl admin articles edit 3 --title "Renovar un dominio .co"
      portalctl admin articles edit 3 --body-file renovar.md --label dominios --label renovacion
    """
    changes = {
        "collection": collection, "folder": folder, "title": title, "body": body_text(body, body_file),
        "locale": locale, "labels": list(labels) or None,
    }
    if all(value is None for value in changes.values()):
        raise click.UsageError(_("pass at least one of --collection, --folder, --title, --body, --locale, --label"))
    article = app().client.articles.edit(article_id, **changes)
    message(_("Updated article #{id}: {title}").format(id=article.id, title=article.title))
    report(output, article)


@articles.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR")
@output_options(LIST_COLUMNS)
def import_(directory: Path, output: Output) -> None:
    """Import a folder of Markdown files as articles; running it again updates the same articles.

    Each *.md file starts with a YAML block: title, collection and folder are required; locale, labels and slug
    (default: the file name) are optional. Every file is checked before anything is written.

    \b
    ---
    title: Cómo emitir una factura electrónica
    collection: Colombia
    folder: Facturación electrónica
    locale: es
    labels: [factura, DIAN]
    ---
    # Cómo emitir una factura electrónica
    ...

    \b
    Example:
      portalctl admin articles import ./kb -o json
    """
    from portalctl.kbimport import read_articles

    drafts = read_articles(directory)
    api = app().client.articles
    known = {article.id for article in api.list()}
    saved = [api.add(**draft) for draft in drafts]
    created = sum(article.id not in known for article in saved)
    message(ngettext("Imported {count} article from {directory}: {created} created, {kept} already there "
                     "(updated where the file changed).",
                     "Imported {count} articles from {directory}: {created} created, {kept} already there "
                     "(updated where the file changed).", len(saved)).format(
                         count=len(saved), directory=directory, created=created, kept=len(saved) - created))
    output.many(saved)
