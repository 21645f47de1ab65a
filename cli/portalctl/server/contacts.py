"""Company contacts, run by the organisation's contact manager (rules: engine.contacts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from portalctl.engine.contacts import ContactService
from portalctl.model import User
from portalctl.server.deps import IDEMPOTENT, ConfigDep, SessionDep
from portalctl.server.schemas import Accepted, ContactIn, Items, TemporaryPassword

router = APIRouter(tags=["contacts"])


def contacts(session: SessionDep, settings: ConfigDep) -> ContactService:
    return ContactService(session, mail=(settings.public_url, settings.smtp_url))


@router.get("/contacts", response_model=Items[User])
def list_contacts(session: SessionDep, settings: ConfigDep,
                  inactive: Annotated[bool, Query(description="Include deactivated contacts.")] = False,
                  ) -> Items[User]:
    """Contact managers: the customers of your organisation."""
    return Items(items=contacts(session, settings).list(inactive=inactive))


@router.post("/contacts", status_code=201, response_model=User, dependencies=IDEMPOTENT)
def add_contact(body: ContactIn, session: SessionDep, settings: ConfigDep) -> User:
    """Contact managers: add a user to your organisation; they sign in after a reset link or temporary password."""
    return contacts(session, settings).add(email=body.email, name=body.name)


@router.post("/contacts/{email}/deactivate", response_model=User, dependencies=IDEMPOTENT)
def deactivate_contact(email: str, session: SessionDep, settings: ConfigDep) -> User:
    """Contact managers: the contact can no longer sign in; their tickets and messages are kept."""
    return contacts(session, settings).deactivate(email)


@router.post("/contacts/{email}/temporary-password", response_model=TemporaryPassword, dependencies=IDEMPOTENT)
def contact_temporary_password(email: str, session: SessionDep, settings: ConfigDep,
                               response: Response) -> TemporaryPassword:
    """Contact managers: a temporary password to pass on, replaced at the contact's next sign-in."""
    password = contacts(session, settings).temporary_password(email)
    response.headers["Cache-Control"] = "no-store"
    return TemporaryPassword(password=password)


@router.post("/contacts/{email}/reset-link", status_code=202, response_model=Accepted, dependencies=IDEMPOTENT)
def contact_reset_link(email: str, session: SessionDep, settings: ConfigDep) -> Accepted:
    """Contact managers: mail the contact a password-reset link (SMTP, or the outbox)."""
    contacts(session, settings).send_reset_link(email)
    return Accepted()
