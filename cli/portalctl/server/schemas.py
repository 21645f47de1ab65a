"""Request and response bodies of API v1 that are not already records of portalctl.model.

Records (Ticket, Article, User, ...) are served as the model's dataclasses, so the JSON field names are the
model's `to_dict()` names. Request bodies reject unknown keys: a typo is an error, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from portalctl.contract import TicketDraft, Upload
from portalctl.engine.auth import PASSWORD_MAX, TOKEN_DAYS_MAX
from portalctl.engine.limits import BODY_MAX, SUBJECT_MAX
from portalctl.model import User

T = TypeVar("T")
MAX_ID = 2**63 - 1  # SQLite integers are 64-bit: larger ids cannot exist
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Days = Annotated[int, Field(ge=1, le=TOKEN_DAYS_MAX)]
Password = Annotated[str, Field(max_length=PASSWORD_MAX)]
Subject = Annotated[str, Field(max_length=SUBJECT_MAX)]  # the engine's limits, so both portals agree
Body = Annotated[str, Field(max_length=BODY_MAX)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Items(BaseModel, Generic[T]):
    items: list[T]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class Count(BaseModel):
    total: int = Field(description="How many tickets the filters match among those you may see (a customer's count "
                                   "counts only their own, those they are CC'd on and, where shared, their "
                                   "organisation's).")


class Health(BaseModel):
    status: str
    version: str
    max_attachment_bytes: int = Field(description="The largest file POST /uploads accepts, so clients can refuse "
                                                  "a larger one before sending it.")


# --- auth
class LoginIn(Strict):
    email: str
    password: Password
    token_name: str = "cli"
    expires_days: Days = 90
    new_password: Password | None = Field(
        None, description="Replace the password while signing in (what to do after a temporary password)."
    )


class LoginOut(BaseModel):
    token: str
    id: int
    name: str
    expires_at: str
    user: User
    must_change_password: bool = Field(description="The password is temporary: sign in again with new_password.")


class TokenIn(Strict):
    name: str
    expires_days: Days = 90


class TokenOut(BaseModel):
    id: int
    name: str
    token: str
    expires_at: str


class TokenListed(BaseModel):
    id: int
    name: str
    created_at: str
    expires_at: str
    last_used_at: str | None


class ResetIn(Strict):
    email: str


class ResetConfirmIn(Strict):
    token: str
    password: Password


class Accepted(BaseModel):
    pass


class OutboxMail(BaseModel):
    id: int
    to: str
    subject: str
    body: str
    created_at: str
    attempts: int = Field(description="SMTP deliveries tried so far.")
    last_error: str | None = Field(description="Why the last delivery failed.")


class TemporaryPassword(BaseModel):
    password: str


class RegisterIn(Strict):
    email: Annotated[str, Field(max_length=320)]
    password: Password
    accept_terms: Annotated[str, Field(max_length=64, description="The version of the terms accepted (GET "
                                                                  "/auth/signup shows them): recorded with the time.")]
    name: Annotated[str, Field(max_length=200)] | None = None


class VerifyIn(Strict):
    token: Annotated[str, Field(max_length=200, description="From the link in the verification mail.")]


class Verified(BaseModel):
    email: str
    organization: str | None


class SignupIn(Strict):
    policy: str | None = Field(None, description="closed, open or domains.")
    terms: Annotated[str, Field(max_length=100_000)] | None = None
    terms_version: Annotated[str, Field(max_length=64)] | None = Field(
        None, description="With terms; default: the start of their sha256.")


# --- accounts
Country = Annotated[str, Field(max_length=8, description="ISO 3166-1 alpha-2, e.g. CO; \"\" clears it.")]


class MeChanges(Strict):
    name: str | None = None
    title: str | None = None
    phone: str | None = None
    language: str | None = None
    timezone: str | None = None
    country: Country | None = None


class PhotoIn(Strict):
    upload: Annotated[str, Field(max_length=100, description="An id from POST /uploads: a PNG, JPEG or WebP image "
                                                            "of at most 5 MB.")]


class UserIn(Strict):
    email: str
    name: str
    role: str = "customer"
    organization: str | None = None
    manager: bool = Field(False, description="The organisation's contact manager (a customer with an organisation).")
    country: Country | None = None


class UserChanges(Strict):
    manager: bool | None = None
    country: Country | None = None


class ContactIn(Strict):
    email: Annotated[str, Field(max_length=320)]
    name: Annotated[str, Field(max_length=200)] = ""


class OrganizationIn(Strict):
    name: str
    shared_tickets: bool = False
    timezone: str | None = None
    business_hours: str | None = None
    holidays: list[str] = []
    resolution_hours: Annotated[int, Field(ge=1, le=100_000)] | None = None
    slug: str | None = None
    country: Country | None = None
    domains: list[Annotated[str, Field(max_length=253)]] = Field(
        [], max_length=100, description="E-mail domains whose sign-ups land in this organisation.")


class OrganizationChanges(Strict):
    country: Country | None = None
    add_domains: list[Annotated[str, Field(max_length=253)]] = Field([], max_length=100)
    remove_domains: list[Annotated[str, Field(max_length=253)]] = Field([], max_length=100)


class DepartmentIn(Strict):
    name: str
    description: str | None = None


class FieldIn(Strict):
    key: str
    label: str
    type: str
    required: bool = False
    choices: list[str] = []
    pattern: str | None = None
    customer_editable: bool = True
    department: str | None = None
    description: str | None = None


# --- tickets
class TicketIn(Strict):
    subject: Subject
    body: Body
    priority: str | None = None
    type: str | None = None
    department: str | None = None
    ccs: list[str] = []
    fields: dict[str, Any] = {}
    tags: list[str] = []
    uploads: list[str] = Field([], description="Ids from POST /uploads: attached to the first message.")
    follow_up_of: Id | None = None
    requester: str | None = None
    dedupe_key: str | None = None
    on_duplicate: str = "reply"

    def draft(self, files: Sequence[Upload]) -> TicketDraft:
        """The ticket to open, with the claimed uploads (`files`) in place of their ids."""
        return TicketDraft(
            subject=self.subject, body=self.body, priority=self.priority, type=self.type,
            department=self.department, ccs=self.ccs, fields=self.fields, tags=self.tags, attachments=files,
            follow_up_of=self.follow_up_of, requester=self.requester, dedupe_key=self.dedupe_key,
            on_duplicate=self.on_duplicate,
        )


class ReplyIn(Strict):
    body: Body
    internal: bool = False
    status: str | None = None
    uploads: list[str] = []


class TicketChangesIn(Strict):
    subject: Subject | None = None
    priority: str | None = None
    type: str | None = None
    department: str | None = None
    status: str | None = None
    assignee: str | None = None
    fields: dict[str, Any] = {}
    add_tags: list[str] = []
    remove_tags: list[str] = []


class CcIn(Strict):
    add: list[str] = []
    remove: list[str] = []


class UploadOut(BaseModel):
    id: str
    filename: str
    size: int
    content_type: str
    sha256: str


# --- articles
class VoteIn(Strict):
    helpful: bool


class ArticleIn(Strict):
    collection: str
    folder: str
    title: str
    body: str
    locale: str = "en"
    labels: list[str] = []
    slug: str | None = None


class ArticleChanges(Strict):
    title: str | None = None
    body: str | None = None
    locale: str | None = None
    labels: list[str] | None = None
    collection: str | None = None
    folder: str | None = None


# --- notices
class NoticeIn(Strict):
    title: Subject
    body: Body = ""
    severity: str = Field("info", description="info, warning or outage.")
    starts: str | None = Field(None, max_length=40, description="ISO 8601; now when left out.")
    ends: str = Field(max_length=40, description="ISO 8601; after the start.")
    organization: str | None = Field(None, max_length=200, description="Only this organisation's users (slug).")
    countries: list[Annotated[str, Field(max_length=8)]] = Field(
        [], max_length=250, description="ISO 3166-1 alpha-2 codes: also (or only) the users in these countries.")


class NoticesSeen(Strict):
    ids: list[Id] = Field(max_length=1000)


class NotificationSwitches(Strict):
    on: list[str] = Field([], description="Kinds to switch on: status, reply, attachment, new_ticket, or all.")
    off: list[str] = Field([], description="Kinds to switch off.")
