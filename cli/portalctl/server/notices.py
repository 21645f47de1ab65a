"""Notices: the user's active ones, and the admins' publishing and ending of them (rules: engine.notices)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from portalctl.model import Notice
from portalctl.server.deps import IDEMPOTENT, SessionDep
from portalctl.server.schemas import Items, NoticeIn, NoticesSeen, PathId

router = APIRouter(tags=["notices"])


@router.get("/notices", response_model=Items[Notice])
def notices(session: SessionDep,
            unseen: Annotated[bool, Query(description="Only those not yet marked seen by you.")] = False,
            ) -> Items[Notice]:
    """The notices in force now that you may see (your organisation's and everyone's), most severe first."""
    return Items(items=session.accounts.notices(unseen=unseen))


@router.post("/notices/seen", status_code=204)
def mark_seen(body: NoticesSeen, session: SessionDep) -> None:
    """Record that these notices were shown to you (ids you may not see are ignored)."""
    session.accounts.mark_notices_seen(body.ids)


@router.get("/admin/notices", response_model=Items[Notice])
def all_notices(session: SessionDep) -> Items[Notice]:
    """Admins: every notice, past, present and future, newest first."""
    return Items(items=session.accounts.all_notices())


@router.post("/admin/notices", status_code=201, response_model=Notice, dependencies=IDEMPOTENT)
def add_notice(body: NoticeIn, session: SessionDep) -> Notice:
    """Admins: publish a notice for a time window, to everyone or to one organisation."""
    return session.accounts.add_notice(**body.model_dump())


@router.post("/admin/notices/{notice_id}/end", response_model=Notice, dependencies=IDEMPOTENT)
def end_notice(notice_id: PathId, session: SessionDep) -> Notice:
    """Admins: end a notice now."""
    return session.accounts.end_notice(notice_id)
