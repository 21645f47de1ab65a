"""Demo data for `portalctl demo` and `portalctl init --demo`, written for this project.

Three client companies (one with the import-form ticket fields of an import-documents portal, its own e-mail
domain and a contact manager), agents, departments of a hosting company, knowledge-base articles in Spanish and
English, and tickets in every state.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from portalctl.contract import TicketChanges, TicketDraft, TicketQuery
from portalctl.engine.portal import Portal, Session
from portalctl.model import FieldDef

DOMAIN = "demo.portalctl.test"
DEMO_URL = "http://127.0.0.1:8080"  # where `portalctl serve` listens by default: the demo mail's links
AGENTS = [(f"lucia@{DOMAIN}", "Lucía Fernández"), (f"tomas@{DOMAIN}", "Tomás Herrera")]
ORGS = [
    # name, timezone, shared tickets, business hours, country, e-mail domains (sign-ups from them land there)
    ("Importadora Andina", "America/Bogota", False, "mon-fri 08:00-17:00", "CO", ["andina.example"]),
    ("Costa Azul Viajes", "America/Mexico_City", True, "mon-fri 09:00-18:00; sat 09:00-13:00", "MX", []),
    ("Hostal Norte", "Europe/Madrid", False, "mon-fri 09:00-18:00", "ES", []),
]
MANAGERS = ["marta@andina.example"]  # Importadora Andina's contact manager: `portalctl contacts`
CUSTOMERS = [
    ("marta@andina.example", "Marta Quintero", "importadora-andina"),
    ("jorge@andina.example", "Jorge Salas", "importadora-andina"),
    ("paula@costaazul.example", "Paula Ríos", "costa-azul-viajes"),
    ("diego@costaazul.example", "Diego Luna", "costa-azul-viajes"),
    ("ines@hostalnorte.example", "Inés Martín", "hostal-norte"),
]
DEPARTMENTS = [
    ("Importaciones", "Formularios de importación: CRE, CFS, IAG, facturas"),
    ("Soporte Páginas Web", "WordPress, Joomla, diseño"),
    ("Soporte Moodle", "Cursos, certificados, plataforma educativa"),
    ("Soporte Otros Servicios", "Dominios, correos, accesos"),
    ("Soporte Administrativo", "Facturas, contratos, servicios"),
    ("Soporte Ventas", "Compra de servicios y productos"),
]
FIELDS = [
    FieldDef("user_code", "Código de usuario", "text", True, [], r"\d{4}", True, "importaciones",
             "the 4-digit code assigned to the importing company"),
    FieldDef("forms", "Formulario(s)", "text", False, [], r"\d{4}(,\s*\d{4})*", True, "importaciones",
             "form numbers, comma-separated, e.g. 5412,5413"),
    FieldDef("forms_count", "Cantidad de formularios", "number", False, [], None, True, "importaciones", None),
    FieldDef("subtopic", "Subtema", "choice", False, ["CRE", "CFS", "IAG", "Factura"], None, True, "importaciones",
             None),
    FieldDef("requirement", "Requerimiento", "choice", False, ["Cambio de documento", "Rectificación", "Falla técnica"],
             None, True, "importaciones", None),
    FieldDef("country", "País", "choice", False, ["CO", "MX", "ES", "PE"], None, False, None,
             "set by the support team"),
    FieldDef("incident_status", "Estado de incidencia", "choice", False,
             ["Esperando creación", "Incidencia en progreso", "Incidencia completada", "No requiere incidencia"],
             None, False, None, "the engineering incident behind the ticket"),
]


def load_demo(portal: Portal, *, admin: str) -> None:
    """Fill a new portal (whose first admin is `admin`) with the demo world."""
    boss = portal.session(admin)
    accounts = boss.accounts
    for name, timezone, shared, hours, country, domains in ORGS:
        accounts.add_organization(name=name, timezone=timezone, shared_tickets=shared, business_hours=hours,
                                  country=country, domains=domains)
    for email, name in AGENTS:
        accounts.add_user(email=email, name=name, role="agent")
    for email, name, org in CUSTOMERS:
        accounts.add_user(email=email, name=name, organization=org, manager=email in MANAGERS)
    for name, description in DEPARTMENTS:
        accounts.add_department(name=name, description=description)
    for definition in FIELDS:
        accounts.add_field(definition)
    load_articles(boss)
    load_tickets(portal)
    # a service interruption announced for the week, so the banner shows before the first `tickets` command
    accounts.add_notice(title="Mantenimiento programado del portal", severity="warning",
                        body="El sábado de 22:00 a 23:00 (UTC) el portal no estará disponible.",
                        ends=(portal.clock() + timedelta(days=7)).isoformat())
    load_notification(portal)


def load_notification(portal: Portal) -> None:
    """A reminder from the agent today: Marta (who reads Spanish) has its notification waiting in the outbox, as a
    server with no mail relay keeps it for its admins (the stories before it are history, never mailed)."""
    from portalctl.engine.notifications import collect, skip_history

    skip_history(portal)
    marta = portal.session("marta@andina.example")
    marta.accounts.update_me(language="es")
    waiting = next(t for t in marta.tickets.list(TicketQuery(statuses=["pending"])) if "IAG" in t.subject)
    portal.session(AGENTS[0][0]).tickets.reply(waiting.id, body="Le recordamos que necesitamos la nueva partida "
                                                                "para continuar con la rectificación.")
    collect(portal, public_url=DEMO_URL)


def load_articles(session: Session) -> None:
    from portalctl.kbimport import read_articles

    for article in read_articles(Path(__file__).parent / "data" / "articles"):
        session.articles.add(**article)


def load_tickets(portal: Portal) -> None:
    """Tickets in every state, opened days apart so due times and overdue flags differ (each story runs at the
    moment it was opened; the resolved one is recent enough not to have closed by itself)."""
    real_clock = portal.clock
    marta, paula, ines = (portal.session(e) for e in ("marta@andina.example", "paula@costaazul.example",
                                                        "ines@hostalnorte.example"))
    lucia = portal.session(AGENTS[0][0])
    stories = [
        (12, marta, dict(subject="Cambio de valor FOB en formulario 5412", department="importaciones", priority="high",
                     fields={"user_code": "0042", "forms": "5412", "forms_count": "1", "subtopic": "CRE",
                             "requirement": "Cambio de documento"},
                     body="El valor FOB quedó en 12.500 y debe ser 12.050. Adjuntaremos la factura corregida."),
         ["agent:Recibido, lo revisamos hoy.", "customer:Gracias, quedo atenta."]),
        (9, marta, dict(subject="Rectificación IAG 7781", department="importaciones",
                     fields={"user_code": "0042", "forms": "7781", "subtopic": "IAG", "requirement": "Rectificación"},
                     body="Necesitamos rectificar la partida arancelaria."),
         ["agent:¿Nos confirma la nueva partida?"]),
        (1, paula, dict(subject="El certificado del curso no se descarga", department="soporte-moodle",
                     type="incident", body="Al pulsar Descargar aparece un error 500."),
         ["agent:Corregido en el servidor, pruebe de nuevo.", "resolve"]),
        (15, paula, dict(subject="Renovación del dominio costaazul.example", department="soporte-otros-servicios",
                     body="Queremos renovar por dos años."),
         ["agent:Renovado hasta 2028.", "resolve", "close"]),
        (4, ines, dict(subject="La web muestra una página en blanco", department="soporte-paginas-web",
                    priority="urgent", type="incident", body="Desde esta mañana la portada sale en blanco."),
         ["hold"]),
        (6, ines, dict(subject="Copy of the March invoice", department="soporte-administrativo", type="question",
                    body="Could you send the March invoice again? We lost the e-mail."), []),
    ]
    for days_ago, customer, ticket, steps in stories:
        opened = real_clock() - timedelta(days=days_ago)
        portal.clock = lambda opened=opened: opened  # type: ignore[misc]
        created = customer.tickets.create(TicketDraft(**ticket))  # type: ignore[arg-type]
        for step in steps:
            kind, _, text = step.partition(":")
            if kind == "agent":
                lucia.tickets.reply(created.id, body=text)
            elif kind == "customer":
                customer.tickets.reply(created.id, body=text)
            elif kind == "hold":
                lucia.tickets.update(created.id, TicketChanges(status="on_hold", assignee=AGENTS[1][0]))
            elif kind == "resolve":
                lucia.tickets.update(created.id, TicketChanges(status="resolved"))
            elif kind == "close":
                customer.tickets.close(created.id)
    portal.clock = real_clock


def sample_pdf(padding: int = 0) -> bytes:
    """A small valid PDF (one blank page; a cross-reference table its trailer points at), `padding` bytes of
    comment longer: the demo's attachment, and what tests attach where a real PDF is needed."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>"]
    out = bytearray(b"%PDF-1.4\n")
    if padding:
        out += b"%" + b"0" * max(0, padding - 2) + b"\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
