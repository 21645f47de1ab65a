"""Answers written straight from the engine's JSON, for the hot read routes.

FastAPI validates a returned object against the route's response_model and encodes it again: for a page of 50
tickets that was most of the request. These routes build the JSON themselves (SQLite's json_object for listings,
`Record.to_dict` for one ticket), the same bytes FastAPI would write; response_model stays for the OpenAPI
document, and tests hold the answers to it.
"""

from __future__ import annotations

import json

from starlette.responses import Response
from starlette.types import Send

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # FastAPI's JSONResponse's settings


def json_response(text: str, status: int = 200) -> Response:
    return Response(text.encode(), status_code=status, media_type="application/json")


async def send_json(send: Send, text: str) -> None:
    """`json_response(text)`'s answer, the same bytes and headers, sent as two bare ASGI messages: the read lane's
    hot path, where building a Response object per request cost a measurable share of showing a ticket."""
    body = text.encode()
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
