"""The page a verification link opens (seed 000: "Verificar dirección de correo", then a confirmation).

Opening the link shows a button; only pressing it (a POST) verifies, so a mail scanner that fetches links cannot
use one up. Plain HTML, no scripts, the same headers as the reset page. Not in the OpenAPI document; the rules are
engine.signup.verify.
"""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from portalctl.engine.signup import verify
from portalctl.errors import PortalError
from portalctl.i18n import N_, _
from portalctl.server.deps import config
from portalctl.server.reset_page import FORM_LIMIT, page

router = APIRouter(include_in_schema=False)
TITLE = N_("Verify your address")
FORM = """<form method="post" action="verify-email"><input type="hidden" name="token" value="{token}">
<button type="submit">{button}</button></form>"""


@router.get("/verify-email")
def show(token: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    if not token:
        refused = _("This link has no token. Open the link from the e-mail as it is.")
        return page(f"<p>{escape(refused)}</p>", 400, TITLE)
    return page(FORM.format(token=escape(token, quote=True), button=escape(_("Verify my address"))), title=TITLE)


@router.post("/verify-email")
async def submit(request: Request) -> HTMLResponse:
    raw = await request.body()
    fields = {k: v[0] for k, v in parse_qs(raw[:FORM_LIMIT].decode("utf-8", "replace")).items()}
    portal = config(request).open()
    try:
        done = await run_in_threadpool(verify, portal, fields.get("token", ""))
    except PortalError as exc:
        return page(f'<p role="alert"><strong>{escape(exc.message)}.</strong> {escape(exc.hint or "")}</p>', 422, TITLE)
    finally:
        portal.close()
    done_text = _("Your address {email} is verified. Sign in with it now.").format(email=done.email)
    return page(f"<p>{escape(done_text)}</p>", title=TITLE)
