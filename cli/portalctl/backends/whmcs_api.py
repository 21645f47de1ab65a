"""The WHMCS API (`POST <url>/includes/api.php`) and what an install defines: its ticket statuses and departments."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any

import requests

from portalctl.backends.whmcs_map import DEFAULT_STATES, PLATFORM, WRITE_LABELS, api_url, items
from portalctl.config import Profile
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, PortalError, Unavailable, Unsupported
from portalctl.http import new_session, origin
from portalctl.i18n import N_, _
from portalctl.model import STATES, Department, canonical_state

CREDENTIAL_HINT = N_("pass the API credential: echo IDENTIFIER:SECRET | portalctl auth login --backend whmcs --url "
                     "URL --user CLIENT_EMAIL --with-token (WHMCS admin: Manage API Credentials)")
AUTH_MESSAGES = ("authentication failed", "invalid ip", "invalid access key", "access denied")


class Api:
    """One WHMCS install: every action goes through `call`, which maps failures to portal errors."""

    def __init__(self, profile: Profile, secret: str | None) -> None:
        self.profile = profile
        self.url = api_url(profile.url)
        self.origin = origin(self.url)
        self.session = new_session(policy=profile.retry)
        self._credential: tuple[str, str] | None = None
        if secret:
            if ":" not in secret:
                raise PermissionDenied(_("profile {name!r}: the WHMCS secret must be IDENTIFIER:SECRET").format(
                    name=profile.name),
                                       hint=_(CREDENTIAL_HINT))
            identifier, key = secret.split(":", 1)
            self._credential = (identifier, key)
        self.accesskey = str(profile.options.get("accesskey") or "") or None

    def __repr__(self) -> str:
        return f"Api({self.url!r}, <credentials hidden>)"

    def call(self, action: str, *, missing: str | None = None, **params: Any) -> dict[str, Any]:
        """POST one action; `missing` names what a "not found" answer means (a ticket)."""
        if self._credential is None:
            raise PermissionDenied(_("profile {name!r} has no API credential for {origin}").format(
                name=self.profile.name, origin=self.origin),
                                   hint=_(CREDENTIAL_HINT))
        form = {k: v for k, v in params.items() if v is not None}
        form.update(identifier=self._credential[0], secret=self._credential[1], action=action, responsetype="json")
        if self.accesskey:
            form["accesskey"] = self.accesskey
        response = self.session.request("POST", self.url, data=form, headers={"Accept": "application/json"})
        try:
            data = self._decode(response, action)
        finally:
            response.close()
        if response.status_code >= 400 or data.get("result") != "success":
            raise self.error(response.status_code, response.reason, data, missing)
        return data

    def _decode(self, response: requests.Response, action: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            return data
        if response.status_code >= 400:
            return {}
        raise Unavailable(_("{origin} answered {action} with something other than JSON").format(
            origin=self.origin, action=action),
                          hint=_("is {url} the WHMCS address (its API at /includes/api.php)?").format(
                              url=self.profile.url))

    def error(self, status: int, reason: str, data: dict[str, Any], missing: str | None) -> PortalError:
        message = " ".join(str(data.get("message") or f"HTTP {status} {reason}").split())
        where = f"{PLATFORM} at {self.origin}"
        lowered = message.lower()
        if status in (401, 403) or any(m in lowered for m in AUTH_MESSAGES):
            hint = _(CREDENTIAL_HINT)
            if "ip" in lowered.split():
                hint = _("allow this machine's address (WHMCS: Setup > General Settings > Security > API IP Access "
                         "Restriction) or set the install's access key: --option accesskey=KEY")
            return PermissionDenied(_("{where} refused the request: {message}").format(
                where=where, message=message), hint=hint)
        if status == 429 or status >= 500:
            return Unavailable(_("{where} answered HTTP {status} {reason} (after retries)").format(
                where=where, status=status, reason=reason),
                               hint=_("WHMCS is busy or failing; try again later"))
        if status == 404:
            return NotFound(_("{where} has no API at {url}").format(where=where, url=self.url),
                            hint=_("is {url} the WHMCS address (its API at /includes/api.php)?").format(
                                url=self.profile.url))
        if "not found" in lowered and missing:
            return NotFound(_("{missing} not found on {origin}").format(
                missing=missing, origin=self.origin), hint=_("see 'portalctl tickets list'"))
        if "not found" in lowered:
            return NotFound(f"{where}: {message}")
        return InvalidInput(_("{platform} refused the request: {message}").format(platform=PLATFORM, message=message))

    def pages(self, action: str, outer: str, inner: str, params: dict[str, Any],
              page_size: int) -> Iterator[dict[str, Any]]:
        """Every row across `limitstart`/`limitnum` pages; the first page is read now, so a refused credential fails
        before a caller writes anything."""
        first = self.call(action, limitstart=0, limitnum=page_size, **params)

        def walk(page: dict[str, Any]) -> Iterator[dict[str, Any]]:
            start = 0
            while True:
                rows = items(page, outer, inner)
                yield from rows
                start += len(rows)
                total = int(page.get("totalresults") or 0)
                if not rows or start >= total:
                    return
                page = self.call(action, limitstart=start, limitnum=page_size, **params)

        return walk(first)


class Statuses:
    """The install's ticket statuses and their canonical states (read once, overridable by profile options)."""

    def __init__(self, api: Api, profile: Profile) -> None:
        self.api = api
        self.overrides: dict[str, str] = {}
        for key, value in profile.options.items():
            if key.startswith("status."):
                state = canonical_state(str(value))
                if state is None:
                    raise InvalidInput(_("profile option {key}={value!r} names no state").format(key=key, value=value),
                                       hint=_("states: {STATES}").format(STATES=', '.join(STATES)))
                self.overrides[key[len("status."):].strip().casefold()] = state
        self._labels: builtins.list[str] | None = None

    def labels(self) -> builtins.list[str]:
        if self._labels is None:
            data = self.api.call("GetSupportStatuses")
            self._labels = [str(s.get("title")) for s in items(data, "statuses", "status") if s.get("title")]
        return self._labels

    def state(self, label: str) -> str:
        key = label.strip().casefold()
        if key in self.overrides:
            return self.overrides[key]
        for native, state in DEFAULT_STATES.items():
            if native.casefold() == key:
                return state
        return canonical_state(label) or "open"

    def labels_for(self, states: set[str]) -> builtins.list[str]:
        return [label for label in self.labels() if self.state(label) in states]

    def write_label(self, target: str) -> str:
        """The native status a change to `target` (canonical or native) writes."""
        for label in self.labels():
            if label.casefold() == target.strip().casefold():
                return label
        state = canonical_state(target)
        if state is None:
            raise InvalidInput(_("unknown status {target!r}").format(target=target),
                               hint=_("statuses: {STATES} or one of {labels}").format(
                                   STATES=', '.join(STATES), labels=', '.join(self.labels())))
        preferred = WRITE_LABELS.get(state)
        if preferred and preferred in self.labels() and self.state(preferred) == state:
            return preferred
        for label in self.labels():
            if self.state(label) == state:
                return label
        raise Unsupported(_("{platform} has no status for {state!r} on this install").format(
            platform=PLATFORM, state=state),
                          hint=_("its statuses: {labels}").format(labels=', '.join(self.labels())))


class Departments:
    def __init__(self, api: Api) -> None:
        self.api = api
        self._all: builtins.list[Department] | None = None

    def all(self) -> builtins.list[Department]:
        if self._all is None:
            data = self.api.call("GetSupportDepartments", ignore_dept_assignments="true")
            self._all = [Department(id=int(d["id"]), name=str(d.get("name") or ""), slug=str(d["id"]),
                                    description=None) for d in items(data, "departments", "department")]
        return self._all

    def name(self, deptid: Any) -> str:
        """A department's name for a GetTickets row, which carries only its id."""
        if deptid in (None, ""):
            return ""
        for department in self.all():
            if str(department.id) == str(deptid):
                return department.name
        return str(deptid)

    def resolve(self, name: str) -> int:
        text = str(name).strip()
        wanted = text.casefold()
        for department in self.all():
            if wanted in (str(department.id), department.name.casefold()):
                return department.id
        known = ", ".join(f"{d.id} {d.name}" for d in self.all()) or "none"
        raise InvalidInput(_("unknown department {name!r}").format(name=name),
            hint=_("{platform} departments: {known}").format(platform=PLATFORM, known=known))



def number_option(profile: Profile, key: str, default: float) -> float:
    raw = profile.options.get(key)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(_("profile {name!r}: {key} must be a number").format(name=profile.name, key=key),
                           hint=_("fix it in the profile's options")) from None
    if value <= 0:
        raise InvalidInput(_("profile {name!r}: {key} must be positive").format(name=profile.name, key=key))
    return value

