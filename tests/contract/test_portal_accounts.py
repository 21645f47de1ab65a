"""Contact managers, profile photos, countries for notices, organisations' e-mail domains and the sign-up policy:
the same contract on the embedded portal and on a real server process (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portalctl.contract import TicketDraft, Upload
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, PortalError, StateConflict, Unsupported
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO, MARIO
from tests.contract.conftest import ClientFor
from tests.server.photos import GIF, JPEG, PNG


def test_a_manager_runs_the_contacts_of_their_own_organisation(client: ClientFor, word: str,
                                                               deployment: object) -> None:
    contacts = client(MARIO).contacts
    email = f"{word}@acme.test"
    added = contacts.add(email=email, name="Luis Mora")
    assert (added.organization, added.role, added.manager, added.active) == ("acme", "customer", False, True)
    assert {ANA, BOB, MARIO, email} <= {u.email for u in contacts.list()}
    assert not {CARLA, DIEGO, AGENT, ADMIN} & {u.email for u in contacts.list(inactive=True)}
    assert len(contacts.temporary_password(email)) >= 12
    for outsider in (CARLA, AGENT, ADMIN, f"nobody-{word}@acme.test"):
        with pytest.raises(NotFound, match="no contact"):
            contacts.deactivate(outsider)
        with pytest.raises(NotFound, match="no contact"):
            contacts.temporary_password(outsider)
    with pytest.raises(StateConflict, match="already has an account"):
        contacts.add(email=CARLA, name="Carla")
    assert client(AGENT).accounts.users(organization="globex")[0].organization == "globex"  # not moved
    with pytest.raises(StateConflict, match="yourself"):
        contacts.deactivate(MARIO)
    assert contacts.deactivate(email).active is False
    assert email not in {u.email for u in contacts.list()}
    assert email in {u.email for u in contacts.list(inactive=True)}
    for someone in (ANA, AGENT, ADMIN):  # a plain customer, and staff, are not managers
        with pytest.raises(PermissionDenied, match="contact manager"):
            client(someone).contacts.list()


def test_reset_links_are_mailed_by_a_server_only(client: ClientFor, deployment: object) -> None:
    from tests.contract.serving import Deployment

    assert isinstance(deployment, Deployment)
    if deployment.kind == "embedded":  # a file on this machine signs nobody in: a temporary password instead
        with pytest.raises(Unsupported, match="mailed by a portalctl server"):
            client(MARIO).contacts.send_reset_link(BOB)
    else:
        client(MARIO).contacts.send_reset_link(BOB)
        with pytest.raises(NotFound):
            client(MARIO).contacts.send_reset_link(CARLA)


def test_a_manager_sees_the_organisations_tickets(client: ClientFor, word: str) -> None:
    mine = client(BOB).tickets.create(TicketDraft(subject=f"{word} Bob's", body="x"))
    theirs = client(CARLA).tickets.create(TicketDraft(subject=f"{word} Carla's", body="x"))
    assert client(MARIO).tickets.get(mine.id).requester == BOB
    with pytest.raises(NotFound):
        client(ANA).tickets.get(mine.id)  # Acme does not share tickets: only its manager sees them all
    with pytest.raises(NotFound):
        client(MARIO).tickets.get(theirs.id)


def test_admins_make_managers_and_set_countries(client: ClientFor) -> None:
    admin = client(ADMIN).portal_accounts
    assert admin.update_user(BOB, manager=True, country="es").manager is True
    assert admin.update_user(BOB, manager=False, country="").country is None
    with pytest.raises(InvalidInput, match="customer of an organisation"):
        admin.update_user(AGENT, manager=True)
    with pytest.raises(InvalidInput, match="unknown country"):
        admin.update_user(BOB, country="XX")
    with pytest.raises(PermissionDenied):
        client(AGENT).portal_accounts.update_user(BOB, manager=True)
    with pytest.raises(PermissionDenied):
        client(MARIO).portal_accounts.update_user(BOB, manager=True)
    assert client(BOB).accounts.me().manager is False


def test_organisations_map_email_domains(client: ClientFor, word: str) -> None:
    admin = client(ADMIN).portal_accounts
    org = admin.add_organization(name=f"Org {word}", country="mx", domains=[f"{word}.example", f"@{word}.test"])
    assert (org.country, org.domains) == ("MX", [f"{word}.example", f"{word}.test"])
    with pytest.raises(StateConflict, match="already belongs"):
        admin.update_organization("acme", add_domains=[f"{word}.example"])
    with pytest.raises(StateConflict):
        admin.add_organization(name=f"Again {word}", domains=[f"{word}.test"])
    assert f"again-{word}" not in {o.slug for o in client(ADMIN).accounts.organizations()}  # nothing half-made
    with pytest.raises(InvalidInput, match="not an e-mail domain"):
        admin.update_organization(org.slug, add_domains=["no domain"])
    with pytest.raises(NotFound):
        admin.update_organization(org.slug, remove_domains=["elsewhere.example"])
    changed = admin.update_organization(org.slug, remove_domains=[f"{word}.test"], country="")
    assert (changed.country, changed.domains) == (None, [f"{word}.example"])
    with pytest.raises(PermissionDenied):
        client(AGENT).portal_accounts.update_organization(org.slug, country="CO")


def test_notices_aimed_at_countries(client: ClientFor, word: str) -> None:
    admin = client(ADMIN).portal_accounts
    admin.update_organization("globex", country="CO")
    colombia = client(ADMIN).accounts.add_notice(title=f"{word} DIAN", body="", ends="2099-01-01T00:00Z",
                                                 countries=["co"])
    assert colombia.countries == ["CO"] and colombia.organization is None

    def sees(email: str) -> bool:
        return colombia.id in {n.id for n in client(email).accounts.notices()}

    assert sees(CARLA) and sees(DIEGO) and sees(AGENT)  # in Colombia through their company; staff see all
    assert not sees(ANA)
    client(ANA).accounts.update_me(country="co")  # her own country wins over her company's
    assert sees(ANA)
    client(ANA).accounts.update_me(country="")
    assert not sees(ANA)
    both = client(ADMIN).accounts.add_notice(title=f"{word} both", body="", ends="2099-01-01T00:00Z",
                                             organization="acme", countries=["CO"])
    assert {n.id for n in client(BOB).accounts.notices()} >= {both.id}  # the users of either target
    assert both.id in {n.id for n in client(CARLA).accounts.notices()}
    with pytest.raises(InvalidInput, match="unknown country"):
        client(ADMIN).accounts.add_notice(title=f"{word} bad", body="", ends="2099-01-01T00:00Z", countries=["Narnia"])
    assert f"{word} bad" not in {n.title for n in client(ADMIN).accounts.all_notices()}


def test_profile_photos(client: ClientFor, tmp_path: Path) -> None:
    def upload(name: str, data: bytes) -> Upload:
        path = tmp_path / name
        path.write_bytes(data)
        return Upload(name, path)

    me = client(DIEGO).portal_accounts.set_photo(upload("foto.jpg", JPEG))
    content_type, sha, handle = client(CARLA).portal_accounts.photo(DIEGO)  # a colleague
    with handle:
        assert (content_type, handle.read()) == ("image/jpeg", JPEG)
    assert sha == me.photo_sha256
    with pytest.raises(NotFound, match=f"no photo of {DIEGO}"):
        client(ANA).portal_accounts.photo(DIEGO)  # another company
    assert client(AGENT).portal_accounts.photo(DIEGO)[0] == "image/jpeg"
    refusals = [upload("foto.gif", GIF), upload("foto.png", b"%PDF-1.4 not a photo"),
                upload("big.png", PNG + b"\0" * 5_000_001)]
    for bad in refusals:
        with pytest.raises(InvalidInput):
            client(DIEGO).portal_accounts.set_photo(bad)
    assert client(DIEGO).accounts.me().photo_sha256 == me.photo_sha256  # unchanged
    with pytest.raises(PortalError):
        client(DIEGO).portal_accounts.set_photo(upload("torn.png", PNG[:40]))  # starts like a PNG, does not decode
    assert client(DIEGO).portal_accounts.set_photo(upload("p.png", PNG)).photo_sha256 != me.photo_sha256


def test_the_signup_policy_is_the_admins(client: ClientFor) -> None:
    admin = client(ADMIN).portal_accounts
    with pytest.raises(InvalidInput, match="unknown sign-up policy"):
        admin.set_signup(policy="everyone")
    settings = admin.set_signup(policy="domains", terms="Términos v2", terms_version="v2")
    assert (settings.policy, settings.terms_version, settings.terms) == ("domains", "v2", "Términos v2")
    hashed = admin.set_signup(terms="Términos v3")
    assert hashed.policy == "domains" and hashed.terms_version and len(hashed.terms_version) == 12
    assert admin.set_signup(policy="closed").policy == "closed"
    for someone in (ANA, MARIO, AGENT):
        with pytest.raises(PermissionDenied):
            client(someone).portal_accounts.set_signup(policy="open")
        with pytest.raises(PermissionDenied):
            client(someone).portal_accounts.signup_settings()
