"""The page a password-reset link opens: a plain form, no scripts, so a customer needs no tool to use the link.

Not part of the JSON API (and not in the OpenAPI document); the rules are engine.auth.confirm_password_reset.
"""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from portalctl.engine.auth import PASSWORD_MIN, confirm_password_reset
from portalctl.errors import PortalError
from portalctl.i18n import N_, _, language
from portalctl.server.deps import config

router = APIRouter(include_in_schema=False)
FORM_LIMIT = 10_000
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never pass it on
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Frame-Options": "DENY",
}
PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
input{{display:block;width:100%;margin:.3rem 0 1rem;padding:.4rem}}</style></head>
<body><h1>{title}</h1>{content}</body></html>"""
FORM = """<form method="post" action="reset-password">
<input type="hidden" name="token" value="{token}">
<label>{new}
<input type="password" name="password" minlength="{minimum}" autocomplete="new-password" required></label>
<label>{repeat}<input type="password" name="repeat" minlength="{minimum}" autocomplete="new-password" required>
</label><button type="submit">{button}</button></form>"""


def page(content: str, status: int = 200, title: str = N_("Reset your password")) -> HTMLResponse:
    """The page in the browser's language (Accept-Language: server/language.py); `title` is a message."""
    return HTMLResponse(PAGE.format(lang=language(), title=escape(_(title)), content=content),
                        status_code=status, headers=HEADERS)


def form(token: str, error: str | None = None) -> str:
    notice = f'<p role="alert"><strong>{escape(error)}</strong></p>' if error else ""
    return notice + FORM.format(
        token=escape(token, quote=True), minimum=PASSWORD_MIN, repeat=escape(_("Repeat it")),
        new=escape(_("New password (at least {minimum} characters)").format(minimum=PASSWORD_MIN)),
        button=escape(_("Set the new password")))


@router.get("/reset-password")
def show(token: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    if not token:
        return page(f"<p>{escape(_('This link has no token. Open the link from the e-mail as it is.'))}</p>", 400)
    return page(form(token))


@router.post("/reset-password")
async def submit(request: Request) -> HTMLResponse:
    raw = await request.body()
    fields = {k: v[0] for k, v in parse_qs(raw[:FORM_LIMIT].decode("utf-8", "replace")).items()}
    token, password = fields.get("token", ""), fields.get("password", "")
    if password != fields.get("repeat", ""):
        return page(form(token, _("The two passwords differ.")), 422)
    portal = config(request).open()
    try:
        await run_in_threadpool(confirm_password_reset, portal, token, password)
    except PortalError as exc:
        return page(form(token, f"{exc.message}. {exc.hint or ''}"), 422)
    finally:
        portal.close()
    return page(f"<p>{escape(_('Your password is changed. Sign in with it now.'))}</p>")
