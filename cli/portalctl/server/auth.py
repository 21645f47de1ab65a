"""Sign-in, sign-up, personal access tokens, password resets and the outbox (rules: portalctl.engine.auth and
portalctl.engine.signup).

Responses that carry a secret say `Cache-Control: no-store`; server.idempotency never stores their bodies.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from portalctl.engine import auth, signup
from portalctl.model import SignupSettings
from portalctl.server.deps import IDEMPOTENT, ConfigDep, PortalDep, SessionDep, client_address
from portalctl.server.schemas import (
    Accepted,
    Items,
    LoginIn,
    LoginOut,
    OutboxMail,
    PathId,
    RegisterIn,
    ResetConfirmIn,
    ResetIn,
    SignupIn,
    TokenIn,
    TokenListed,
    TokenOut,
    Verified,
    VerifyIn,
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


@router.get("/auth/signup", response_model=SignupSettings)
def signup_settings(portal: PortalDep) -> SignupSettings:
    """Who may register (policy closed, open or domains) and the terms a registration accepts. No sign-in needed."""
    return signup.public_settings(portal)


@router.post("/auth/register", status_code=202, response_model=Accepted)
def register(body: RegisterIn, request: Request, portal: PortalDep, settings: ConfigDep) -> Accepted:
    """Register with an e-mail and password, accepting the current terms; a verification link is mailed, and the
    account signs in once it is used. Always 202 for a taken registration, whether or not the address already has
    an account (its owner is mailed instead). Throttled per client address (429, Retry-After)."""
    signup.register(portal, email=body.email, password=body.password, terms_version=body.accept_terms,
                    name=body.name, client=client_address(request), public_url=settings.public_url,
                    smtp_url=settings.smtp_url)
    return Accepted()


@router.post("/auth/verify", response_model=Verified)
def verify(body: VerifyIn, portal: PortalDep) -> Verified:
    """Use a verification link's token: the account is made and may sign in. Single-use; expires after a day."""
    return Verified(**signup.verify(portal, body.token).to_dict())


@router.get("/admin/signup", response_model=SignupSettings)
def admin_signup(session: SessionDep) -> SignupSettings:
    """Admins: the sign-up policy and terms."""
    return session.accounts.signup_settings()


@router.post("/admin/signup", response_model=SignupSettings, dependencies=IDEMPOTENT)
def set_signup(body: SignupIn, session: SessionDep) -> SignupSettings:
    """Admins: change the policy (closed, open, domains) and/or the terms; fields left out stay as they are."""
    return session.accounts.set_signup(**body.model_dump())


@router.get("/admin/outbox", response_model=Items[OutboxMail])
def outbox(session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Items[OutboxMail]:
    """Mail the portal could not send (no SMTP server configured), newest first. Admins only."""
    return Items(items=[OutboxMail(**m.to_dict()) for m in auth.outbox(session, limit=limit)])

