"""Build a large, realistic embedded portal to benchmark against.

    python scripts/bench/generate.py --home DIR --tickets 100000 --articles 5000 [--seed 1] [--now ISO] [--force]

Accounts (organisations, users, agents, departments, custom fields) go through the engine, so they obey its rules.
Tickets, comments, CCs, events, search rows and articles are bulk-inserted with executemany in one transaction:
going through `TicketService.create` would take minutes for 100k tickets, and a benchmark should not wait on
its own fixture. The rows are written the way engine/tickets.py writes them (tickets_fts holds the stems of the
subject and of the public comments joined by newlines; internal notes never reach it; articles_fts holds each
article's stems, as engine/search_index.py writes them).

Everything comes from one seeded random generator and one anchor time (`--now`, default today 00:00 UTC), so a
seed and an anchor give the same portal. Resolved tickets are resolved less than a day before the anchor, so the
engine's auto-close (48 h by default) does not rewrite them on the first command of the day.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from math import gcd
from pathlib import Path
from string import Formatter
from typing import Any, TypeVar

T = TypeVar("T")

HOUR = 3600
DAY = 24 * HOUR
SPAN_DAYS = 730  # two years of history

STATUS_WEIGHTS = {"closed": 84, "resolved": 1, "new": 3, "open": 5, "pending": 5, "on_hold": 2}
PRIORITY_WEIGHTS = {"low": 25, "medium": 50, "high": 20, "urgent": 5}
TYPES = (None, "question", "incident", "problem", "task")
TYPE_WEIGHTS = (20, 35, 25, 10, 10)

DEPARTMENTS = (
    ("Soporte Web", "WordPress, Joomla, diseño y hosting"),
    ("Correo y Dominios", "Buzones, DNS, certificados"),
    ("Facturación", "Facturas, pagos y contratos"),
    ("Infraestructura", "Servidores, copias de seguridad, VPN"),
    ("Customer Success", "Onboarding and account reviews"),
    ("Integrations", "API, webhooks and connectors"),
    ("Security", "Access, passwords and incidents"),
)
AGENTS = (
    ("lucia.perez@soporte.test", "Lucía Pérez"),
    ("tom.walker@soporte.test", "Tom Walker"),
    ("andres.munoz@soporte.test", "Andrés Muñoz"),
)
ADMIN = ("admin@soporte.test", "Ada Admin")
TIMEZONES = ("Europe/Madrid", "America/Bogota", "America/Mexico_City", "America/New_York", "Europe/London", "UTC")
RESOLUTION_HOURS = (8, 16, 24, 24, 40, 72)

ORG_WORDS_ES = ("Comercial", "Logística", "Exportaciones", "Construcciones", "Farmacia", "Óptica", "Panadería",
                "Transportes", "Consultores", "Inmobiliaria", "Clínica", "Distribuciones", "Imprenta", "Taller")
ORG_PLACES = ("Andina", "del Norte", "Mediterránea", "Ibérica", "del Caribe", "Pacífico", "Sevilla", "Bogotá",
              "Málaga", "Medellín", "Valencia", "Quito", "Cusco", "Córdoba")
ORG_WORDS_EN = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Vandelay", "Soylent",
                "Cyberdyne", "Tyrell", "Wonka", "Gringotts", "Oceanic")
ORG_KINDS_EN = ("Logistics", "Foods", "Consulting", "Labs", "Retail", "Partners", "Holdings", "Media", "Health")

FIRST_ES = ("Ana", "José", "María", "Lucía", "Andrés", "Sofía", "Martín", "Camila", "Diego", "Valentina", "Iñaki",
            "Begoña", "Raúl", "Inés", "Joaquín", "Ángela", "Sebastián", "Mónica", "Tomás", "Verónica")
LAST_ES = ("García", "Rodríguez", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Fernández", "Díaz", "Muñoz",
           "Álvarez", "Romero", "Jiménez", "Ruiz", "Hernández", "Castaño", "Núñez", "Ibáñez")
FIRST_EN = ("James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Emily", "Daniel", "Grace", "Oliver",
            "Chloe", "Henry", "Alice", "George", "Hannah", "Samuel", "Olivia", "Jack", "Ruby")
LAST_EN = ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker",
           "Wright", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Wood")

SYSTEMS_ES = ("el correo", "la VPN", "la página web", "el ERP", "la tienda online", "el servidor de archivos",
              "la intranet", "el portal de clientes", "la impresora", "el certificado SSL", "el dominio")
SYSTEMS_EN = ("email", "the VPN", "the website", "the ERP", "the online shop", "the file server", "the intranet",
              "the customer portal", "the printer", "the SSL certificate", "the domain")
SUBJECTS_ES = (
    "No puedo acceder a {sys}", "Error al iniciar sesión en {sys}", "Cambio en formulario {num}",
    "Factura {num} rechazada", "Solicitud de nueva contraseña para {sys}", "{Sys} no funciona desde {dia}",
    "Problema con la configuración de {sys}", "¿Cómo configuro {sys} en el móvil?", "Migración de {sys}",
    "Copia de seguridad de {sys} incompleta", "Actualización pendiente de {sys}", "Lentitud en {sys}",
    "Duplicado en la facturación del pedido {num}", "Alta de usuario en {sys}", "Renovación del dominio {num}",
)
SUBJECTS_EN = (
    "Cannot log in to {sys}", "{Sys} down since {day}", "Invoice {num} rejected", "Password reset for {sys}",
    "Error when saving changes in {sys}", "Request: new user account for {sys}", "How do I configure {sys}?",
    "Slow response from {sys}", "Backup of {sys} failed", "Migration of {sys} to the new plan",
    "Billing question about order {num}", "Certificate warning on {sys}", "Update broke {sys}",
    "Cannot upload attachments to {sys}", "Renewal of contract {num}",
)
DAYS_ES = ("el lunes", "ayer", "esta mañana", "el viernes", "hace una semana")
DAYS_EN = ("Monday", "yesterday", "this morning", "Friday", "last week")

OPENING_ES = ("Hola,", "Buenos días,", "Buenas tardes,", "Estimado equipo de soporte,")
OPENING_EN = ("Hi,", "Hello,", "Good morning,", "Dear support team,")
PROBLEM_ES = (
    "Desde {dia} no podemos acceder a {sys} y aparece un mensaje de error.",
    "Al intentar guardar el formulario {num} la página se queda cargando.",
    "La factura {num} tiene un importe distinto al acordado en el contrato.",
    "Necesitamos cambiar la contraseña de {sys} porque un empleado dejó la empresa.",
    "El equipo de contabilidad no recibe los correos de notificación.",
    "Tras la última actualización {sys} funciona muy lento.",
    "Adjunto una captura de pantalla con el error que aparece.",
    "Es urgente porque tenemos una auditoría la próxima semana.",
    "Hemos revisado la configuración según la guía pero el problema continúa.",
    "¿Podrían indicarnos cuándo estará solucionado?",
    "El código de usuario es {code} y el número de pedido {num}.",
    "La conexión se corta cada pocos minutos desde la oficina de {lugar}.",
)
PROBLEM_EN = (
    "Since {day} we cannot reach {sys}; it shows an error message.",
    "When I try to save form {num} the page keeps loading forever.",
    "Invoice {num} shows an amount different from our contract.",
    "We need to reset the password for {sys} because an employee left.",
    "Our accounting team is not receiving the notification emails.",
    "After the last update {sys} became very slow.",
    "I attached a screenshot of the error we get.",
    "This is urgent because we have an audit next week.",
    "We followed the configuration guide but the problem persists.",
    "Could you tell us when this will be fixed?",
    "My user code is {code} and the order number is {num}.",
    "The connection drops every few minutes at our {place} office.",
)
AGENT_ES = (
    "Gracias por escribirnos. Estamos revisando {sys} y le mantendremos informado.",
    "Hemos restablecido la contraseña; recibirá un correo con las instrucciones.",
    "Hemos corregido la factura {num}; la nueva versión ya está disponible en el portal.",
    "¿Podría enviarnos una captura de pantalla del error y la hora aproximada?",
    "El problema estaba en la configuración del DNS y ya está solucionado.",
    "Hemos aplicado la actualización y {sys} vuelve a funcionar con normalidad.",
    "Le recomendamos seguir el artículo de la base de conocimiento sobre configuración.",
    "Quedamos a la espera de su confirmación para cerrar la solicitud.",
)
AGENT_EN = (
    "Thanks for reaching out. We are looking into {sys} and will keep you posted.",
    "We reset the password; you will receive an email with the instructions.",
    "We corrected invoice {num}; the new version is available in the portal.",
    "Could you send us a screenshot of the error and the approximate time?",
    "The problem was in the DNS configuration and it is now fixed.",
    "We applied the update and {sys} is working normally again.",
    "Please follow the knowledge base article about this configuration.",
    "We will wait for your confirmation before closing the request.",
)
FOLLOW_ES = ("Gracias, ya funciona correctamente.", "Sigue sin funcionar, adjunto otra captura.",
             "¿Hay novedades sobre este tema?", "Perfecto, muchas gracias por la ayuda.")
FOLLOW_EN = ("Thanks, it works now.", "Still not working, attaching another screenshot.",
             "Any update on this?", "Perfect, thank you for your help.")
NOTES = ("Escalado a infraestructura; revisar logs del proxy.", "Customer on legacy plan, check contract first.",
         "Posible duplicado del ticket anterior.", "Waiting on the carrier; do not close yet.")
PLACES_ES = ("Madrid", "Bogotá", "Medellín", "Málaga", "Quito")
PLACES_EN = ("London", "Boston", "Leeds", "Denver", "Dublin")
TAGS = ("vpn", "correo", "email", "factura", "invoice", "wordpress", "joomla", "dns", "ssl", "backup", "password",
        "contraseña", "urgente", "migración", "hosting", "billing", "onboarding", "api")
CHANNELS = ("email", "phone", "web", "chat")

COLLECTIONS = (
    ("Primeros pasos", ("Cuenta", "Acceso", "Primer proyecto", "Getting started", "Account setup")),
    ("Facturación", ("Facturas", "Pagos", "Contratos", "Invoices", "Payments")),
    ("Correo y dominios", ("Buzones", "DNS", "Certificados", "Mailboxes", "Domains")),
    ("Seguridad", ("Contraseñas", "Doble factor", "Copias de seguridad", "Passwords", "Two-factor")),
    ("Sitios web", ("WordPress", "Joomla", "Rendimiento", "Hosting", "Performance")),
    ("Integraciones y API", ("API", "Webhooks", "Conectores", "Exports", "Single sign-on")),
)
TITLES_ES = ("Cómo {accion} {cosa}", "Solución: {sys} no responde", "Configuración de {cosa} paso a paso",
             "Preguntas frecuentes sobre {cosa}", "Qué hacer si {sys} muestra un error", "Guía de {cosa}")
TITLES_EN = ("How to {action} {thing}", "Fix: {sys} does not respond", "Setting up {thing} step by step",
             "FAQ about {thing}", "What to do when {sys} shows an error", "Guide to {thing}")
ACTIONS_ES = ("configurar", "restablecer", "migrar", "renovar", "descargar", "activar", "proteger")
THINGS_ES = ("la contraseña", "el buzón de correo", "el certificado", "la factura electrónica", "el dominio",
             "la copia de seguridad", "la autenticación en dos pasos", "la conexión VPN", "los permisos")
ACTIONS_EN = ("configure", "reset", "migrate", "renew", "download", "enable", "secure")
THINGS_EN = ("your password", "a mailbox", "the certificate", "electronic invoices", "a domain", "backups",
             "two-factor authentication", "the VPN connection", "user permissions")
ARTICLE_ES = (
    "Este artículo explica cómo {accion} {cosa} sin perder la configuración actual.",
    "Antes de empezar, compruebe que tiene acceso de administración a {sys}.",
    "Abra el panel de control y seleccione la sección de configuración.",
    "Si aparece un error de contraseña, restablézcala desde el portal de clientes.",
    "Los cambios de DNS pueden tardar hasta 24 horas en propagarse.",
    "Guarde los cambios y cierre la sesión para que se apliquen.",
    "Si el problema continúa, abra una solicitud indicando el código de error.",
    "La facturación se actualiza el primer día hábil de cada mes.",
    "Recomendamos activar la autenticación en dos pasos para todas las cuentas.",
    "Las copias de seguridad se conservan durante treinta días.",
)
ARTICLE_EN = (
    "This article explains how to {action} {thing} without losing your current configuration.",
    "Before you start, make sure you have administrator access to {sys}.",
    "Open the control panel and select the settings section.",
    "If you see a password error, reset the password from the customer portal.",
    "DNS changes can take up to 24 hours to propagate.",
    "Save your changes and sign out so they take effect.",
    "If the problem persists, open a ticket with the error code.",
    "Billing is updated on the first business day of each month.",
    "We recommend enabling two-factor authentication for every account.",
    "Backups are kept for thirty days.",
)

STATUS_EVENTS = {
    status: json.dumps({"from": "pending" if status == "open" else "open", "to": status})
    for status in STATUS_WEIGHTS
}
STRIDES = {size: [s for s in range(1, size) if gcd(s, size) == 1] for size in range(2, 64)}


@dataclass
class Org:
    id: int
    slug: str
    language: str
    resolution_hours: int
    users: list[int] = field(default_factory=list)


@dataclass
class People:
    """What bulk inserts need to know about the accounts the engine created."""

    admin: str
    agent_ids: list[int]
    orgs: list[Org]
    user_org: dict[int, Org]
    department_ids: list[int]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="PORTALCTL_HOME to create the portal under")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--organizations", type=int, default=50)
    parser.add_argument("--users", type=int, default=500, help="customers (agents and the admin come on top)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", help="anchor time, ISO UTC (default: today 00:00 UTC)")
    parser.add_argument("--force", action="store_true", help="replace a portal already at --home")
    return parser.parse_args(argv)


def anchor_time(text: str | None) -> datetime:
    if text:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


_DAY_PREFIX: dict[int, str] = {}
_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(DAY)]


def iso(ts: int) -> str:
    """The engine's time format (UTC, seconds, trailing Z), from two lookup tables: a million calls add up."""
    day, seconds = divmod(ts, DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * DAY))
    return prefix + _CLOCK[seconds]


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """rng.choice, without its rejection sampling: several times faster, and as deterministic."""
    return items[int(rng.random() * len(items))]


SLOT_MAKERS: dict[str, Callable[[random.Random], Any]] = {
    "sys": lambda rng: pick(rng, SYSTEMS_ES), "system": lambda rng: pick(rng, SYSTEMS_EN),
    "num": lambda rng: 1000 + int(rng.random() * 99000), "code": lambda rng: f"{1 + int(rng.random() * 9999):04d}",
    "dia": lambda rng: pick(rng, DAYS_ES), "day": lambda rng: pick(rng, DAYS_EN),
    "lugar": lambda rng: pick(rng, PLACES_ES), "place": lambda rng: pick(rng, PLACES_EN),
    "accion": lambda rng: pick(rng, ACTIONS_ES), "cosa": lambda rng: pick(rng, THINGS_ES),
    "action": lambda rng: pick(rng, ACTIONS_EN), "thing": lambda rng: pick(rng, THINGS_EN),
}
_SLOTS: dict[str, tuple[str, ...]] = {}


def fill(rng: random.Random, template: str, lang: str) -> str:
    """A template with its slots filled in the ticket's language ({sys}/{Sys}: a system, capitalised or not)."""
    slots = _SLOTS.get(template)
    if slots is None:
        slots = _SLOTS[template] = tuple(name for _, name, _, _ in Formatter().parse(template) if name)
    if not slots:
        return template
    values: dict[str, Any] = {}
    for name in slots:
        if name in ("sys", "Sys"):
            if "sys" not in values:
                system = SLOT_MAKERS["sys" if lang == "es" else "system"](rng)
                values["sys"], values["Sys"] = system, system[0].upper() + system[1:]
        else:
            values[name] = SLOT_MAKERS[name](rng)
    text = template.format_map(values)
    return text.replace(" de el ", " del ").replace(" a el ", " al ") if lang == "es" else text


def sentences(rng: random.Random, pool: tuple[str, ...], count: int, lang: str) -> str:
    """`count` sentences of `pool`, distinct and in a random order (a stride through the pool: cheaper than sample)."""
    size = len(pool)
    start, stride = int(rng.random() * size), STRIDES[size][int(rng.random() * len(STRIDES[size]))]
    return " ".join(fill(rng, pool[(start + i * stride) % size], lang) for i in range(count))


# --- accounts, through the engine ---------------------------------------------------------------------------------
def create_accounts(portal: Any, rng: random.Random, n_orgs: int, n_users: int) -> People:
    from portalctl.engine.accounts import bootstrap_admin
    from portalctl.model import FieldDef

    bootstrap_admin(portal, email=ADMIN[0], name=ADMIN[1])
    accounts = portal.session(ADMIN[0]).accounts
    department_ids = [accounts.add_department(name=name, description=text).id for name, text in DEPARTMENTS]
    accounts.add_field(FieldDef(key="user_code", label="User code", type="text", required=False, choices=[],
                                pattern=r"\d{4}", customer_editable=True, department=None,
                                description="four digits, e.g. 0042"))
    accounts.add_field(FieldDef(key="channel", label="Channel", type="choice", required=False, choices=list(CHANNELS),
                                pattern=None, customer_editable=False, department=None, description=None))
    accounts.add_field(FieldDef(key="forms", label="Forms", type="multichoice", required=False,
                                choices=[str(n) for n in range(5400, 5420)], pattern=None, customer_editable=True,
                                department="Facturación", description=None))
    orgs: list[Org] = []
    used: set[str] = set()
    for index in range(n_orgs):
        language = "es" if rng.random() < 0.55 else "en"
        while True:
            if language == "es":
                name = f"{rng.choice(ORG_WORDS_ES)} {rng.choice(ORG_PLACES)}"
            else:
                name = f"{rng.choice(ORG_WORDS_EN)} {rng.choice(ORG_KINDS_EN)}"
            if name not in used:
                break
            name = f"{name} {index}"
            if name not in used:
                break
        used.add(name)
        hours = rng.choice(RESOLUTION_HOURS)
        timezone = rng.choice(TIMEZONES[:3] if language == "es" else TIMEZONES[3:])
        org = accounts.add_organization(name=name, shared_tickets=rng.random() < 0.3, timezone=timezone,
                                        resolution_hours=hours)
        orgs.append(Org(org.id, org.slug, language, hours))
    agent_ids = [accounts.add_user(email=email, name=name, role="agent").id for email, name in AGENTS]
    org_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(orgs))]
    user_org: dict[int, Org] = {}
    for index in range(n_users):
        org = orgs[index] if index < len(orgs) else rng.choices(orgs, org_weights)[0]
        es = org.language == "es"
        first, last = rng.choice(FIRST_ES if es else FIRST_EN), rng.choice(LAST_ES if es else LAST_EN)
        local = f"{first}.{last}".lower().translate(str.maketrans("áéíóúñü", "aeiounu"))
        user = accounts.add_user(email=f"{local}.{index}@{org.slug}.test", name=f"{first} {last}",
                                 organization=org.slug)
        org.users.append(user.id)
        user_org[user.id] = org
    return People(ADMIN[0], agent_ids, orgs, user_org, department_ids)


# --- tickets, in bulk ---------------------------------------------------------------------------------------------
def ticket_times(rng: random.Random, status: str, now: int) -> tuple[int, int, int | None, int | None, int]:
    """(created, updated, resolved, closed, last comment) for a ticket in `status`, consistent with it."""
    resolved = closed = None
    if status == "closed":
        age = 4 * DAY + (SPAN_DAYS * DAY - 4 * DAY) * rng.random() ** 1.3  # the business grows: more recent tickets
        created = now - int(age)
        handle = int(min(HOUR + rng.expovariate(1 / (2 * DAY)), age - 3 * DAY))
        if rng.random() < 0.8:  # resolved, then closed by the grace period
            resolved = created + handle
            closed = resolved + 48 * HOUR
            last = resolved
        else:  # closed directly
            closed = created + handle
            last = closed
        updated = closed
    elif status == "resolved":
        resolved = now - rng.randrange(23 * HOUR)
        created = resolved - HOUR - int(rng.expovariate(1 / (2 * DAY)))
        updated = last = resolved
    elif status == "new":
        created = now - int(3 * DAY * rng.random() ** 2)
        updated = last = created
    elif status == "open":
        created = now - HOUR - rng.randrange(60 * DAY)
        updated = last = created + rng.randrange(now - created)
    elif status == "pending":
        created = now - HOUR - rng.randrange(45 * DAY)
        updated = last = created + rng.randrange(now - created)
    else:  # on_hold
        created = now - DAY - rng.randrange(180 * DAY)
        updated = last = created + rng.randrange(min(20 * DAY, now - created))
    return created, updated, resolved, closed, last


def due_time(created: int, resolution_hours: int) -> int:
    """Roughly `resolution_hours` business hours (9 a day, Monday to Friday) after `created`. The engine's calendar
    is exact, but running it for 100k tickets would cost more than the whole insert."""
    days = -(-resolution_hours // 9)
    moment = created
    while days:
        moment += DAY
        if (moment // DAY + 3) % 7 < 5:  # 1970-01-01 was a Thursday (3, counting from Monday = 0)
            days -= 1
    return moment


def drop_indexes(conn: sqlite3.Connection, tables: Sequence[str]) -> list[str]:
    """Drop the schema's own indexes on `tables` and return their CREATE statements: building an index once over
    sorted keys beats updating eleven of them row by row (the schema itself is unchanged once they are back)."""
    rows = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({', '.join('?' * len(tables))}) ORDER BY rowid",
        list(tables),
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in rows]


@dataclass
class Counts:
    tickets: int = 0
    comments: int = 0
    internal: int = 0
    ccs: int = 0
    events: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    insert_times: list[tuple[str, float]] = field(default_factory=list)


def insert_tickets(conn: sqlite3.Connection, rng: random.Random, people: People, n: int, now: int) -> Counts:
    from portalctl.engine.search_index import stems

    customers = list(people.user_org)
    activity = [rng.paretovariate(1.2) for _ in customers]  # a few customers open most tickets
    statuses = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()), k=n)
    requesters = rng.choices(customers, activity, k=n)
    priorities = rng.choices(list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values()), k=n)
    types = rng.choices(TYPES, TYPE_WEIGHTS, k=n)
    plans = sorted(((*ticket_times(rng, status, now), status, requester)
                    for status, requester in zip(statuses, requesters, strict=True)),
                   key=lambda plan: plan[0])  # ids grow with creation time, as in a real portal
    languages = {
        "es": (SUBJECTS_ES, OPENING_ES, PROBLEM_ES, AGENT_ES, FOLLOW_ES),
        "en": (SUBJECTS_EN, OPENING_EN, PROBLEM_EN, AGENT_EN, FOLLOW_EN),
    }
    tag_counts = (0, 0, 1, 1, 2, 3)
    random_ = rng.random

    tickets: list[tuple[Any, ...]] = []
    comments: list[tuple[Any, ...]] = []
    fts: list[tuple[int, str, str]] = []
    ccs: list[tuple[int, int]] = []
    events: list[tuple[Any, ...]] = []
    last_closed: dict[int, tuple[int, int]] = {}  # requester -> (ticket id, closed at), for follow-ups
    counts = Counts()
    for ticket_id, (created, updated, resolved, closed, last, status, requester) in enumerate(plans, start=1):
        org = people.user_org[requester]
        lang = org.language
        subjects, openings, problems, replies, follow_ups = languages[lang]
        subject = fill(rng, pick(rng, subjects), lang)
        assignee = None if status == "new" and random_() < 0.8 else pick(rng, people.agent_ids)
        department = pick(rng, people.department_ids) if random_() < 0.9 else None
        tags = rng.sample(TAGS, pick(rng, tag_counts))
        fields: dict[str, Any] = {}
        if random_() < 0.6:
            fields["user_code"] = f"{1 + int(random_() * 9999):04d}"
        if random_() < 0.5:
            fields["channel"] = pick(rng, CHANNELS)
        follow_up = None
        previous = last_closed.get(requester)
        if previous and previous[1] < created and random_() < 0.05:
            follow_up = previous[0]
        tickets.append((
            ticket_id, subject, status, priorities[ticket_id - 1], types[ticket_id - 1], department, requester, org.id,
            assignee, json.dumps(tags, ensure_ascii=False) if tags else "[]",
            json.dumps(fields) if fields else "{}", follow_up, iso(created), iso(updated),
            iso(due_time(created, org.resolution_hours)),
            iso(resolved) if resolved is not None else None, iso(closed) if closed is not None else None,
        ))
        if closed is not None:
            last_closed[requester] = (ticket_id, closed)

        # the conversation: the requester's description, then agent replies and customer follow-ups
        first = f"{pick(rng, openings)}\n\n{sentences(rng, problems, 2 + int(random_() * 3), lang)}"
        thread = [(requester, first, 0)]
        if status != "new" and assignee is not None:
            thread.append((assignee, sentences(rng, replies, 1 + int(random_() * 2), lang), 0))
            if random_() < 0.25:
                thread.append((requester, pick(rng, follow_ups), 0))
            if random_() < 0.1:
                thread.insert(1, (assignee, pick(rng, NOTES), 1))
        elif random_() < 0.2:
            thread.append((requester, pick(rng, follow_ups), 0))
        step = (last - created) / max(len(thread) - 1, 1)
        for index, (author, body, internal) in enumerate(thread):
            moment = last if index == len(thread) - 1 else created + int(step * index)
            comments.append((ticket_id, author, body, internal, iso(moment)))
            counts.internal += internal
        public = "\n".join(stems(body) for _, body, internal in thread if not internal)
        fts.append((ticket_id, stems(subject), public))

        if random_() < 0.08 and len(org.users) > 1:
            others = [u for u in org.users if u != requester]
            for user in rng.sample(others, min(len(others), 1 + int(random_() * 2))):
                ccs.append((ticket_id, user))

        detail = f'{{"follow_up_of": {follow_up}}}' if follow_up else "{}"
        events.append((ticket_id, requester, "created", detail, iso(created)))
        if status != "new":
            actor = assignee or people.agent_ids[0]
            if status == "closed" and resolved is not None:
                events.append((ticket_id, actor, "status", '{"from": "open", "to": "resolved"}', iso(resolved)))
                events.append((ticket_id, None, "auto_closed", '{"after_hours": 48}', iso(closed or resolved)))
            else:
                events.append((ticket_id, actor, "status", STATUS_EVENTS[status], iso(updated)))
        counts.statuses[status] = counts.statuses.get(status, 0) + 1

    timings: list[tuple[str, float]] = []
    mark = time.perf_counter()
    indexes = drop_indexes(conn, ("tickets", "comments", "events", "ticket_ccs"))
    timings.append(("drop indexes", time.perf_counter() - mark))
    for table, sql, rows in (
        ("tickets", "INSERT INTO tickets (id, subject, status, priority, type, department_id, requester_id, org_id,"
         " assignee_id, tags, fields, follow_up_of, created_at, updated_at, due_at, resolved_at, closed_at)"
         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tickets),
        ("comments", "INSERT INTO comments (ticket_id, author_id, body, internal, created_at) VALUES (?, ?, ?, ?, ?)",
         comments),
        ("ticket_ccs", "INSERT INTO ticket_ccs (ticket_id, user_id) VALUES (?, ?)", ccs),
        ("events", "INSERT INTO events (ticket_id, actor_id, kind, detail, created_at) VALUES (?, ?, ?, ?, ?)",
         events),
        ("tickets_fts", "INSERT INTO tickets_fts (rowid, subject, body) VALUES (?, ?, ?)", fts),
    ):
        mark = time.perf_counter()
        conn.executemany(sql, rows)
        timings.append((f"insert {table}", time.perf_counter() - mark))
    mark = time.perf_counter()
    for sql in indexes:
        conn.execute(sql)
    timings.append(("recreate indexes", time.perf_counter() - mark))
    counts.insert_times = timings
    counts.tickets, counts.comments, counts.ccs, counts.events = len(tickets), len(comments), len(ccs), len(events)
    return counts


# --- knowledge base, in bulk --------------------------------------------------------------------------------------
def insert_articles(conn: sqlite3.Connection, rng: random.Random, n: int, now: int) -> tuple[int, int, int]:
    """Collections, folders and `n` articles (half Spanish), indexed as the engine indexes them."""
    from portalctl.engine.dialect import SQLite
    from portalctl.engine.lookups import slugify
    from portalctl.engine.search_index import article_terms

    folder_ids: list[int] = []
    for position, (name, folders) in enumerate(COLLECTIONS):
        collection = conn.execute(
            "INSERT INTO collections (name, slug, position) VALUES (?, ?, ?)", (name, slugify(name), position)
        ).lastrowid
        for folder_position, folder in enumerate(folders):
            folder_ids.append(int(conn.execute(
                "INSERT INTO folders (collection_id, name, slug, position) VALUES (?, ?, ?, ?)",
                (collection, folder, slugify(folder), folder_position),
            ).lastrowid or 0))
    rows = []
    for article_id in range(1, n + 1):
        lang = "es" if rng.random() < 0.5 else "en"
        es = lang == "es"
        title = fill(rng, pick(rng, TITLES_ES if es else TITLES_EN), lang)
        pool = ARTICLE_ES if es else ARTICLE_EN
        paragraphs = [sentences(rng, pool, rng.randint(2, 4), lang) for _ in range(rng.randint(2, 5))]
        steps = "\n".join(f"{i}. {fill(rng, pick(rng, pool), lang)}" for i in range(1, rng.randint(3, 6)))
        body = f"# {title}\n\n" + "\n\n".join(paragraphs) + f"\n\n## {'Pasos' if es else 'Steps'}\n\n{steps}\n"
        created = now - rng.randrange(SPAN_DAYS * DAY)
        updated = created + rng.randrange(now - created + 1)
        rows.append((
            article_id, pick(rng, folder_ids), title, body, lang,
            json.dumps(rng.sample(TAGS, rng.randint(0, 3)), ensure_ascii=False), f"{slugify(title)}-{article_id}",
            iso(created), iso(updated), rng.randrange(60), rng.randrange(15),
        ))
    conn.executemany(
        "INSERT INTO articles (id, folder_id, title, body, locale, labels, slug, created_at, updated_at, helpful,"
        " not_helpful) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany(SQLite.article_index, ((*article_terms(row[2], row[3], row[5], row[4]), row[0]) for row in rows))
    return len(COLLECTIONS), len(folder_ids), len(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = args.home.expanduser().resolve()
    os.environ["PORTALCTL_HOME"] = str(home)  # before portalctl.config is imported: every path hangs off it
    from portalctl.config import Profile, UserConfig, default_db
    from portalctl.engine.portal import Portal

    path = default_db()
    if path.exists():
        if not args.force:
            print(f"a portal already exists at {path}; pass --force to replace it", file=sys.stderr)
            return 1
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    anchor = anchor_time(args.now)
    now = int(anchor.timestamp())
    rng = random.Random(args.seed)
    started = time.perf_counter()
    phases: list[tuple[str, float]] = []

    # the accounts predate the tickets: the engine stamps them with this clock
    portal = Portal(path, create=True, clock=lambda: anchor - timedelta(days=SPAN_DAYS + 30))
    people = create_accounts(portal, rng, args.organizations, args.users)
    phases.append(("accounts (engine)", time.perf_counter() - started))

    conn = portal.conn
    conn.execute("PRAGMA synchronous = OFF")  # a fixture: if the machine dies mid-build, build it again
    conn.execute("PRAGMA cache_size = -262144")
    mark = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    try:
        counts = insert_tickets(conn, rng, people, args.tickets, now)
        inserting = sum(seconds for _, seconds in counts.insert_times)
        phases.append(("tickets: generate rows", time.perf_counter() - mark - inserting))
        phases += [(f"tickets: {label}", seconds) for label, seconds in counts.insert_times]
        mark = time.perf_counter()
        n_collections, n_folders, n_articles = insert_articles(conn, rng, args.articles, now)
        phases.append(("articles", time.perf_counter() - mark))
        mark = time.perf_counter()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    phases.append(("commit + checkpoint", time.perf_counter() - mark))
    portal.close()
    UserConfig().put(Profile(name="default", user=people.admin))
    total = time.perf_counter() - started

    statuses = ", ".join(f"{s} {counts.statuses.get(s, 0)}" for s in STATUS_WEIGHTS)
    rows = [
        ("portal", str(path)),
        ("size", f"{path.stat().st_size / 1e6:.1f} MB"),
        ("anchor (now)", iso(now)),
        ("seed", str(args.seed)),
        ("organizations", str(len(people.orgs))),
        ("users", f"{len(people.user_org)} customers, {len(people.agent_ids)} agents, 1 admin ({people.admin})"),
        ("departments", str(len(people.department_ids))),
        ("tickets", f"{counts.tickets} ({statuses})"),
        ("comments", f"{counts.comments} ({counts.internal} internal)"),
        ("ccs", str(counts.ccs)),
        ("events", str(counts.events)),
        ("articles", f"{n_articles} in {n_collections} collections, {n_folders} folders"),
        ("profile", f"default -> {people.admin} ({home / 'config' / 'config.json'})"),
    ]
    rows += [(f"time: {name}", f"{seconds:.2f} s") for name, seconds in phases]
    rows.append(("time: total", f"{total:.2f} s"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
