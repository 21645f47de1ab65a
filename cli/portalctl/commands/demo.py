"""`portalctl demo`: a narrated tour on a throwaway portal. Each step prints the command, then runs it."""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from portalctl import i18n
from portalctl.commands.context import app
from portalctl.demo_data import AGENTS, DOMAIN, sample_pdf
from portalctl.i18n import N_, _
from portalctl.iostreams import IOStreams
from portalctl.private import make_dirs

ADMIN = f"admin@{DOMAIN}"
CUSTOMER = "marta@andina.example"
PDF = sample_pdf()
CI_TEMPLATE = """\
description: A failed build; one open incident per branch, repeats reply to it.
subject: "Build failed on ${BRANCH:-main}"
body: "Pipeline ${PIPELINE} failed on ${BRANCH:-main}."
priority: high
type: incident
tags: [ci]
dedupe_key: "ci-${BRANCH:-main}"
on_duplicate: reply
"""


def tour(pdf: Path, workbook: Path) -> list[tuple[str, list[str]]]:
    """(what the step shows, the portalctl arguments). Ticket 7 is the first one the tour opens."""
    agent = AGENTS[0][0]
    return [
        (N_("Create a portal with demo companies, agents, departments, articles and tickets"),
         ["init", "--demo", "--email", ADMIN, "--name", "Demo Admin"]),
        (N_("Sign in as a customer of Importadora Andina, and as an agent"),
         ["auth", "login", "--name", "customer", "--user", CUSTOMER]),
        ("", ["auth", "login", "--name", "agent", "--user", agent]),
        (N_("The customer opens a ticket with the import-form fields and a PDF"),
         ["-p", "customer", "tickets", "create", "--department", "importaciones",
          "--subject", "Corregir factura del formulario 5413", "--body", "La factura adjunta reemplaza la anterior.",
          "--field", "user_code=0042", "--field", "forms=5413", "--field", "subtopic=Factura", "--attach", str(pdf)]),
        (N_("What the customer sees: her own tickets, and as her company's contact manager, all of its tickets"),
         ["-p", "customer", "tickets", "list"]),
        (N_("As contact manager she runs her company's users: who has access..."),
         ["-p", "customer", "contacts", "list"]),
        (N_("...a new colleague, who gets a temporary password to change at first sign-in"),
         ["-p", "customer", "contacts", "add", "luis@andina.example", "--name", "Luis Mora"]),
        ("", ["-p", "customer", "contacts", "reset", "luis@andina.example", "--temporary", "--yes"]),
        (N_("The agent reads it"), ["-p", "agent", "tickets", "show", "7"]),
        (N_("The agent answers: the ticket now awaits the customer (pending)"),
         ["-p", "agent", "tickets", "reply", "7", "--body", "Recibida. ¿Aplica también al formulario 5412?"]),
        (N_("An internal note, which the customer never sees"),
         ["-p", "agent", "tickets", "reply", "7", "--internal", "--body",
          _("Check with customs before changing 5412.")]),
        (N_("The customer replies: the ticket is open again"),
         ["-p", "customer", "tickets", "reply", "7", "--body", "Solo al 5413, gracias."]),
        (N_("The customer's view of the conversation (no internal note)"), ["-p", "customer", "tickets", "show", "7"]),
        (N_("The agent resolves it"), ["-p", "agent", "tickets", "reply", "7", "--status", "resolved",
                                   "--body", "Factura reemplazada en el formulario 5413."]),
        (N_("Resolved is reopenable..."), ["-p", "customer", "tickets", "reopen", "7"]),
        (N_("...closed is final"), ["-p", "customer", "tickets", "close", "7"]),
        (N_("A reply to a closed ticket is refused, with the way forward (exit code 5)"),
         ["-p", "customer", "tickets", "reply", "7", "--body", "Una cosa más"]),
        (N_("So the customer opens a follow-up that links the closed ticket"),
         ["-p", "customer", "tickets", "create", "--follow-up-of", "7", "--department", "importaciones",
          "--subject", "Seguimiento del formulario 5413", "--body", "Una cosa más", "--field", "user_code=0042"]),
        (N_("Tickets past their resolution time (24 business hours on each company's calendar)"),
         ["-p", "agent", "tickets", "list", "--overdue"]),
        (N_("JSON for scripts"), ["-p", "agent", "tickets", "list", "--status", "pending", "--columns",
                              "id,status,subject", "-o", "json"]),
        (N_("Search the knowledge base (accents optional)"), ["articles", "search", "facturacion electronica",
                                                           "--limit", "3"]),
        (N_("Read an article"), ["articles", "show", "1"]),
        (N_("Rate it"), ["-p", "customer", "articles", "rate", "1", "--helpful"]),
        (N_("A CI pipeline reports a failed build from a template (templates/ci-build-failure.yaml)"),
         ["-p", "agent", "tickets", "create", "--template", "ci-build-failure", "--var", "PIPELINE=311",
          "--columns", "id,created,subject"]),
        (N_("The same build fails again: the open ticket gets a reply instead of a twin"),
         ["-p", "agent", "tickets", "create", "--template", "ci-build-failure", "--var", "PIPELINE=312",
          "--columns", "id,created,subject"]),
        (N_("Every change as it happens (like tail -f; here the last three, from cursor 0)"),
         ["-p", "agent", "tickets", "watch", "--after", "0", "--count", "3"]),
        (N_("The customer chooses which e-mails the portal sends her"), ["-p", "customer", "me", "notifications",
                                                                    "--off", "attachment"]),
        (N_("Counts for the support lead"), ["-p", "agent", "tickets", "stats", "--by", "state", "--status", "all"]),
        (N_("Every ticket to Excel, with a Summary sheet and charts"),
         ["-p", "agent", "export", "tickets", "--status", "all", "-o", str(workbook)]),
    ]


@contextmanager
def throwaway_home(keep: bool) -> Iterator[Path]:
    """A fresh PORTALCTL_HOME for the tour, so the user's own portal and profiles are never touched."""
    saved = {k: os.environ.get(k) for k in ("PORTALCTL_HOME", "PORTALCTL_PROFILE", "PORTALCTL_USER")}
    home = Path(tempfile.mkdtemp(prefix="portalctl-demo-"))
    os.environ["PORTALCTL_HOME"] = str(home)
    os.environ.pop("PORTALCTL_PROFILE", None)
    os.environ.pop("PORTALCTL_USER", None)
    try:
        yield home
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


@click.command()
@click.option("--keep", is_flag=True, help="Keep the demo portal and print where it is.")
def demo(keep: bool) -> None:
    """Take a narrated tour on a throwaway demo portal: each command is printed, then run.

    Needs no terminal and no input; your own portal and profiles are not touched.

    \b
    Example:
      portalctl demo
      portalctl demo --keep     # then: PORTALCTL_HOME=<printed dir> portalctl tickets list
    """
    from portalctl.cli import root

    io = app().io
    with throwaway_home(keep) as home:
        pdf = home / "factura-5413.pdf"
        pdf.write_bytes(PDF)
        templates = make_dirs(home / "config" / "templates")  # private, as portalctl keeps its own folders
        (templates / "ci-build-failure.yaml").write_text(CI_TEMPLATE, encoding="utf-8")
        workbook = Path(tempfile.gettempdir()) / "portalctl-demo-tickets.xlsx"  # outlives the demo, to open it
        for step, (caption, args) in enumerate(tour(pdf, workbook), start=1):
            if caption:
                io.echo()
                io.echo(io.style(f"# {_(caption)}", fg="cyan"))
            io.echo(io.style("$ portalctl " + " ".join(shlex.quote(a) for a in args), bold=True))
            run(root, args, step, io)
        io.echo()
        if keep:
            io.echo(_("The demo portal is kept in {home}: PORTALCTL_HOME={quoted} portalctl ...").format(
                home=home, quoted=shlex.quote(str(home))))
        io.echo(_("The Excel export is {workbook}").format(workbook=workbook))
        io.echo(_("Tour done. Your own portal: portalctl init   ·   help: portalctl --help"))


def run(root: click.Group, args: list[str], step: int, io: IOStreams) -> None:
    """Run one step in this process, on the tour's I/O; a refusal the tour expects is shown, anything else stops it."""
    try:
        # each step speaks the tour's language (its throwaway home has no profile language to say it)
        root.main(args=["--lang", i18n.language(), *args], prog_name="portalctl", standalone_mode=False, obj=io)
    except click.ClickException as exc:
        exc.show(io.err)
        io.echo(_("(exit code {exit_code})").format(exit_code=exc.exit_code), err=True)
        if exc.exit_code != 5:
            raise click.ClickException(_("the demo stopped at step {step}").format(step=step)) from exc
