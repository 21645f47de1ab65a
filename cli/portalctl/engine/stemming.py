"""Word forms for search: Snowball's English and Spanish stemmers (PyPI's snowballstemmer), so "contraseñas" finds
"contraseña", "facturas" finds "factura" and "companies" finds "company".

The full-text index holds each text as its words' stems (`stems`): an article's by its locale's stemmer, a
ticket's (which says no language) by the stemmer that changes the word more. A search looks for the stems of the
words typed in both languages, and for the words themselves as prefixes (`forms`; engine/search.py), since nobody
says which language they type in: both sides meet on one form whatever the word's ending. The same Python code
stems for SQLite and PostgreSQL, so both find the same things.

A word is folded before it is stemmed (lower case, no accents), so "línea" and "linea", typed either way, stem
alike. A stem shorter than MIN_STEM is not used: the folded word is kept instead, as "fa" would match half the
index. Chaining the two stemmers was tried and dropped: English endings stripped from Spanish words ("-al",
"-er") made "digital" and "digitales", or "compañero" and "company", meet wrongly.

`stems` keeps one token per word of the text, in order, and splits words where SQLite's unicode61 tokenizer does
(letters and digits; `_` and punctuation separate), so the index's positions are the original text's: FTS5's
snippet() reads the article's own text and marks the words at the positions that matched.

Loaded on the first search or write only. snowballstemmer's package __init__ imports its thirty-odd languages
(~15 ms, most of a listing's start-up budget); the two modules needed are loaded under a private package name
instead (~1 ms), which leaves `import snowballstemmer` elsewhere untouched.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import sys
import types
import unicodedata
from typing import Any

PACKAGE = "portalctl._snowball"
MIN_STEM = 3
WORD = re.compile(r"[^\W_]+")  # unicode61's tokens: letters and digits
PLURAL = ("es", "s")
CACHE = 1 << 16  # distinct words remembered: a portal's vocabulary, so re-indexing mostly hits the cache


@functools.cache
def stemmers() -> dict[str, Any]:
    """The Spanish and English stemmers by language, or none when snowballstemmer is not installed (words are then
    indexed and searched folded, as typed)."""
    spec = importlib.util.find_spec("snowballstemmer")
    if spec is None or not spec.submodule_search_locations:
        return {}
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules[PACKAGE] = package
    return {"es": importlib.import_module(f"{PACKAGE}.spanish_stemmer").SpanishStemmer(),
            "en": importlib.import_module(f"{PACKAGE}.english_stemmer").EnglishStemmer()}


def language(locale: str | None) -> str | None:
    """The stemmer an article is indexed with: its locale's, when Spanish or English; None for any other text
    (tickets say no language), which is indexed under the shorter of its Spanish and English stems."""
    lang = (locale or "").lower()[:2]
    return lang if lang in ("es", "en") else None


def fold(word: str) -> str:
    """Lower case without accents, as unicode61 remove_diacritics and PostgreSQL's unaccent read it."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stemmed(word: str, lang: str) -> str | None:
    """`word` stemmed as `lang`; None when that stem is too short to search for, or there is no stemmer."""
    stemmer = stemmers().get(lang)
    found = stemmer.stemWord(word) if stemmer else None
    return found if found and len(found) >= MIN_STEM else None


@functools.lru_cache(maxsize=CACHE)
def stem(word: str, lang: str | None = None) -> str:
    """The one form `word` is indexed under: folded (so "línea" and "linea" stem alike), then stemmed as `lang`, or,
    in no known language, as whichever of Spanish and English changes it more ("policy" and "policies" meet only in
    English, "facturas" and "factura" only in Spanish)."""
    folded = fold(word)
    found = [f for f in (stemmed(folded, each) for each in ((lang,) if lang else ("es", "en"))) if f]
    return min(found, key=lambda f: (len(f), f == folded)) if found else folded  # "polici" over "policy"


@functools.lru_cache(maxsize=1024)
def forms(word: str) -> tuple[tuple[str, bool], ...]:
    """What a typed `word` is searched as, whatever the language of what it should find: (form, is a prefix).

    The word as typed is a prefix ("factu" finds "facturación"); its stems are whole index terms, so "válidos"
    finds "válido" (both "val") but not "valor". The stems are its Spanish and English ones, its Spanish one
    before folding ("emití" is a past tense only with its accent), and, for a plural, its singular's: Snowball
    stems some singulars shorter than their plurals ("lugar" to "lug", "lugares" to "lugar")."""
    folded = fold(word)
    singular = [folded[:-len(end)] for end in PLURAL if folded.endswith(end) and len(folded) - len(end) >= MIN_STEM]
    stems_of = (*(stemmed(w, lang) for w in (folded, *singular) for lang in ("es", "en")),
                fold(stemmed(word.lower(), "es") or ""))
    found = {folded: True, **{f: False for f in stems_of if f and f != folded}}
    # A prefix makes whatever starts with it redundant: "factu"* already finds "factur".
    return tuple((f, prefix) for f, prefix in found.items()
                 if not any(o != f and p and f.startswith(o) for o, p in found.items()))


def stems(text: str, lang: str | None = None) -> str:
    """`text` as the index holds it: each word's stem, in order, separated by spaces."""
    return " ".join(stem(word, lang) for word in WORD.findall(text))
