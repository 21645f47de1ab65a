"""Files in and out: raw-body uploads checked on arrival, and a ticket's attachments (rules: engine.uploads,
engine.attachments)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from portalctl.engine import uploads
from portalctl.model import Attachment
from portalctl.private import make_dirs
from portalctl.server.deps import IDEMPOTENT, SessionDep
from portalctl.server.problems import documented
from portalctl.server.schemas import Items, PathId, UploadOut

router = APIRouter(tags=["attachments"])
CHUNK = 1 << 16
BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.post(
    "/uploads", status_code=201, response_model=UploadOut, dependencies=IDEMPOTENT,
    responses=documented(415),
    openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": BINARY}}},
)
async def upload(
    request: Request,
    filename: Annotated[str, Query(min_length=1, max_length=255, description="The file's name, e.g. form.pdf.")],
    session: SessionDep,
) -> UploadOut:
    """The request body is the file. Checked by content and size now; attach it by id within 24 hours."""
    portal = session.portal
    limit = uploads.max_bytes(portal)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise uploads.too_large(limit, filename)  # refused before a byte is read
    make_dirs(portal.blob_dir)
    fd, name = tempfile.mkstemp(dir=portal.blob_dir, prefix=".upload-")
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise uploads.too_large(limit, filename)
                out.write(chunk)
        staged = await run_in_threadpool(uploads.stage, session, Path(name), filename)
    finally:
        Path(name).unlink(missing_ok=True)
    return UploadOut(**staged.to_dict())


@router.get("/tickets/{ticket_id}/attachments", response_model=Items[Attachment])
def attachments(ticket_id: PathId, session: SessionDep) -> Items[Attachment]:
    return Items(items=session.tickets.attachments(ticket_id))


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}", response_class=StreamingResponse,
    responses={200: {"description": "The file, with its type and name.", "content": {"*/*": BINARY}}},
)
def download(ticket_id: PathId, attachment_id: PathId, session: SessionDep) -> StreamingResponse:
    attachment, handle = session.tickets.download(ticket_id, attachment_id)
    headers = {"Content-Disposition": disposition(attachment.filename), "Content-Length": str(attachment.size),
               "X-Content-Type-Options": "nosniff"}
    return StreamingResponse(read(handle), media_type=attachment.content_type, headers=headers)


def read(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def disposition(filename: str) -> str:
    """An ASCII fallback name for old clients, and the exact name in RFC 5987 form."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
