"""Answers written straight from the engine's JSON, for the hot read routes.

FastAPI validates a returned object against the route's response_model and encodes it again: for a page of 50
tickets that was most of the request. These routes build the JSON themselves (SQLite's json_object for listings,
`Record.to_dict` for one ticket), the same bytes FastAPI would write; response_model stays for the OpenAPI
document, and tests hold the answers to it.
"""

from __future__ import annotations

import json

from starlette.responses import Response

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # FastAPI's JSONResponse's settings


def json_response(text: str, status: int = 200) -> Response:
    return Response(text.encode(), status_code=status, media_type="application/json")
