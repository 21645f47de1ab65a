"""Ticket templates as a user meets them: `portalctl templates ...` through click's runner, the example templates
validated and, for the import form and the outage, opened on a real demo portal.

Every failure is checked for what the user reads: the exit code, and a message naming the file, the line and the key.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from portalctl.config import default_db
from portalctl.engine.portal import Portal
from portalctl.errors import InvalidInput
from portalctl.exitcodes import ExitCode
from portalctl.templates.loading import load_template
from portalctl.templates.lookup import render_ticket
from portalctl.templates.rendered import RenderedTicket

Cli = Callable[..., Result]
EXAMPLES = Path(__file__).parent.parent / "examples" / "templates"
MARTA = "marta@andina.example"  # demo customer of Importadora Andina (import-form fields)
INES = "ines@hostalnorte.example"  # demo customer of a hosted website


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rendered(cli: Cli, ref: str, *args: str, **options: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(cli("templates", "render", ref, *args, "-o", "json", **options)).stdout)
    return data


def refused(result: Result, code: int, *fragments: str) -> str:
    """The error text, after checking the exit code and that each fragment is in it."""
    assert result.exit_code == code, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in {result.stderr!r}"
    return result.stderr


# --- variables -----------------------------------------------------------------------------------------------------


class TestVariables:
    def test_values_defaults_and_escapes_fill_every_string(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", (
            'subject: "${WHO} ${WHAT:-broke} $${NOT_A_VAR} ${EMPTY:-fallback} cost $5"\n'
            "body: |\n  Dear ${WHO},\n  see ${WHERE:-the log}.\n"
            "tags: ['team-${WHO}']\n"
            "ccs: ['${WHO}@example.test']\n"
            "fields: {forms: '${FORM:-5412}', count: 3}\n"
            "dedupe_key: k-${WHO}\n"
        ))
        data = rendered(cli, str(path), "--var", "WHO=ana", "--var", "EMPTY=")
        assert data["subject"] == "ana broke ${NOT_A_VAR} fallback cost $5"
        assert data["body"] == "Dear ana,\nsee the log.\n"
        assert (data["tags"], data["ccs"], data["dedupe_key"]) == (["team-ana"], ["ana@example.test"], "k-ana")
        assert data["fields"] == {"forms": "5412", "count": "3"}

    def test_built_ins_give_today_now_hostname_and_user(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", "subject: ${today}|${now}|${hostname}|${user}\n")
        today, now, host, user = rendered(cli, str(path))["subject"].split("|")
        assert today == date.today().isoformat()
        assert now.startswith(today[:4]) and now.endswith("Z") and "T" in now
        assert host == socket.gethostname()
        assert user

    def test_precedence_var_then_vars_file_then_environment_then_built_ins(self, home: Path, cli: Cli) -> None:
        work = home.parent / "work"
        path = write(work, "t.yaml", "variables: [A, B, C, {name: D, default: declared}, today]\n"
                                     "subject: ${A}/${B}/${C}/${D}/${today}\n")
        vars_file = write(work, "vars.yaml", "A: from-file\nB: from-file\n")
        env = {"A": "from-env", "B": "from-env", "C": "from-env", "today": "from-env"}
        data = rendered(cli, str(path), "--var", "A=from-var", "--vars-file", str(vars_file), env=env)
        assert data["subject"] == "from-var/from-file/from-env/declared/from-env"
        assert rendered(cli, str(path), "--var", "D=given", env=env)["subject"].endswith("/given/from-env")

    def test_an_undeclared_environment_variable_is_never_copied_into_the_ticket(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", "subject: CI failed\nbody: |\n  log\n  token ${GITHUB_TOKEN}\n")
        result = cli("templates", "render", str(path), env={"GITHUB_TOKEN": "ghp_s3cret"})
        error = refused(result, ExitCode.USAGE, f"{path}:4: key 'body': variable 'GITHUB_TOKEN' is not set",
                        "does not declare it", "variables: [GITHUB_TOKEN]")
        assert "ghp_s3cret" not in error + result.stdout
        created = cli("--no-input", "tickets", "create", "--template", str(path), env={"GITHUB_TOKEN": "ghp_s3cret"})
        refused(created, ExitCode.USAGE, "GITHUB_TOKEN")
        with_default = write(home.parent / "work", "d.yaml", "subject: t ${GITHUB_TOKEN:-none}\nbody: b\n")
        assert rendered(cli, str(with_default), env={"GITHUB_TOKEN": "ghp_s3cret"})["subject"] == "t none"

    def test_declared_variables_have_defaults_and_show_lists_them(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml",
                     "variables:\n  - {name: SERVICE, description: what is down}\n"
                     "  - {name: LEVEL, default: high}\nsubject: ${SERVICE} ${LEVEL}\nbody: b\n")
        assert rendered(cli, str(path), env={"SERVICE": "www"})["subject"] == "www high"
        assert rendered(cli, str(path), env={"SERVICE": "www", "LEVEL": "low"})["subject"] == "www low"
        shown = ok(cli("templates", "show", str(path)))
        assert shown.stdout == path.read_text(encoding="utf-8")
        assert "SERVICE: what is down" in shown.stderr and "LEVEL (default: high)" in shown.stderr

    @pytest.mark.parametrize(("declaration", "fragment"), [
        ("variables: {A: 1}", "key 'variables' must be a list"),
        ("variables: [{name: A, dflt: 1}]", "unknown key 'dflt' under variables"),
        ("variables: [A, A]", "'A' is declared twice"),
        ("variables: [PORTALCTL_TOKEN]", "'PORTALCTL_TOKEN' is not a variable name"),
    ])
    def test_bad_declarations_name_the_line(self, home: Path, cli: Cli, declaration: str, fragment: str) -> None:
        path = write(home.parent / "work", "t.yaml", f"subject: s\n{declaration}\n")
        refused(cli("templates", "validate", str(path)), ExitCode.USAGE, f"{path}:2", fragment)

    def test_portalctl_settings_are_not_template_variables(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", "subject: leak ${PORTALCTL_TOKEN}\n")
        refused(cli("templates", "render", str(path), env={"PORTALCTL_TOKEN": "s3cret"}), ExitCode.USAGE,
                f"{path}:1: key 'subject': variable 'PORTALCTL_TOKEN' is not set")
        assert rendered(cli, str(path), "--var", "PORTALCTL_TOKEN=given")["subject"] == "leak given"

    def test_yaml_vars_files_keep_values_as_written_and_later_files_win(self, home: Path, cli: Cli) -> None:
        work = home.parent / "work"
        path = write(work, "t.yaml", "subject: ${CODE} ${COUNT} ${FLAG} ${NOTHING}|${LAST}\n")
        first = write(work, "a.yml", "CODE: 0042\nCOUNT: 3\nFLAG: yes\nNOTHING: ~\nLAST: first\n")
        second = write(work, "b.json", '{"LAST": "second"}\n')
        data = rendered(cli, str(path), "--vars-file", str(first), "--vars-file", str(second))
        assert data["subject"] == "0042 3 yes |second"

    def test_dotenv_vars_files_and_stdin(self, home: Path, cli: Cli) -> None:
        work = home.parent / "work"
        path = write(work, "t.yaml", "subject: ${A}-${B}-${C}\n")
        env_file = write(work, "ci.env", "# pipeline\nexport A=one\nB='two words'\nC=\"three\"\n")
        assert rendered(cli, str(path), "--vars-file", str(env_file))["subject"] == "one-two words-three"
        assert rendered(cli, str(path), "--vars-file", "-", input="A=x\nB=y\nC=z\n")["subject"] == "x-y-z"
        assert rendered(cli, str(path), "--vars-file", "-", input="A: p\nB: q\nC: r\n")["subject"] == "p-q-r"

    def test_a_missing_variable_names_the_file_line_key_and_variable(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", "subject: ok\nbody: |\n  line one\n  for ${NOBODY_SETS_THIS}\n"
                                                     "fields:\n  forms: ${FORMS_UNSET}\n")
        refused(cli("templates", "render", str(path)), ExitCode.USAGE,
                f"{path}:4: key 'body': variable 'NOBODY_SETS_THIS' is not set", "--var NOBODY_SETS_THIS=VALUE")
        refused(cli("templates", "render", str(path), "--var", "NOBODY_SETS_THIS=x"), ExitCode.USAGE,
                f"{path}:6: key 'fields.forms': variable 'FORMS_UNSET' is not set")

    def test_a_body_file_is_read_relative_to_the_template_and_substituted(self, home: Path, cli: Cli) -> None:
        folder = home.parent / "work" / "tpl"
        write(folder / "bodies", "outage.md", "Service ${SVC} is down.\nSee ${RUNBOOK_UNSET}\n")
        path = write(folder, "t.yaml", "subject: s\nbody_file: bodies/outage.md\n")
        refused(cli("templates", "render", str(path), "--var", "SVC=web"), ExitCode.USAGE,
                f"{folder / 'bodies' / 'outage.md'}:2: key 'body_file': variable 'RUNBOOK_UNSET' is not set")
        body = rendered(cli, str(path), "--var", "SVC=web", "--var", "RUNBOOK_UNSET=wiki")["body"]
        assert body == "Service web is down.\nSee wiki\n"


# --- errors --------------------------------------------------------------------------------------------------------


BAD_TEMPLATES = [
    ("subject: s\npriorty: high\n", 2, ["unknown key 'priorty'", "known: subject, body", "did you mean 'priority'"]),
    ("subject: s\ntags: ci\n", 2, ["key 'tags' must be a list of strings, not a string"]),
    ("subject: s\ntags:\n  - ci\n  - 42\n", 4, ["key 'tags[1]' must be a string, not a int (42)", "quotes"]),
    ("subject: s\nfields: [a, b]\n", 2, ["key 'fields' must be a mapping"]),
    ("subject: s\nfields:\n  forms: [1, 2]\n", 3, ["key 'fields.forms' must be a single value, not a list"]),
    ("subject: s\nfields:\n  forms:\n", 3, ["key 'fields.forms' must be a single value, not empty"]),
    ("subject: [a]\n", 1, ["key 'subject' must be a string, not a list"]),
    ("subject: s\npriority: hihg\n", 2, ["key 'priority': 'hihg' is not one of low, medium, high, urgent"]),
    ("subject: s\non_duplicate: merge\n", 2, ["key 'on_duplicate': 'merge' is not one of reply, skip, new"]),
    ("subject: s\nbody: b\nbody_file: b.md\n", 3, ["key 'body_file': give body or body_file, not both"]),
    ("subject: s\nsubject: t\n", 2, ["duplicate key 'subject'"]),
    ("subject: s\nbody: 'cost ${1X}'\n", 2, ["key 'body': malformed variable reference", "$${"]),
    ("subject: s\nbody: [unclosed\n", 3, ["not valid YAML"]),
    ("subject: s\n  bad indent: x\n", 2, ["not valid YAML"]),
    ("subject: s\ntags: [ci, ${TEAM}]\n", 2, ["not valid YAML", "put values that use ${...} in quotes"]),
    ("- subject: s\n", 1, ["a template is a mapping of keys", "not a list"]),
    ("# nothing but a comment\n", None, ["not an empty document"]),
    ("subject: s\n---\nsubject: t\n", 2, ["not valid YAML", "single document"]),
]


class TestErrors:
    @pytest.mark.parametrize(("text", "line", "fragments"), BAD_TEMPLATES, ids=[t[2][0][:40] for t in BAD_TEMPLATES])
    def test_validate_names_the_file_line_and_key_and_exits_2(
        self, home: Path, cli: Cli, text: str, line: int | None, fragments: list[str]
    ) -> None:
        path = write(home.parent / "work", "bad.yaml", text)
        where = f"{path}:{line}: " if line else f"{path}: "
        refused(cli("templates", "validate", str(path)), ExitCode.USAGE, where, *fragments)

    def test_an_alias_bomb_is_refused_at_its_first_alias_in_well_under_a_second(self, home: Path, cli: Cli) -> None:
        lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]  # 9**12 strings if expanded
        path = write(home.parent / "work", "bomb.yaml", "\n".join(lines) + "\n")
        started = time.perf_counter()
        result = cli("templates", "validate", str(path))
        assert time.perf_counter() - started < 1.0
        refused(result, ExitCode.USAGE, f"{path}:2: ", "aliases (*name) are not allowed in templates")

    def test_a_document_over_1_mib_is_refused_before_parsing(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "huge.yaml", "subject: s\n" + "# padding\n" * 110_000)
        started = time.perf_counter()
        result = cli("templates", "validate", str(path))
        assert time.perf_counter() - started < 1.0
        refused(result, ExitCode.USAGE, f"{path}: is larger than 1 MiB")

    def test_deep_nesting_is_refused_not_a_crash(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "deep.yaml", "subject: " + "[" * 50_000 + "]" * 50_000 + "\n")
        refused(cli("templates", "validate", str(path)), ExitCode.USAGE, f"{path}: is nested too deeply")

    def test_a_file_that_is_not_utf8_names_its_line(self, home: Path, cli: Cli) -> None:
        path = home.parent / "work" / "latin1.yaml"
        path.write_bytes("subject: s\nbody: Código\n".encode("latin-1"))
        refused(cli("templates", "validate", str(path)), ExitCode.USAGE, f"{path}:2: is not UTF-8 text")

    def test_an_unknown_name_exits_3_saying_where_it_looked_and_what_exists(self, home: Path, cli: Cli) -> None:
        write(home.parent / "work" / ".portalctl" / "templates", "nightly.yaml", "subject: s\n")
        message = refused(cli("templates", "render", "nighlty"), ExitCode.NOT_FOUND, "no template named 'nighlty'",
                          "templates found: nightly")
        assert ".portalctl/templates" in message and str(home / "config" / "templates") in message
        refused(cli("templates", "validate", "no/such.yaml"), ExitCode.NOT_FOUND, "no template file no/such.yaml")

    def test_choices_are_checked_again_once_variables_are_filled_in(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", "subject: s\npriority: ${LEVEL:-high}\n")
        assert rendered(cli, str(path))["priority"] == "high"
        refused(cli("templates", "render", str(path), "--var", "LEVEL=hihg"), ExitCode.USAGE,
                f"{path}:2: key 'priority': 'hihg' is not one of")

    def test_an_attachment_that_does_not_exist_names_its_key(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", "subject: s\nattachments:\n  - ${PDF:-missing.pdf}\n")
        refused(cli("templates", "render", str(path)), ExitCode.USAGE,
                f"{path}:3: key 'attachments[0]': no such file {path.parent / 'missing.pdf'}")

    def test_an_empty_dedupe_key_is_refused(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", "subject: s\ndedupe_key: ${KEY}\n")
        refused(cli("templates", "render", str(path), "--var", "KEY="), ExitCode.USAGE,
                f"{path}:2: key 'dedupe_key' is empty")

    def test_bad_vars_files_name_their_line(self, home: Path, cli: Cli) -> None:
        work = home.parent / "work"
        path = write(work, "t.yaml", "subject: ${A}\n")
        nested = write(work, "v.yaml", "A: x\nB: [1, 2]\n")
        refused(cli("templates", "render", str(path), "--vars-file", str(nested)), ExitCode.USAGE,
                f"{nested}:2: key 'B' must be a single value")
        bomb = write(work, "b.yaml", "A: &x hi\nB: *x\n")
        refused(cli("templates", "render", str(path), "--vars-file", str(bomb)), ExitCode.USAGE,
                f"{bomb}:2: ", "aliases")


# --- finding, listing, showing -------------------------------------------------------------------------------------


class TestLookup:
    def test_the_project_directory_beats_the_user_directory(self, home: Path, cli: Cli) -> None:
        project = home.parent / "work" / ".portalctl" / "templates"
        user = home / "config" / "templates"
        write(project, "nightly.yaml", "description: project's\nsubject: from the project\n")
        write(user, "nightly.yaml", "description: mine\nsubject: from the user directory\n")
        write(user, "mine.yml", "description: only mine\nsubject: user only\n")
        assert rendered(cli, "nightly")["subject"] == "from the project"
        assert rendered(cli, "mine")["subject"] == "user only"
        listed = json.loads(ok(cli("templates", "list", "-o", "json")).stdout)
        assert [(t["name"], t["source"], t["description"]) for t in listed] == [
            ("mine", str(user), "only mine"), ("nightly", str(project.absolute()), "project's"),
        ]

    def test_list_as_a_table_and_when_there_is_none(self, home: Path, cli: Cli) -> None:
        empty = ok(cli("templates", "list"))
        assert empty.stdout == "" and "No templates. Add NAME.yaml to" in empty.stderr
        write(home / "config" / "templates", "broken.yaml", "subjct: s\n")
        table = ok(cli("templates", "list")).stdout
        assert table.splitlines()[0].split() == ["NAME", "SOURCE", "DESCRIPTION"]
        assert "broken" in table and "invalid: run 'portalctl templates validate broken'" in table

    def test_show_prints_the_file_as_written(self, home: Path, cli: Cli) -> None:
        text = "# keep this comment\nsubject: ${A:-x}\n"
        write(home / "config" / "templates", "mine.yaml", text)
        assert ok(cli("templates", "show", "mine")).stdout == text

    def test_a_path_is_used_as_given(self, home: Path, cli: Cli) -> None:
        write(home.parent / "work", "here.yaml", "subject: by path\n")
        assert rendered(cli, "here.yaml")["subject"] == "by path"
        assert rendered(cli, "./here.yaml")["subject"] == "by path"


# --- validate and render -------------------------------------------------------------------------------------------


class TestValidateAndRender:
    def test_validate_without_arguments_checks_every_template_found(self, home: Path, cli: Cli) -> None:
        folder = home / "config" / "templates"
        write(folder, "a.yaml", "subject: a\n")
        write(folder, "b.yaml", "subject: b ${B_UNSET_ANYWHERE}\n")
        result = ok(cli("templates", "validate"))
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f"{folder / 'a.yaml'}: ok",
            f"warning: {folder / 'b.yaml'}:1: key 'subject': variable 'B_UNSET_ANYWHERE' is not set",
            f"{folder / 'b.yaml'}: ok",
        ]

    def test_strict_makes_a_missing_variable_an_error_and_vars_satisfy_it(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", "subject: b ${B_UNSET_ANYWHERE}\n")
        refused(cli("templates", "validate", "--strict", str(path)), ExitCode.USAGE,
                f"{path}:1: key 'subject': variable 'B_UNSET_ANYWHERE' is not set")
        assert ok(cli("templates", "validate", "--strict", str(path), "--var", "B_UNSET_ANYWHERE=x")).stderr == (
            f"{path}: ok\n")

    def test_validate_stops_at_the_first_invalid_template(self, home: Path, cli: Cli) -> None:
        work = home.parent / "work"
        good, bad = write(work, "good.yaml", "subject: s\n"), write(work, "bad.yaml", "subjet: s\n")
        result = refused(cli("templates", "validate", str(good), str(bad), str(good)), ExitCode.USAGE,
                         f"{bad}:1: unknown key 'subjet'")
        assert result.count(": ok") == 1

    def test_render_prints_yaml_by_default_with_the_body_as_a_block(self, home: Path, cli: Cli) -> None:
        path = write(home.parent / "work", "t.yaml", "subject: s\nbody: |\n  one\n  two\npriority: low\n"
                                                     "fields:\n  user_code: 0042\n")
        out = ok(cli("templates", "render", str(path))).stdout
        assert "body: |\n  one\n  two\n" in out
        data = yaml.safe_load(out)
        assert data == {"subject": "s", "body": "one\ntwo\n", "priority": "low", "type": None, "department": None,
                        "tags": [], "ccs": [], "fields": {"user_code": "0042"}, "attachments": [],
                        "dedupe_key": None, "on_duplicate": "reply"}

    def test_attachments_are_relative_to_the_template_unless_a_variable_gives_them(
        self, home: Path, cli: Cli
    ) -> None:
        work = home.parent / "work"
        folder = work / "tpl"
        write(folder / "files", "a.txt", "template's\n")
        write(work, "b.txt", "mine\n")
        path = write(folder, "t.yaml", "subject: s\nattachments:\n  - files/a.txt\n  - ${MINE:-files/a.txt}\n")
        assert rendered(cli, str(path))["attachments"] == [str(folder / "files" / "a.txt")] * 2
        assert rendered(cli, str(path), "--var", "MINE=b.txt")["attachments"] == [
            str(folder / "files" / "a.txt"), str(work / "b.txt")]


class TestDraft:
    def ticket(self, **changes: Any) -> RenderedTicket:
        base = RenderedTicket(template=Path("t.yaml"), subject="s", body="b", priority="high", type=None,
                              department="importaciones", tags=["ci"], ccs=["a@x.test"], fields={"forms": "1"},
                              attachments=[], dedupe_key="k", on_duplicate="reply")
        return base.override(**changes)

    def test_flags_replace_values_and_add_to_lists(self, tmp_path: Path) -> None:
        extra = tmp_path / "x.pdf"
        ticket = self.ticket(subject="new", priority="urgent", tags=["nightly", "ci"], ccs=["b@x.test"],
                             fields={"forms": "2", "subtopic": "CRE"}, attachments=[extra], on_duplicate="skip")
        arguments = vars(ticket.draft())
        assert {k: arguments[k] for k in ("subject", "body", "priority", "department", "tags", "ccs", "fields",
                                          "dedupe_key", "on_duplicate")} == {
            "subject": "new", "body": "b", "priority": "urgent", "department": "importaciones",
            "tags": ["ci", "nightly"], "ccs": ["a@x.test", "b@x.test"], "fields": {"forms": "2", "subtopic": "CRE"},
            "dedupe_key": "k", "on_duplicate": "skip",
        }
        assert [(u.filename, u.path) for u in arguments["attachments"]] == [("x.pdf", extra)]

    def test_no_subject_or_body_by_the_time_of_creating_is_an_error(self) -> None:
        bare = RenderedTicket(template=Path("t.yaml"), subject=None, body="b", priority=None, type=None,
                              department=None, tags=[], ccs=[], fields={}, attachments=[], dedupe_key=None,
                              on_duplicate="reply")
        with pytest.raises(InvalidInput, match=r"t\.yaml: the template gives no subject") as caught:
            bare.draft()
        assert caught.value.hint == "add subject: to it, or pass --subject"
        assert bare.override(subject="from a flag").draft().subject == "from a flag"


# --- the examples --------------------------------------------------------------------------------------------------


EXAMPLE_VARS = {
    "ci-build-failure.yaml": [],
    "import-form-change.yaml": ["--var", "VAI_USER_CODE=0042", "--var", "FORMS=5412"],
    "hosting-outage.yaml": ["--var", "SERVICE=www.hostalnorte.example"],
}


class TestExamples:
    def test_every_example_is_covered(self) -> None:
        assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(EXAMPLE_VARS)

    @pytest.mark.parametrize("name", sorted(EXAMPLE_VARS))
    def test_each_example_validates_strictly(self, home: Path, cli: Cli, name: str) -> None:
        path = EXAMPLES / name
        assert ok(cli("templates", "validate", "--strict", str(path), *EXAMPLE_VARS[name])).stderr == f"{path}: ok\n"
        assert load_template(path).description

    def test_ci_build_failure_fills_in_from_the_pipeline_environment(self, home: Path, cli: Cli) -> None:
        env = {"CI_PIPELINE_ID": "311", "CI_COMMIT_SHA": "9fceb02", "CI_PROJECT": "billing", "CI_BRANCH": "release"}
        data = rendered(cli, str(EXAMPLES / "ci-build-failure.yaml"), env=env)
        assert data["subject"] == "Build failed: billing on release (pipeline 311)"
        assert "at commit 9fceb02" in data["body"]
        assert (data["priority"], data["type"], data["tags"]) == ("high", "incident", ["ci", "build-failure"])
        assert (data["dedupe_key"], data["on_duplicate"]) == ("ci-billing-release", "reply")
        bare = rendered(cli, str(EXAMPLES / "ci-build-failure.yaml"))
        assert bare["subject"] == "Build failed: app on main (pipeline local)" and bare["dedupe_key"] == "ci-app-main"

    def test_a_real_process_takes_variables_from_its_environment(self, tmp_path: Path) -> None:
        env = {**os.environ, "PORTALCTL_HOME": str(tmp_path), "CI_PIPELINE_ID": "77", "CI_BRANCH": "dev"}
        result = subprocess.run(
            [sys.executable, "-m", "portalctl", "templates", "render", str(EXAMPLES / "ci-build-failure.yaml"),
             "--var", "CI_PROJECT=web", "-o", "json"],
            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["subject"] == "Build failed: web on dev (pipeline 77)"

    def test_import_form_change_is_accepted_by_the_demo_portal(self, home: Path, cli: Cli) -> None:
        ok(cli("--no-input", "init", "--demo", "--email", "boss@example.test"))
        ticket = render_ticket(str(EXAMPLES / "import-form-change.yaml"),
                               cli_vars={"VAI_USER_CODE": "0042", "FORMS": "5412,5413", "FORMS_COUNT": "2",
                                         "SUBTOPIC": "IAG", "REQUIREMENT": "Rectificación"})
        portal = Portal(default_db())
        try:
            created = portal.session(MARTA).tickets.create(ticket.draft())
        finally:
            portal.close()
        shown = json.loads(ok(cli("tickets", "show", str(created.id), "-o", "json", user=MARTA)).stdout)
        assert shown["department"] == "importaciones"
        assert shown["subject"] == "Rectificación en formulario 5412,5413"
        assert shown["fields"] == {"user_code": "0042", "forms": "5412,5413", "forms_count": 2, "subtopic": "IAG",
                                   "requirement": "Rectificación"}
        [attachment] = shown["attachments"]
        assert (attachment["filename"], attachment["content_type"]) == ("formulario-corregido.pdf", "application/pdf")

    def test_import_form_change_with_a_bad_user_code_is_refused_by_the_portal(self, home: Path, cli: Cli) -> None:
        ok(cli("--no-input", "init", "--demo", "--email", "boss@example.test"))
        ticket = render_ticket(str(EXAMPLES / "import-form-change.yaml"),
                               cli_vars={"VAI_USER_CODE": "42", "FORMS": "5412"})
        portal = Portal(default_db())
        try:
            with pytest.raises(InvalidInput, match="field user_code"):
                portal.session(MARTA).tickets.create(ticket.draft())
        finally:
            portal.close()

    def test_hosting_outage_opens_one_urgent_ticket_per_service_and_skips_repeats(
        self, home: Path, cli: Cli
    ) -> None:
        ok(cli("--no-input", "init", "--demo", "--email", "boss@example.test"))
        path = str(EXAMPLES / "hosting-outage.yaml")
        portal = Portal(default_db())
        try:
            tickets = portal.session(INES).tickets
            first = tickets.create(render_ticket(path, cli_vars={"SERVICE": "www.hostalnorte.example"})
                                   .draft())
            again = tickets.create(render_ticket(path, cli_vars={"SERVICE": "www.hostalnorte.example"})
                                   .draft())
            other = tickets.create(render_ticket(path, cli_vars={"SERVICE": "mail.hostalnorte.example",
                                                                   "DEPARTMENT": "soporte-paginas-web"})
                                   .draft())
        finally:
            portal.close()
        assert (first.created, again.created, other.created) == (True, False, True)
        assert again.id == first.id and other.id != first.id
        assert (first.priority, first.type, first.department) == ("urgent", "incident", "soporte-otros-servicios")
        assert other.department == "soporte-paginas-web"
        assert len(json.loads(ok(cli("tickets", "show", str(first.id), "-o", "json", user=INES)).stdout)
                   ["comments"]) == 1


def test_sharing_the_variable_options_does_not_load_yaml() -> None:
    """`tickets` imports variable_options on every run; yaml and the template model load only with a template."""
    probe = ("import sys, portalctl.commands.templates\n"
             "print(sorted({'yaml', 'portalctl.templates'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
