"""Each request in its caller's language: the first language of its Accept-Language header that portalctl speaks,
else English. Problem documents (title, detail, hint) and pages are written in it, and the answer says which in
Content-Language. The language holds for the request's own context only (i18n.using), so concurrent requests in
different languages never mix."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portalctl import i18n


def preferred(header: str) -> str:
    """The language an Accept-Language header (RFC 9110: `es-CO,es;q=0.9,en;q=0.5`) asks for first among those
    portalctl speaks; English when it names none of them."""
    ranked = []
    for position, item in enumerate(header.split(",")):
        tag, _semicolon, parameters = item.strip().partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _equals, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        language = i18n.language_of(tag)
        if language and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else i18n.SOURCE


class LanguageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((value for name, value in scope["headers"] if name == b"accept-language"), b"")
        language = preferred(header.decode("latin-1"))

        async def send_in(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"content-language", language.encode())]
                message = {**message, "headers": headers}
            await send(message)

        with i18n.using(language):
            await self.app(scope, receive, send_in)
