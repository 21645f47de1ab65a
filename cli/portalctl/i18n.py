"""The interface's language: English or Spanish, by gettext.

Which language, first found wins: `--lang`, then the `lang` setting (PORTALCTL_LANG, .env, .portalctl.toml,
`portalctl config set lang`), then the profile's language (`me update --language` keeps it there), then the POSIX
locale (LC_ALL, LC_MESSAGES, LANG), then English. `es`, `es_CO.UTF-8` and `es-MX` all mean Spanish.

English is the source language: it reads no catalog. A Spanish run reads
locale/es/LC_MESSAGES/portalctl.mo on the first translated string, in place (mofile.py: only the texts shown are
decoded). The server answers each request in the
language of its Accept-Language header (`using`, which holds for the current context only: one request's
language never leaks into another's).

Texts fixed at import time — click's help of commands and options, tables of labels — are English msgids,
translated where they are read: click's `help`, `short_help`, `epilog` and `prompt` attributes are looked up in
the catalog when click reads them (`install_click`), and module-level tables mark theirs with `N_` and call `_`
where they show them. Click's own texts ("Usage:", "Show this message and exit.", its errors) go through the same
catalog. Catalogs are built with scripts/i18n.py (Babel), which also says how to add a message.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import gettext as stdlib_gettext

    from portalctl.config import Settings
    from portalctl.mofile import MoCatalog

DOMAIN = "portalctl"
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")  # os.path: pathlib is not loaded by --help
SOURCE = "en"
LANGUAGES = ("en", "es")
POSIX_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_chosen: ContextVar[str | None] = ContextVar("portalctl_language", default=None)  # --lang, or a request's
_settings: Settings | None = None  # this run's settings (the root command passes them: they know -p)
_found: str | None = None  # the language the settings and the environment give, once looked up


def language_of(tag: str | None) -> str | None:
    """The supported language a tag names (`es`, `es_CO.UTF-8`, `es-MX`, `EN`), or None."""
    if not tag:
        return None
    code = tag.strip().replace("-", "_").split("_")[0].split(".")[0].split("@")[0].lower()
    return code if code in LANGUAGES else None


def language() -> str:
    """The language this run (or this request) speaks."""
    chosen = _chosen.get()
    if chosen:
        return chosen
    global _found
    if _found is None:
        _found = SOURCE  # while looking: a message made on the way (a broken config file's) is English
        _found = found_language()
    return _found


def found_language() -> str:
    """The `lang` setting, else the profile's language, else the POSIX locale, else English."""
    if language_of(os.environ.get("PORTALCTL_LANG")):  # the common case in scripts: no settings file to read
        return language_of(os.environ["PORTALCTL_LANG"]) or SOURCE
    if _settings is not None or settings_name_a_language():
        return from_settings() or locale_language()
    return locale_language()


def settings_name_a_language() -> bool:
    """Whether a settings file could name a language: one of them mentions `lang` (PORTALCTL_LANG, lang = ...,
    a profile's "language"). Reading three small files costs far less than loading the settings machinery
    (config.py and what it imports), which `portalctl --help` otherwise never needs."""
    places = [os.path.join(os.getcwd(), ".env"), user_config_file()]
    folder = os.getcwd()
    while True:  # .portalctl.toml, searched upwards as config.project_file() does
        places.append(os.path.join(folder, ".portalctl.toml"))
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    for place in places:
        try:
            with open(place, "rb") as handle:
                if b"lang" in handle.read().lower():
                    return True
        except OSError:
            continue
    return False


def user_config_file() -> str:
    """config.json where config.config_dir() puts it: under PORTALCTL_HOME, else the platform's directory."""
    home = os.environ.get("PORTALCTL_HOME")
    if home:
        return os.path.join(home, "config", "config.json")
    import platformdirs

    return os.path.join(platformdirs.user_config_dir("portalctl"), "config.json")


def from_settings() -> str | None:
    """The `lang` setting, else the profile's language; None when neither names one portalctl speaks."""
    try:
        from portalctl.config import Settings

        settings = _settings or Settings()
        for tag in (settings.get("lang"), settings.profile().options.get("language")):
            if language_of(tag):
                return language_of(tag)
    except Exception:  # a broken settings file is reported by the command that reads it, in English or not
        pass
    return None


def locale_language() -> str:
    """The POSIX locale's language: the first of LC_ALL, LC_MESSAGES and LANG that is set."""
    for variable in POSIX_VARIABLES:
        value = os.environ.get(variable)
        if value:  # the first one set decides, as in POSIX; C or POSIX means no preference
            return language_of(value) or SOURCE
    return SOURCE


def choose(tag: str | None) -> None:
    """Speak this language from now on in this context (`--lang`); None: go back to what the settings say."""
    _chosen.set(language_of(tag))


def start(settings: Settings | None = None) -> None:
    """A command line starts: forget the last run's language (tests run many in one process); `settings`, this
    run's, know the -p profile."""
    global _found, _settings
    _found, _settings = None, settings
    if settings is None:
        _chosen.set(None)


@contextmanager
def using(tag: str | None) -> Iterator[str]:
    """Speak `tag`'s language (English when it names none) inside the block: a server request, a mail to a user."""
    token = _chosen.set(language_of(tag) or SOURCE)
    try:
        yield _chosen.get() or SOURCE
    finally:
        _chosen.reset(token)


@functools.cache
def catalog(lang: str) -> MoCatalog | stdlib_gettext.NullTranslations:
    """`lang`'s catalog, read in place (mofile.py: the stdlib would decode all of it to show a few dozen texts);
    without one, messages stay English."""
    from portalctl import mofile

    try:
        return mofile.read(os.path.join(LOCALE_DIR, lang, "LC_MESSAGES", f"{DOMAIN}.mo"))
    except FileNotFoundError:
        import gettext as stdlib

        return stdlib.NullTranslations()


def gettext(message: str) -> str:
    """`message` in this run's language."""
    lang = language()
    return message if lang == SOURCE else catalog(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` of a message with plurals, in this run's language (Spanish, like English, has two)."""
    lang = language()
    if lang == SOURCE:
        return singular if n == 1 else plural
    return catalog(lang).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in this run's language, where the word alone is ambiguous: pgettext("status", "open")."""
    lang = language()
    return message if lang == SOURCE else catalog(lang).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it: for tables built at import time, which call `_`
    on the message where they show it."""
    return message


FORMATTED: dict[str, tuple[str, dict[str, Any]]] = {}


def formatted(template: str, **values: Any) -> str:
    """`template` filled in, in English, remembered so that `translated` can fill in its translation later: help
    texts built at import time from values (`default: id,status,...`)."""
    text = template.format(**values)
    FORMATTED[text] = (template, values)
    return text


def translated(text: str) -> str:
    """An English text fixed at import time, in this run's language: a docstring (click's command help), an
    option's help, or a `formatted` text."""
    lang = language()
    if lang == SOURCE or not text:
        return text
    known = FORMATTED.get(text)
    if known is not None:  # its values may be texts of their own (a help built from another help)
        template, values = known
        return catalog(lang).gettext(template).format(
            **{key: translated(value) if isinstance(value, str) else value for key, value in values.items()})
    import inspect  # click imports it anyway; not on the English path

    return catalog(lang).gettext(inspect.cleandoc(text))


def translated_attribute(name: str) -> property:
    """A click attribute holding English that reads back in this run's language."""
    key = f"_portalctl_{name}"

    def get(self: Any) -> Any:
        value = self.__dict__.get(key)
        return translated(value) if isinstance(value, str) else value

    def set_(self: Any, value: Any) -> None:
        self.__dict__[key] = value

    return property(get, set_)


# click's modules whose texts it writes at run time (decorators' are help texts, English until read).
CLICK_MODULES = ("core", "exceptions", "formatting", "parser", "shell_completion", "termui", "types", "utils")


def install_click() -> None:
    """Makes click speak this run's language: its own messages through our catalog (its modules call gettext's
    global domain, which would follow only the environment's locale, not --lang or the profile), and the help
    texts of every command and option translated when click reads them."""
    import importlib

    import click

    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    # its decorators' defaults (`help="Show the version and exit."`) are help texts: kept English, translated when
    # read; the stdlib's gettext would look for a catalog of click's own on every call (and load `locale`)
    click.decorators._ = N_  # type: ignore[attr-defined]
    for cls, names in ((click.Command, ("help", "short_help", "epilog")), (click.Parameter, ("help",)),
                       (click.Option, ("prompt",))):
        for name in names:
            setattr(cls, name, translated_attribute(name))
