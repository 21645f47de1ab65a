"""The signed-in user, users, organisations, departments and custom fields (rules: engine.accounts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from portalctl.engine import uploads
from portalctl.model import Department, FieldDef, NotificationSettings, Organization, User
from portalctl.server.deps import IDEMPOTENT, SessionDep
from portalctl.server.problems import documented
from portalctl.server.schemas import (
    DepartmentIn,
    FieldIn,
    Items,
    MeChanges,
    NotificationSwitches,
    OrganizationChanges,
    OrganizationIn,
    PhotoIn,
    TemporaryPassword,
    UserChanges,
    UserIn,
)
from portalctl.server.uploads import BINARY, read

router = APIRouter(tags=["accounts"])


@router.get("/me", response_model=User)
def me(session: SessionDep) -> User:
    return session.accounts.me()


@router.patch("/me", response_model=User)
def update_me(body: MeChanges, session: SessionDep) -> User:
    """Change your name, title, phone, language or timezone; fields left out (or null) stay as they are."""
    changes = {key: value for key, value in body.model_dump().items() if value is not None}
    return session.accounts.update_me(**changes)


@router.get("/me/notifications", response_model=NotificationSettings)
def notifications(session: SessionDep) -> NotificationSettings:
    """Which e-mail notifications you get: a ticket you can see changes state, gets a public reply, gets an
    attachment; a new ticket in your organisation (for those who see its tickets)."""
    return session.accounts.notification_settings()


@router.patch("/me/notifications", response_model=NotificationSettings)
def switch_notifications(body: NotificationSwitches, session: SessionDep) -> NotificationSettings:
    """Switch kinds of notification on or off; an unknown kind, or one both on and off, changes nothing (422)."""
    return session.accounts.set_notifications(on=body.on, off=body.off)


@router.post("/me/photo", response_model=User, dependencies=IDEMPOTENT, responses=documented(415))
def set_photo(body: PhotoIn, session: SessionDep) -> User:
    """Make an upload (POST /uploads) your profile photo: PNG, JPEG or WebP, checked by content, at most 5 MB."""
    [photo] = uploads.claim(session, [body.upload])
    try:
        return session.accounts.set_photo(photo)
    except BaseException:
        uploads.release(session, [body.upload])
        raise


@router.get(
    "/users/{email}/photo", response_class=StreamingResponse,
    responses={200: {"description": "The photo, with its image type.", "content": {"image/*": BINARY}}},
)
def photo(email: str, session: SessionDep) -> StreamingResponse:
    """A user's photo, for those who may see the user (themselves, staff, their organisation; staff's: everyone).
    Anyone else gets the same 404 as for a user without a photo."""
    content_type, sha, handle = session.accounts.photo(email)
    headers = {"ETag": f'"{sha}"', "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"}
    return StreamingResponse(read(handle), media_type=content_type, headers=headers)


@router.get("/users", response_model=Items[User])
def users(
    session: SessionDep,
    role: str | None = None,
    organization: str | None = None,
    inactive: Annotated[bool, Query(description="Include deactivated users.")] = False,
) -> Items[User]:
    """Agents and admins only."""
    return Items(items=session.accounts.users(role=role, organization=organization, inactive=inactive))


@router.post("/users", status_code=201, response_model=User, dependencies=IDEMPOTENT)
def add_user(body: UserIn, session: SessionDep) -> User:
    """Admins only. The new user signs in after an admin sets a temporary password or they reset theirs."""
    return session.accounts.add_user(**body.model_dump())


@router.patch("/users/{email}", response_model=User)
def update_user(email: str, body: UserChanges, session: SessionDep) -> User:
    """Admins only: make a customer their organisation's contact manager (or not), or set their country."""
    return session.accounts.update_user(email, **body.model_dump())


@router.post("/users/{email}/deactivate", response_model=User, dependencies=IDEMPOTENT)
def deactivate(email: str, session: SessionDep) -> User:
    """Admins only. The user's tickets and comments stay; they can no longer sign in or use their tokens."""
    return session.accounts.set_active(email, False)


@router.post("/users/{email}/reactivate", response_model=User, dependencies=IDEMPOTENT)
def reactivate(email: str, session: SessionDep) -> User:
    return session.accounts.set_active(email, True)


@router.post("/users/{email}/temporary-password", response_model=TemporaryPassword, dependencies=IDEMPOTENT)
def temporary_password(email: str, session: SessionDep, response: Response) -> TemporaryPassword:
    """Admins only: a temporary password to pass on to the user, who should replace it when signing in."""
    password = session.accounts.reset_password(email)
    response.headers["Cache-Control"] = "no-store"
    return TemporaryPassword(password=password)


@router.get("/organizations", response_model=Items[Organization])
def organizations(session: SessionDep) -> Items[Organization]:
    """Agents and admins only."""
    return Items(items=session.accounts.organizations())


@router.post("/organizations", status_code=201, response_model=Organization, dependencies=IDEMPOTENT)
def add_organization(body: OrganizationIn, session: SessionDep) -> Organization:
    options = {key: value for key, value in body.model_dump().items() if value is not None and key != "name"}
    return session.accounts.add_organization(name=body.name, **options)


@router.patch("/organizations/{name}", response_model=Organization)
def update_organization(name: str, body: OrganizationChanges, session: SessionDep) -> Organization:
    """Admins only: set the organisation's country; map e-mail domains to it (sign-ups from them land there) or
    unmap them."""
    return session.accounts.update_organization(name, **body.model_dump())


@router.get("/departments", response_model=Items[Department])
def departments(session: SessionDep) -> Items[Department]:
    return Items(items=session.accounts.departments())


@router.post("/departments", status_code=201, response_model=Department, dependencies=IDEMPOTENT)
def add_department(body: DepartmentIn, session: SessionDep) -> Department:
    return session.accounts.add_department(name=body.name, description=body.description)


@router.get("/fields", response_model=Items[FieldDef])
def fields(session: SessionDep, department: str | None = None) -> Items[FieldDef]:
    """Custom ticket fields: the portal's, and with `department` also that department's."""
    return Items(items=session.accounts.field_defs(department=department))


@router.post("/fields", status_code=201, response_model=FieldDef, dependencies=IDEMPOTENT)
def add_field(body: FieldIn, session: SessionDep) -> FieldDef:
    return session.accounts.add_field(FieldDef(**body.model_dump()))
