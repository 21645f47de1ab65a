"""An article ready to print (seed 002's "print the article"): plain text, or a standalone HTML page.

Both keep only what a reader of paper needs: title, where the article lives, when it changed, its text. The HTML
escapes the article's own HTML, so a page printed from portal text runs no script.
"""

from __future__ import annotations

import html
import io

from portalctl.model import Article

WIDTH = 80  # a printed page's columns
PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Georgia, serif; max-width: 42em; margin: 2em auto; line-height: 1.5; color: #000; }}
.where {{ color: #444; font-size: 0.9em; }}
pre, code {{ font-family: monospace; white-space: pre-wrap; }}
@media print {{ body {{ margin: 0; }} a {{ color: #000; }} }}
</style>
</head>
<body>
<article>
<h1>{title}</h1>
<p class="where">{where}</p>
{body}</article>
</body>
</html>
"""


def where(article: Article) -> str:
    labels = f" · {', '.join(article.labels)}" if article.labels else ""
    return f"{article.collection} > {article.folder} · {article.locale} · updated {article.updated_at[:10]}{labels}"


def article_text(article: Article) -> str:
    """Plain text: the title underlined, where it lives, then the Markdown laid out for paper (no colour, no
    control codes)."""
    from rich.console import Console
    from rich.markdown import Markdown

    buffer = io.StringIO()
    Console(file=buffer, width=WIDTH, force_terminal=False, no_color=True, highlight=False).print(
        Markdown(article.body or ""))
    body = "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n")
    return f"{article.title}\n{'=' * min(len(article.title), WIDTH)}\n{where(article)}\n\n{body}\n"


def article_html(article: Article) -> str:
    """A standalone HTML page; the article's Markdown rendered with any raw HTML in it shown as text."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).render(article.body or "")
    return PAGE.format(lang=html.escape(article.locale), title=html.escape(article.title),
                       where=html.escape(where(article)), body=body)
