"""The help desks the shared connector suite runs on, each behind a saved profile: a real django-helpdesk, a real
Request Tracker and the Zendesk, Freshdesk, HubSpot, WHMCS and Jira Service Management simulators.

A simulator's context manager starts it and yields its `Setup`; `make_target` turns that into a `Target`: a
portalctl.client.Client acting through a saved profile, the CLI acting through the same profile, and what differs
between platforms only in data (a custom field the account defines, a word that finds a knowledge-base article).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import Result

from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.secrets import SecretStore
from tests.connectors import hubspot_sdk, sim_freshdesk, sim_hubspot, sim_jsm, sim_whmcs, vendor_shapes
from tests.connectors.sim_zendesk import ZendeskSim
from tests.connectors.zendesk_oas import Judge

KINDS = ("django-helpdesk", "zendesk", "freshdesk", "hubspot", "whmcs", "rt", "jsm")
PROFILE = "shared"
TEAM = "team"
PAGE_SIZE = "2"  # three tickets span two pages on every platform
BOUNDED = {"backoff": "0.05", "timeout": "10", "page_size": PAGE_SIZE}  # every HTTP call is bounded in time


@dataclass(frozen=True)
class Setup:
    """What a help desk needs in its profile, and what its account holds."""

    platform: str  # as its error messages name it
    url: str
    secret: str
    user: str
    options: dict[str, str]
    field: tuple[str, str] | None = None  # a custom field the account defines, with a valid value
    article_query: str | None = None  # finds at least one article, where the platform has a knowledge base
    team: Team | None = None  # the support team's own profile, where it differs from `user`'s


@dataclass(frozen=True)
class Team:
    """What the support team's profile changes: who signs in and the options (Zendesk: an agent's token; WHMCS: no
    client, the whole install)."""

    user: str | None
    secret: str
    options: dict[str, str]


@dataclass(frozen=True)
class Target:
    kind: str
    platform: str
    client: Client
    run: Callable[..., Result]  # the CLI acting through the profile
    word: str  # in every subject this test writes: a search for it lists only this test's tickets
    field: tuple[str, str] | None
    article_query: str | None
    folder: Path  # for files the test writes
    team: Client  # the support team's view of the same help desk (the same profile where the platform has one view)
    team_run: Callable[..., Result]


@contextlib.contextmanager
def zendesk() -> Iterator[Setup]:
    sim = ZendeskSim(export_lag=0.0)  # the export's one-minute lag is held in test_zendesk_agent.py
    sim.add_user("ana@cliente.test", "Ana Cliente", token="zd-token")
    sim.tokens["agent@acme.zendesk.test"] = "zd-agent-token"
    sim.add_article("Cómo renovar el dominio", "Pasos para renovar el dominio .co")
    judge = Judge()  # every request and answer is held to Zendesk's Support OpenAPI document
    sim.judge = judge.check
    with sim.serving():
        yield Setup("Zendesk", sim.url, "zd-token", "ana@cliente.test",
                    {"field_incident_status": "360005"}, ("incident_status", "abierto"), "renovar dominio",
                    Team("agent@acme.zendesk.test", "zd-agent-token", {"field_incident_status": "360005"}))
    assert not judge.problems, f"departs from Zendesk's Support OpenAPI document:\n{judge.verdict()}"


@contextlib.contextmanager
def freshdesk() -> Iterator[Setup]:
    with sim_freshdesk.Simulator() as sim:
        yield Setup("Freshdesk", sim.url, sim_freshdesk.API_KEY, "cliente@acme.example", {},
                    ("cf_user_code", "0042"), "factura")
    found = vendor_shapes.freshdesk(sim.state.answers)  # held to the shape of Freshdesk's documented answers
    assert not found, "departs from Freshdesk's documented answers:\n" + "\n".join(found[:20])


@contextlib.contextmanager
def hubspot() -> Iterator[Setup]:
    with sim_hubspot.HubSpotSim() as sim:
        yield Setup("HubSpot", sim.url, sim_hubspot.TOKEN, "ana@vai.test", {"pipeline": "VAI Formularios"},
                    ("user_code", "0042"))
    found = hubspot_sdk.problems(sim.answers, sim.sent)  # requests and answers held to HubSpot's SDK models
    assert not found, "departs from HubSpot's SDK models:\n" + "\n".join(found[:20])


@contextlib.contextmanager
def whmcs() -> Iterator[Setup]:
    sim = sim_whmcs.WhmcsSim().start()
    try:
        secret = f"{sim_whmcs.IDENTIFIER}:{sim_whmcs.SECRET}"
        yield Setup("WHMCS", sim.url, secret, "ana@cliente.test", {"department": "Soporte Técnico"},
                    team=Team(None, secret, {"department": "Soporte Técnico"}))
    finally:
        sim.stop()
    found = vendor_shapes.whmcs(sim.answers)  # held to the shape of WHMCS's documented answers
    assert not found, "departs from WHMCS's documented answers:\n" + "\n".join(found[:20])


@contextlib.contextmanager
def jsm() -> Iterator[Setup]:
    """A JSM site whose every exchange is judged against Atlassian's OpenAPI facts: a mismatch fails the test."""
    sim = sim_jsm.JsmSim()
    sim.add_article(501, "Cómo renovar el dominio", "<p>Pasos para renovar el dominio .co</p>")
    with sim.serving():
        yield Setup("Jira Service Management", sim.url, sim_jsm.TOKEN, sim_jsm.CUSTOMER,
                    {"field_user_code": "customfield_10050", "type.incident": "Reportar un incidente"},
                    ("user_code", "0042"), "renovar dominio",
                    Team(sim_jsm.AGENT, sim_jsm.TOKEN, {"role": "agent"}))
    assert not sim.problems, "the JSM simulator's exchanges break Atlassian's OpenAPI document:\n" + "\n".join(
        sim.problems)


SIMULATORS = {"zendesk": zendesk, "freshdesk": freshdesk, "hubspot": hubspot, "whmcs": whmcs, "jsm": jsm}


def make_target(kind: str, setup: Setup, cli: Callable[..., Result], word: str, folder: Path) -> Target:
    """Save the profiles (secrets in the store, as `auth login` keeps them) and hand out their Clients and CLIs."""
    client, run = saved(kind, setup.url, PROFILE, setup.user, setup.secret, setup.options, cli)
    team, team_run = (client, run) if setup.team is None else saved(
        kind, setup.url, TEAM, setup.team.user, setup.team.secret, setup.team.options, cli)
    return Target(kind, setup.platform, client, run, word, setup.field, setup.article_query, folder, team, team_run)


def saved(kind: str, url: str, name: str, user: str | None, secret: str, options: dict[str, str],
          cli: Callable[..., Result]) -> tuple[Client, Callable[..., Result]]:
    profile = Profile(name=name, backend=kind, url=url, user=user, options={**BOUNDED, **options})
    UserConfig().put(profile)
    SecretStore().set(name, secret)

    def run(*args: str, **more: Any) -> Result:
        return cli(*args, env={"PORTALCTL_PROFILE": name}, **more)

    return Client(profile), run
