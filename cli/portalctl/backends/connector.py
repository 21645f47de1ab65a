"""What every help-desk connector shares, so that a new connector is its API calls and its mapping, nothing more.

`Connector` is a connector's backend: it reads the profile's page size and secret, and `open_backend` builds it
from a saved profile. `ConnectorTickets` is the base of its tickets namespace: it refuses what the platform cannot
do (naming the platform), filters a listing here with `ticket_filter.TicketFilter` where the platform's API
cannot, and orders what the platform cannot sort the way the portal engine does, so `--sort` and every filter mean
the same thing on every backend.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Generic, TypeVar, cast

from portalctl.backends.ticket_filter import TicketFilter
from portalctl.config import Profile
from portalctl.contract import (
    AccountsAPI,
    ArticlesAPI,
    TicketDraft,
    TicketQuery,
    TicketsAPI,
    Upload,
    sorted_tickets,
)
from portalctl.errors import InvalidInput, Unsupported
from portalctl.http import Download, JsonApi
from portalctl.i18n import N_, _
from portalctl.model import PRIORITIES, Attachment, Ticket

File = tuple[str, bytes]
CHUNK = 1 << 16  # read size of downloads
Page = TypeVar("Page")
Item = TypeVar("Item")
Row = TypeVar("Row")
C = TypeVar("C", bound="Connector")
A = TypeVar("A")  # the platform's API client


@dataclass(frozen=True)
class Priorities:
    """A platform's numbered priorities: the canonical name of each number it sends, and the number to send for a
    canonical name (a name not in `codes` is refused, naming the choices)."""

    names: Mapping[int, str]
    codes: Mapping[str, int]

    @classmethod
    def of(cls, names: Mapping[int, str]) -> Priorities:
        """One number per name, both ways."""
        return cls(names, {name: code for code, name in names.items()})

    def name(self, code: int) -> str:
        return self.names.get(code, "medium")

    def code(self, name: str) -> int:
        code = self.codes.get(name.strip().lower())
        if code is None:
            raise InvalidInput(_("unknown priority {name!r}").format(name=name),
                hint=_("priorities: {PRIORITIES}").format(PRIORITIES=', '.join(PRIORITIES)))
        return code


NOUNS = {"ticket": (N_("ticket"), N_("tickets")), "request": (N_("request"), N_("requests"))}  # a ticket's names

class Connector:
    """A help desk's backend: the `tickets`, `articles` and `accounts` namespaces over one API client.

    A subclass names its platform and its page sizes, and builds its namespaces in `__init__(profile, secret)`.
    """

    tickets: TicketsAPI
    articles: ArticlesAPI
    accounts: AccountsAPI
    platform: ClassVar[str] = ""
    page_default: ClassVar[int] = 100
    page_max: ClassVar[int | None] = None  # the platform's largest page, where its API sets one

    @classmethod
    def open_backend(cls: type[C], profile: Profile) -> C:
        """The backend for a saved profile, with its secret from PORTALCTL_TOKEN, the keyring or the credentials
        file (None when there is none: the first call then says how to sign in)."""
        from portalctl.secrets import SecretStore

        return cls(profile, SecretStore().get(profile.name))

    def __init__(self, profile: Profile, secret: str | None) -> None:
        self.profile = profile
        self.size = self.page_size()  # checked now: a bad option fails before any request

    def page_size(self) -> int:
        """The profile's page_size option (tests make pages small), else the platform's default."""
        try:
            size = int(float(self.profile.options.get("page_size") or self.page_default))
        except ValueError:
            raise InvalidInput(_("profile {name!r}: page_size must be a number").format(name=self.profile.name),
                               hint=_("fix it in the profile's options")) from None
        if size < 1 or (self.page_max is not None and size > self.page_max):
            most = f" to {self.page_max}" if self.page_max is not None else " or more"
            raise InvalidInput(_("profile {name!r}: page_size must be 1{most} on {platform}").format(
                name=self.profile.name, most=most, platform=self.platform))
        return size


class ConnectorTickets(Generic[A]):
    """The base of a connector's tickets namespace."""

    platform: ClassVar[str] = ""
    noun: ClassVar[str] = "ticket"  # what the platform calls a ticket ("request" on Zendesk): one of NOUNS
    tagged: ClassVar[bool] = False  # whether its tickets carry their tags, so --tag filters here

    def __init__(self, api: A, profile: Profile, page_size: int) -> None:
        self.api = api
        self.page_size = page_size
        self.email = profile.user if profile.user and "@" in profile.user else None  # who --mine means
        self._total: tuple[TicketQuery, int] | None = None

    def refuse(self, *checks: tuple[str, Any, str]) -> None:
        """Refuse, naming the platform, the first (what it cannot do, the value given, the flag to leave out)
        whose value was given: never a silent no-op."""
        for what, given, flag in checks:
            if given:
                noun, nouns = NOUNS[self.noun]
                raise Unsupported(_(what).format(platform=self.platform, noun=_(noun), nouns=_(nouns)),
                                  hint=_("leave out {flag}").format(flag=flag))

    def refuse_listing(self, query: TicketQuery, *checks: tuple[str, Any, str]) -> None:
        """`refuse` for a listing: assignees are a platform's own ids, not the e-mails --assignee names, and
        --tag needs tickets that carry their tags."""
        self.refuse(*checks, (N_("{platform} cannot filter by assignee"), query.assignees, "--assignee"),
                    *(() if self.tagged else ((N_("{platform} {nouns} carry no tags portalctl can filter on"),
                                               query.tags, "--tag"),)))

    def refuse_draft(self, draft: TicketDraft, *checks: tuple[str, Any, str]) -> None:
        """`refuse` for a new ticket; no platform finds an active ticket by a dedupe key (a portalctl portal's
        feature), so that is always refused."""
        self.refuse(*checks, (N_("{platform} cannot find a {noun} by a dedupe key"), draft.dedupe_key,
                              "--dedupe-key"))

    def needs_email(self, query: TicketQuery, hint: str) -> None:
        """`--mine` means the profile's own e-mail: refuse it when the profile has none."""
        if query.mine and not self.email:
            raise InvalidInput(_("--mine needs your e-mail on {platform}").format(platform=self.platform), hint=hint)

    def matcher(self, query: TicketQuery) -> TicketFilter:
        """The query's filters as the contract reads them, with --mine meaning this profile's e-mail."""
        return TicketFilter.of(query, me=self.email)

    def fetch(self, url: str, found: Attachment) -> BinaryIO:
        """An attachment's bytes from the link the platform gave, streamed and checked for length as they come."""
        api = cast(JsonApi, self.api)  # the connectors that download files speak JSON over HTTP
        response = api.request("GET", url, stream=True, missing=f"the file of attachment {found.id}")
        return cast(BinaryIO, io.BufferedReader(Download(response, found), CHUNK))

    def listing(self, rows: Iterable[Row], build: Callable[[Row], Ticket], keep: Callable[[Row, Ticket], bool],
                query: TicketQuery, *, streamed: bool) -> Iterator[Ticket]:
        """The tickets of `rows` that `keep` keeps, cut to the query's limit. `streamed`: the platform already
        orders them as the query sorts (constant memory); otherwise every match is read and ordered here, and so
        counted."""
        found = (ticket for row in rows for ticket in (build(row),) if keep(row, ticket))
        if streamed:
            return itertools.islice(found, query.limit)
        ordered = list(sorted_tickets(found, query.sort, None))
        self.heard_total(query, len(ordered))
        return iter(ordered[:query.limit] if query.limit is not None else ordered)

    def heard_total(self, query: TicketQuery, total: int) -> None:
        """How many tickets `query` matches in all, as a listing learnt it (every match read and counted here, or
        the help desk's own total for filters it applied all of)."""
        self._total = (query.but(limit=None), total)

    def count(self, query: TicketQuery) -> int | None:
        """The total the last listing of `query` (its limit aside) learnt; None when it learnt none: no guess."""
        said = self._total
        return said[1] if said is not None and said[0] == query.but(limit=None) else None


def api_root(url: str | None, platform: str, example: str, api: str, typed: tuple[str, ...]) -> str:
    """`api` under the address a user typed, whether they typed part of the API path (`typed`, stripped in that
    order) and a trailing slash or not; anything but http(s) is refused with an `example` of what to pass."""
    text = (url or "").strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise InvalidInput(_("not a {platform} URL: {url!r}").format(platform=platform, url=url),
            hint=_("pass --url {example}").format(example=example))
    for suffix in typed:
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text + api


def follow(page: Page, items: Callable[[Page], Iterable[Item]], after: Callable[[Page], str | None],
           fetch: Callable[[str], Page]) -> Iterator[Item]:
    """Every item from `page` on: `after` reads where the next page is (a link, a cursor; None on the last), `fetch`
    reads it. Callers read the first page before calling, so a refused token fails before anything is written."""
    while True:
        yield from items(page)
        then = after(page)
        if not then:
            return
        page = fetch(then)


def read_files(uploads: Sequence[Upload]) -> list[File]:
    """Every file's name and bytes, read before anything is sent: a bad file fails the whole command, and a request
    retried after a 429 sends the same bytes again."""
    files = []
    for upload in uploads:
        try:
            files.append((upload.filename, Path(upload.path).read_bytes()))
        except OSError as exc:
            raise InvalidInput(_("cannot read attachment {path}: {strerror}").format(
                path=upload.path, strerror=exc.strerror)) from exc
    return files
