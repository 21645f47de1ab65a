"""`portalctl articles`: search, read, browse and rate the knowledge base."""

from __future__ import annotations

import click

from portalctl.commands import complete
from portalctl.commands.context import POSITIVE, Output, app, limit_options, message, output_options, paged, report
from portalctl.contract import RelatedArticlesAPI
from portalctl.i18n import _, ngettext
from portalctl.iostreams import IOStreams
from portalctl.model import Article, ArticleRefs, Collection
from portalctl.output.localformat import number
from portalctl.output.localtime import TimeView
from portalctl.safetext import cell, visible

SEARCH_COLUMNS = ("id", "title", "collection", "folder", "snippet")
LIST_COLUMNS = ("id", "title", "collection", "folder", "locale", "updated_at")
ONE_COLUMNS = ("id", "title", "helpful", "not_helpful")
COLLECTION_COLUMNS = ("id", "slug", "name", "folders")

article_id = click.argument("article_id", type=POSITIVE, metavar="ID", shell_complete=complete.shell(complete.articles))
collection_option = click.option("--collection", metavar="NAME", help="Only this collection (e.g. a country).")
folder_option = click.option("--folder", metavar="NAME", help="Only this folder (e.g. a product).")
locale_option = click.option("--locale", metavar="CODE", help="Only this language (es also finds es-CO).")


@click.group()
def articles() -> None:
    """Search, read, browse and rate the knowledge base.

    \b
    Examples:
      portalctl articles search "facturacion electronica"     # accents optional
      portalctl articles show 3
      portalctl articles collections
      portalctl articles rate 3 --helpful
    """


@articles.command()
@click.argument("words", nargs=-1, required=True, metavar="QUERY...")
@collection_option
@folder_option
@locale_option
@click.option("--limit", type=POSITIVE, default=10, show_default=True, help="At most this many.")
@output_options(SEARCH_COLUMNS)
def search(words: tuple[str, ...], collection: str | None, folder: str | None, locale: str | None, limit: int,
           output: Output) -> None:
    """Search articles, best match first, with a snippet around the words found ([like this]).

    Accents and case do not matter, nor word forms (contraseñas finds contraseña, invoices finds invoice), and a
    word also matches as a prefix (factur finds facturación). Articles with every word come first; when none has
    them all, articles with any of them are shown.

    \b
    Examples:
      portalctl articles search contrasena
      portalctl articles search factura electronica --collection colombia --locale es
      portalctl articles search hosting -o json | jq '.[0].id'
    """
    query = " ".join(words)
    client = app().client
    found = client.articles.search(query, collection=collection, folder=folder, locale=locale, limit=limit)
    output.many(found)
    if not found and output.fmt == "table":
        empty = not client.articles.collections()
        message(_("No articles match {query!r}; the knowledge base has no articles yet (staff add them with "
                  "'portalctl admin articles add' or 'import').").format(query=query) if empty
                else _("No articles match {query!r}.").format(query=query))


@articles.command()
@article_id
@click.option("--raw", is_flag=True, help="Print only the article's Markdown text.")
@click.option("--print", "printable", is_flag=True,
              help="A clean rendering to print: plain text, or a standalone HTML page with -o html.")
@output_options(LIST_COLUMNS, extra=("html",))
@paged
def show(article_id: int, raw: bool, printable: bool, output: Output) -> None:
    """Read an article: title, where it lives, when it changed, its votes, the text, then what to read next (the
    other articles of its folder, and related ones).

    On a terminal the Markdown is rendered; piped, it is printed as written. --raw prints only the Markdown;
    --print gives a clean rendering for paper (plain text, or HTML with -o html).

    \b
    Examples:
      portalctl articles show 3
      portalctl articles show 3 --raw > article.md
      portalctl articles show 3 --print -o html > article.html
      portalctl articles show 3 -o json
    """
    if output.fmt == "html" and not printable:
        raise click.UsageError(_("-o html goes with --print"))
    if raw and printable:
        raise click.UsageError(_("pass --raw or --print, not both"))
    client = app().client
    article = client.articles.get(article_id)
    if printable or raw:
        printed(article, raw=raw, html=output.fmt == "html", io=output.io)
        return
    output.one(article, table=show_article)
    if output.fmt == "table" and not output.columns_flag and isinstance(client.articles, RelatedArticlesAPI):
        show_related(client.articles.related(article_id), output.io)


def show_article(article: Article, io: IOStreams, times: TimeView) -> None:
    """The article as a person reads it; its text was written on a portal, so it is shown through safetext."""
    io.echo(io.style(cell(f"#{article.id} {article.title}"), bold=True))
    updated = times.when(article.updated_at) if article.updated_at else "-"
    io.echo(cell(f"{article.collection} > {article.folder} · {article.locale}") + " · "
            + _("updated {when}").format(when=updated))
    labels = " · " + cell(_("labels: {labels}").format(labels=", ".join(article.labels))) if article.labels else ""
    io.echo(_("Helpful: {helpful} · Not helpful: {not_helpful}").format(
        helpful=article.helpful, not_helpful=article.not_helpful) + labels)
    io.echo()
    body = visible((article.body or "").rstrip("\n"))
    if not io.out_tty:
        io.echo(body)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    Console(file=io.out, width=io.width, force_terminal=True, no_color=not io.color, highlight=False).print(
        Markdown(body))


def printed(article: Article, *, raw: bool, html: bool, io: IOStreams) -> None:
    """--raw and --print: a file gets the text as written; a terminal sees portal text made inert."""
    from portalctl.output.printable import article_html, article_text

    if raw:
        text = (article.body or "").rstrip("\n")
    else:
        text = (article_html(article) if html else article_text(article)).rstrip("\n")
    io.echo(visible(text) if io.out_tty else text)


def show_related(refs: ArticleRefs, io: IOStreams) -> None:
    """What to read next, ids and titles, under the article."""
    for heading, found in ((_("More in this folder"), refs.folder), (_("Related articles"), refs.related)):
        if found:
            io.echo()
            io.echo(io.style(heading, bold=True))
            for other in found:
                io.echo(cell(f"  #{other.id} {other.title}"))


@articles.command("list")
@collection_option
@folder_option
@locale_option
@limit_options
@output_options(LIST_COLUMNS)
def list_(collection: str | None, folder: str | None, locale: str | None, limit: int, all_: bool,
          output: Output) -> None:
    """List articles in tree order (collection, folder, title).

    \b
    Examples:
      portalctl articles list --collection mexico
      portalctl articles list --folder hosting --locale en --all -o csv > hosting.csv
    """
    found = app().client.articles.list(collection=collection, folder=folder, locale=locale,
                                       limit=None if all_ else limit)
    if output.many(found) == 0 and output.fmt == "table":
        message(_("No articles here yet."))


@articles.command()
@output_options(COLLECTION_COLUMNS)
def collections(output: Output) -> None:
    """Show the knowledge base's tree: collections, their folders and how many articles each holds.

    \b
    Examples:
      portalctl articles collections
      portalctl articles collections -o json | jq '.[].folders[].slug'
    """
    tree = app().client.articles.collections()
    if output.fmt != "table" or output.columns_flag:
        output.many(tree)
    elif not tree:
        message(_("The knowledge base is empty; an admin can add articles with 'portalctl admin articles import'."))
    else:
        show_tree(tree, output.io)


def show_tree(tree: list[Collection], io: IOStreams) -> None:
    for collection in tree:
        io.echo(io.style(cell(f"{collection.name} ({collection.slug})"), bold=True))
        width = max((len(cell(f"{f.name} ({f.slug})")) for f in collection.folders), default=0)
        for folder in collection.folders:
            count = ngettext("{count} article", "{count} articles", folder.articles).format(
                count=number(folder.articles))
            io.echo(f"  {cell(f'{folder.name} ({folder.slug})'):<{width}}  {count}")


@articles.command()
@article_id
@click.option("--helpful/--not-helpful", default=None, help="Your vote (one of them is required).")
@output_options(ONE_COLUMNS)
def rate(article_id: int, helpful: bool | None, output: Output) -> None:
    """Say whether an article helped. One vote per person; voting again changes your vote.

    \b
    Examples:
      portalctl articles rate 3 --helpful
      portalctl articles rate 3 --not-helpful
    """
    if helpful is None:
        raise click.UsageError(_("pass --helpful or --not-helpful"))
    article = app().client.articles.rate(article_id, helpful=helpful)
    thanks = (_("Thanks: you found #{id} helpful (now {helpful} helpful, {not_helpful} not helpful).") if helpful
              else _("Thanks: you found #{id} not helpful (now {helpful} helpful, {not_helpful} not helpful)."))
    message(thanks.format(id=article.id, helpful=article.helpful, not_helpful=article.not_helpful))
    report(output, article)
