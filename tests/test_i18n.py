"""portalctl in Spanish and English: the catalog is complete and current, the language comes from --lang, then
PORTALCTL_LANG, the profile, the locale; what people read follows it (help, messages, errors, tables, plurals,
dates, the demo, Excel, man pages, completion) and what programs read does not (JSON, CSV keys, exit codes).

Spanish dates and numbers are held against CLDR's, through Babel (babel.dates, babel.numbers), which nobody here
wrote."""

from __future__ import annotations

import csv
import functools
import importlib.util
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import Result
from openpyxl import load_workbook

from portalctl import i18n
from portalctl.config import UserConfig
from portalctl.contract import TicketDraft
from portalctl.engine.portal import Portal
from portalctl.exitcodes import ExitCode
from portalctl.output.localformat import date_time, number
from tests.conftest import AGENT, ANA

Cli = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[1]
SPANISH = {"LANG": "es_CO.UTF-8"}


@functools.cache
def catalog_tool() -> ModuleType:
    """scripts/i18n.py, the tool that builds the catalogs (Babel), as a module."""
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_message_has_a_spanish_translation_and_the_catalog_is_current() -> None:
    """Re-extracts the messages from the code (and click's) and compares: a message missing from the .po, left
    untranslated or fuzzy, one the code no longer has, a translation whose {fields} differ, an f-string where a
    message belongs, or a .mo older than its .po all fail here."""
    tool = catalog_tool()
    found = tool.extract()
    assert len(found.messages) > 1000
    assert tool.problems("es", found) == []


def test_the_completeness_check_fails_on_a_new_untranslated_message() -> None:
    tool = catalog_tool()
    found = tool.extract()
    tool.portalctl_messages('from portalctl.i18n import _\nprint(_("A brand new message"))\n', "new.py", found)
    tool.portalctl_messages('import click\nclick.option("--x", help=f"{1} items")\n', "bad.py", found)
    tool.portalctl_messages('from portalctl.i18n import _\n_("{path}: no {key}").format(path=1, map=2)\n', "keys.py",
                            found)
    problems = tool.problems("es", found)
    assert "es: not in the catalog (run update): 'A brand new message'" in problems
    assert "bad.py:2: help= is an f-string; use i18n.formatted()" in problems
    assert "keys.py:2: .format() leaves key unfilled" in problems


def run(cli: Cli, *args: str, env: dict[str, str] | None = None, **options: object) -> Result:
    return cli(*args, env=env or {}, **options)


# --- which language ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("env", "args", "spanish"), [
    ({}, (), False),
    ({"LANG": "es_CO.UTF-8"}, (), True),
    ({"LANG": "es_MX"}, (), True),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "es_ES.UTF-8"}, (), True),
    ({"LANG": "es_CO.UTF-8", "LC_ALL": "C"}, (), False),  # LC_ALL decides, as in POSIX
    ({"LANG": "es_CO.UTF-8", "PORTALCTL_LANG": "en"}, (), False),
    ({"LANG": "en_US.UTF-8", "PORTALCTL_LANG": "es"}, (), True),
    ({"PORTALCTL_LANG": "en"}, ("--lang", "es"), True),
    ({"LANG": "es_CO.UTF-8"}, ("--lang", "en"), False),
])
def test_the_language_comes_from_the_flag_then_the_setting_then_the_locale(
        cli: Cli, env: dict[str, str], args: tuple[str, ...], spanish: bool) -> None:
    result = run(cli, *args, "--help", env=env)
    assert result.exit_code == 0
    assert result.output.startswith("Uso: ") is spanish
    assert ("Opciones:" in result.output) is spanish and ("Options:" in result.output) is not spanish


def test_the_profiles_language_wins_over_the_locale_and_me_update_keeps_it(cli: Cli, portal: Portal) -> None:
    assert run(cli, "auth", "login", "--name", "ana", "--user", ANA).exit_code == 0
    updated = run(cli, "me", "update", "--language", "es", env={"LANG": "en_US.UTF-8"})
    assert updated.exit_code == 0
    assert UserConfig().get("ana").options["language"] == "es"
    assert run(cli, "--help", env={"LANG": "en_US.UTF-8"}).output.startswith("Uso: ")  # before any settings load
    assert run(cli, "tickets", "list", env={"LANG": "en_US.UTF-8"}).stderr.startswith("Ningún ticket coincide.")
    assert run(cli, "tickets", "list", env={"PORTALCTL_LANG": "en"}).stderr.startswith("No tickets match.")


def test_the_quick_look_for_a_language_setting_reads_the_files_the_settings_read(
        home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from portalctl.config import config_dir

    assert i18n.user_config_file() == str(config_dir() / "config.json")
    monkeypatch.delenv("PORTALCTL_HOME")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert i18n.user_config_file() == str(config_dir() / "config.json")
    assert not i18n.settings_name_a_language()
    Path(".portalctl.toml").write_text('lang = "es"\n')
    assert i18n.settings_name_a_language() and i18n.found_language() == "es"


def test_a_language_portalctl_does_not_speak_is_a_usage_error(cli: Cli) -> None:
    result = run(cli, "--lang", "fr", "tickets", "list")
    assert result.exit_code == ExitCode.USAGE
    assert "'fr' is not a language portalctl speaks: use es or en" in result.stderr


def test_english_reads_no_catalog(cli: Cli) -> None:
    i18n.catalog.cache_clear()
    assert run(cli, "tickets", "create", "--help").exit_code == 0
    assert i18n.catalog.cache_info().currsize == 0
    assert run(cli, "--lang", "es", "tickets", "create", "--help").exit_code == 0
    assert i18n.catalog.cache_info().currsize == 1


def test_one_process_switches_languages_between_runs(cli: Cli) -> None:
    """Help texts are translated when click reads them, not when the commands are built: a Spanish run leaves no
    Spanish behind for the next English one (tests and the demo run many command lines in one process)."""
    spanish = run(cli, "tickets", "reply", "--help", env=SPANISH).output
    english = run(cli, "tickets", "reply", "--help").output
    assert "Responder un ticket" in spanish and "Mostrar este mensaje y salir." in spanish
    assert "Answer a ticket" in english and "Show this message and exit." in english
    assert "Responder" not in english


# --- what people read -------------------------------------------------------------------------------------------
def test_messages_errors_and_hints_follow_the_language(cli: Cli, portal: Portal) -> None:
    made = run(cli, "tickets", "create", "--subject", "Factura rechazada", "--body", "x", user=ANA, env=SPANISH)
    assert made.exit_code == 0
    assert made.stderr.startswith("Se creó el ticket #1: Factura rechazada")
    portal.session(AGENT).tickets.close(1)
    refused = run(cli, "tickets", "reply", "1", "--body", "otra cosa", user=ANA, env=SPANISH)
    assert refused.exit_code == ExitCode.CONFLICT
    assert refused.stderr.splitlines() == [
        "Error: el ticket #1 está cerrado; no admite más respuestas",
        "Sugerencia: abra un seguimiento: portalctl tickets create --follow-up-of 1 --subject ... --body ...",
    ]
    english = run(cli, "tickets", "reply", "1", "--body", "one more thing", user=ANA)
    assert english.exit_code == ExitCode.CONFLICT
    assert english.stderr.startswith("Error: ticket #1 is closed; it takes no more replies\nHint: open a follow-up")


def test_clicks_own_errors_are_in_spanish_too(cli: Cli) -> None:
    result = run(cli, "tickets", "list", "--limit", "many", env=SPANISH)
    assert result.exit_code == ExitCode.USAGE
    assert "tickets list [OPTIONS]" in result.stderr and result.stderr.startswith("Uso: ")
    assert "tickets list --help' para ver la ayuda." in result.stderr
    assert "Error: Valor no válido para '-L' / '--limit': 'many' no es un integer range válido." in result.stderr
    unknown = run(cli, "tickets", "lst", env=SPANISH)
    assert "Error: comando desconocido 'lst'; ¿quiso decir 'list'?" in unknown.stderr


def test_tables_show_states_headers_and_dates_in_spanish_but_json_stays_the_same(cli: Cli, portal: Portal) -> None:
    portal.session(ANA).tickets.create(TicketDraft(subject="VPN caída", body="x", priority="high"))
    portal.session(AGENT).tickets.reply(1, body="¿Desde cuándo?")  # pending: "Esperando su respuesta"
    table = run(cli, "tickets", "list", user=AGENT, env=SPANISH).stdout
    header, row = table.splitlines()
    assert header.split()[:4] == ["ID", "ESTADO", "PRIORIDAD", "DEPARTAMENTO"]
    assert "Esperando su respuesta" in row and "Alta" in row
    month = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")[
        datetime.now().month - 1]
    assert f" {month} " in row  # off a terminal: the absolute local time, `4 dic 2026 15:30`
    assert "pending" in run(cli, "tickets", "list", user=AGENT).stdout  # English shows the value itself
    as_json = [run(cli, "tickets", "list", "-o", "json", user=AGENT, env=env).stdout for env in (SPANISH, {})]
    assert as_json[0] == as_json[1] and json.loads(as_json[0])[0]["status"] == "pending"


def test_plurals_are_right_in_both_languages(cli: Cli, portal: Portal, tmp_path: Path) -> None:
    portal.session(ANA).tickets.create(TicketDraft(subject="Uno", body="x"))
    for count, english, spanish in ((1, "Exported 1 ticket to", "1 ticket exportado a"),
                                    (2, "Exported 2 tickets to", "2 tickets exportados a")):
        if count == 2:
            portal.session(ANA).tickets.create(TicketDraft(subject="Dos", body="x"))
        target = tmp_path / f"t{count}.csv"
        assert run(cli, "export", "tickets", "-o", str(target), user=ANA).stderr.startswith(english)
        assert run(cli, "export", "tickets", "-o", str(target), user=ANA, env=SPANISH).stderr.startswith(spanish)


def test_csv_keys_stay_and_excel_labels_follow_the_language(cli: Cli, portal: Portal, tmp_path: Path) -> None:
    portal.session(ANA).tickets.create(TicketDraft(subject="Factura", body="x"))
    outputs = [run(cli, "export", "tickets", "-o", "-", "--format", "csv", user=ANA, env=env).stdout
               for env in (SPANISH, {})]
    assert next(csv.reader(io.StringIO(outputs[0])))[:3] == ["id", "subject", "status"]
    assert outputs[0] == outputs[1]
    workbook = tmp_path / "informe.xlsx"
    assert run(cli, "export", "tickets", "-o", str(workbook), user=ANA, env=SPANISH).exit_code == 0
    book = load_workbook(workbook)
    assert book.sheetnames == ["Tickets", "Resumen"]
    headers = [cell.value for cell in book["Tickets"][1]]
    assert headers[:3] == ["ID", "Asunto", "Estado"]
    assert any(str(h).startswith("Creado (") for h in headers)
    assert book["Tickets"]["C2"].value == "new"  # cells are data
    summary = [[cell.value for cell in row] for row in book["Resumen"].iter_rows(max_col=2)]
    assert summary[0] == ["Tickets", 1] and ["Estado", "Tickets"] in summary and ["Nuevo", 1] in summary


def test_stats_chart_progress_words_and_help_of_every_option_are_spanish(cli: Cli, portal: Portal) -> None:
    from portalctl.commands.stats import bar_chart
    from portalctl.iostreams import IOStreams

    with i18n.using("es"):
        chart = bar_chart([("new", 1234), ("pending", 2)], "Tickets por estado", "state",
                          IOStreams.fake(width=60))
    lines = chart.splitlines()
    assert lines[1].startswith("Nuevo ") and lines[1].endswith(" 1.234")
    assert lines[2].startswith("Esperando su respuesta ")
    assert lines[3].startswith("total ") and lines[3].endswith("1.236")
    help_text = " ".join(run(cli, "tickets", "list", "--help", env=SPANISH).output.split())
    assert "Tickets con cualquiera de estas etiquetas. Separados por comas o repetidos." in help_text
    assert "Campos a mostrar, separados por comas (predeterminados en la tabla:" in help_text
    assert "(predeterminado: todos excepto los cerrados)" in help_text


def test_every_record_field_has_a_table_header_in_the_catalog() -> None:
    """A table's header is its key's words (`updated_at`: UPDATED AT), translated: every field a record has must
    be in render.HEADERS, where the extraction finds it."""
    import dataclasses

    from portalctl import model
    from portalctl.output.render import HEADERS

    records = [cls for cls in vars(model).values() if isinstance(cls, type) and dataclasses.is_dataclass(cls)]
    keys = {field.name for cls in records for field in dataclasses.fields(cls)}
    assert {key.upper().replace("_", " ") for key in keys} - set(HEADERS) == set()


def test_man_pages_are_written_in_the_language(cli: Cli, tmp_path: Path) -> None:
    assert run(cli, "help", "--man", str(tmp_path), env=SPANISH).exit_code == 0
    page = (tmp_path / "portalctl-tickets-reply.1").read_text(encoding="utf-8")
    assert ".SH SINOPSIS" in page and ".SH OPCIONES" in page and "Responder un ticket" in page


def test_spanish_dates_and_numbers_are_cldrs() -> None:
    from babel.dates import format_datetime
    from babel.numbers import format_decimal

    with i18n.using("es"):
        for month in range(1, 13):
            moment = datetime(2026, month, 4, 15, 30)
            assert date_time(moment) == format_datetime(moment, "d MMM y HH:mm", locale="es")
        for value in (7, 1234, 1234567):
            assert number(value) == format_decimal(value, locale="es_CO" if value < 10000 else "es")
    with i18n.using("en"):
        assert date_time(datetime(2026, 12, 4, 15, 30)) == "2026-12-04 15:30" and number(1234) == "1,234"
    with i18n.using("es"):
        assert date_time(datetime(2026, 12, 4, 15, 30)) == "4 dic 2026 15:30" and number(1234) == "1.234"


def test_completion_descriptions_are_translated(portal: Portal) -> None:
    env = {**os.environ, "PORTALCTL_USER": ANA, "LANG": "es_CO.UTF-8", "_PORTALCTL_COMPLETE": "zsh_complete",
           "COMP_WORDS": "portalctl tickets list --status ", "COMP_CWORD": "4"}
    done = subprocess.run([sys.executable, "-m", "portalctl"], capture_output=True, text=True, env=env, timeout=60)
    assert "pending\nEsperando su respuesta" in done.stdout
    env["COMP_WORDS"], env["COMP_CWORD"] = "portalctl tick", "1"
    done = subprocess.run([sys.executable, "-m", "portalctl"], capture_output=True, text=True, env=env, timeout=60)
    assert "tickets\nAbrir, seguir, responder y cerrar tickets." in done.stdout


def test_the_demo_narrates_in_spanish_under_a_spanish_locale(tmp_path: Path) -> None:
    env = {**os.environ, "CI": "true", "PORTALCTL_HOME": str(tmp_path / "mine"), "PORTALCTL_KEYRING": "0",
           "LANG": "es_CO.UTF-8"}
    env.pop("LC_ALL", None)
    result = subprocess.run([sys.executable, "-m", "portalctl", "demo"], capture_output=True, text=True, env=env,
                            stdin=subprocess.DEVNULL, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "# El cliente abre un ticket con los campos del formulario de importación y un PDF" in result.stdout
    assert "Recorrido terminado." in result.stdout
    assert "(código de salida 5)" in result.stderr
    assert "Error: el ticket #7 está cerrado; no admite más respuestas" in result.stderr
