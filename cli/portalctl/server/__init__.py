"""The portal server (`portalctl serve`): the embedded engine behind a versioned HTTP API.

Routes only map HTTP onto engine calls and engine errors onto problem+json; every rule stays in portalctl.engine.
Needs the `server` extra (FastAPI, uvicorn).
"""
