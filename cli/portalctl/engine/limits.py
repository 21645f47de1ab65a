"""How long a ticket's texts may be: one place, read by the engine (the embedded portal) and by the server's
request models, so a subject or body is accepted or refused alike wherever the portal runs."""

from __future__ import annotations

from portalctl.errors import InvalidInput
from portalctl.i18n import N_, _

SUBJECT_MAX = 1_000  # characters: a subject is a line, not a document
BODY_MAX = 1_000_000  # characters of a message (at most 4 MB of UTF-8, under the server's 16 MiB request limit)


def subject_text(subject: str) -> str:
    """The subject as stored (stripped), refused when empty or too long."""
    text = subject.strip()
    if not text:
        raise InvalidInput(_("the subject is empty"), about="subject")
    if len(text) > SUBJECT_MAX:
        raise InvalidInput(_("the subject is {count:,} characters long; at most {SUBJECT_MAX:,} are allowed").format(
            count=len(text), SUBJECT_MAX=SUBJECT_MAX),
                           hint=_("shorten it and put the detail in the body"))
    return text


def body_text(body: str, what: str = N_("body")) -> str:
    """A message's text (kept as written), refused when blank or too long."""
    what = _(what)
    if not body.strip():
        raise InvalidInput(_("the {what} is empty").format(what=what), about="body")
    if len(body) > BODY_MAX:
        raise InvalidInput(_("the {what} is {count:,} characters long; at most {BODY_MAX:,} are allowed").format(
            what=what, count=len(body), BODY_MAX=BODY_MAX),
                           hint=_("attach long logs as a file (--attach) instead"), about="body")
    return body
