"""Sign-in, personal access tokens, password resets and the outbox (rules: portalctl.engine.auth).

Responses that carry a secret say `Cache-Control: no-store`; server.idempotency never stores their bodies.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from portalctl.engine import auth
from portalctl.server.deps import IDEMPOTENT, ConfigDep, PortalDep, SessionDep, client_address
from portalctl.server.schemas import (
    Accepted,
    Items,
    LoginIn,
    LoginOut,
    OutboxMail,
    PathId,
    ResetConfirmIn,
    ResetIn,
    TokenIn,
    TokenListed,
    TokenOut,
)

router = APIRouter(tags=["auth"])
NO_STORE = {"Cache-Control": "no-store"}


@router.post("/auth/login", status_code=201, response_model=LoginOut)
def login(body: LoginIn, request: Request, portal: PortalDep, response: Response) -> LoginOut:
    """Exchange an e-mail and password for a personal access token. Failures are throttled (429, Retry-After)."""
    result = auth.login(portal, email=body.email, password=body.password, client=client_address(request),
                        token_name=body.token_name, expires_days=body.expires_days, new_password=body.new_password)
    request.state.user = result.email
    response.headers.update(NO_STORE)
    user = portal.session(result.email).accounts.me()
    return LoginOut(token=result.token.token, id=result.token.id, name=result.token.name,
                    expires_at=result.token.expires_at, user=user, must_change_password=result.must_change_password)


@router.get("/auth/tokens", response_model=Items[TokenListed])
def list_tokens(session: SessionDep) -> Items[TokenListed]:
    """Your tokens that are not revoked (never their secrets)."""
    return Items(items=[TokenListed(**t.to_dict()) for t in auth.TokenService(session).list()])


@router.post("/auth/tokens", status_code=201, response_model=TokenOut, dependencies=IDEMPOTENT)
def create_token(body: TokenIn, session: SessionDep, response: Response) -> TokenOut:
    """A named token for a pipeline or script; its secret is in this response only."""
    issued = auth.TokenService(session).create(name=body.name, expires_days=body.expires_days)
    response.headers.update(NO_STORE)
    return TokenOut(**issued.to_dict())


@router.delete("/auth/tokens/{token_id}", status_code=204, response_class=Response)
def revoke_token(token_id: PathId, session: SessionDep) -> Response:
    """Revoke one of your tokens: it stops working at once."""
    auth.TokenService(session).revoke(token_id)
    return Response(status_code=204)


@router.post("/auth/password-reset", status_code=202, response_model=Accepted)
def request_reset(body: ResetIn, portal: PortalDep, settings: ConfigDep) -> Accepted:
    """Mail a reset link. Always 202, whether or not the address has an account."""
    auth.request_password_reset(portal, body.email, public_url=settings.public_url, smtp_url=settings.smtp_url,
                                retry_first=settings.mail_retry_first)
    return Accepted()


@router.post("/auth/password-reset/confirm", status_code=204, response_class=Response)
def confirm_reset(body: ResetConfirmIn, portal: PortalDep) -> Response:
    """Set a new password with the token from the reset link."""
    auth.confirm_password_reset(portal, body.token, body.password)
    return Response(status_code=204)


@router.get("/admin/outbox", response_model=Items[OutboxMail])
def outbox(session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Items[OutboxMail]:
    """Mail the portal could not send (no SMTP server configured), newest first. Admins only."""
    return Items(items=[OutboxMail(**m.to_dict()) for m in auth.outbox(session, limit=limit)])

