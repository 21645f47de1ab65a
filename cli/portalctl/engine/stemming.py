"""Word forms for search: Snowball's Spanish and English stemmers (PyPI's snowballstemmer), so "contraseñas" finds
"contraseña" and "invoices" finds "invoice".

Searches are prefix searches (engine/search.py), so a word's stem as a prefix term matches every indexed form that
starts with it: the index keeps the words as written (snippets stay readable) and only the query is stemmed.

Loaded on the first search only. snowballstemmer's package __init__ imports its thirty-odd languages (~15 ms, most of
a listing's start-up budget); the two modules needed are loaded under a private package name instead (~1 ms), which
leaves `import snowballstemmer` elsewhere untouched.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import types
from typing import Any

PACKAGE = "portalctl._snowball"
MIN_STEM = 3  # shorter stems ("fa" from "fas") would match half the index


@functools.cache
def stemmers() -> tuple[Any, ...]:
    """The Spanish and English stemmers, or none when snowballstemmer is not installed (searches then match the
    words as typed, as before)."""
    spec = importlib.util.find_spec("snowballstemmer")
    if spec is None or not spec.submodule_search_locations:
        return ()
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules[PACKAGE] = package
    spanish = importlib.import_module(f"{PACKAGE}.spanish_stemmer").SpanishStemmer()
    english = importlib.import_module(f"{PACKAGE}.english_stemmer").EnglishStemmer()
    return spanish, english


@functools.lru_cache(maxsize=1024)
def forms(word: str) -> tuple[str, ...]:
    """`word` and its distinct Spanish and English stems, as prefixes to search for (lower case)."""
    lowered = word.lower()
    found = dict.fromkeys([lowered])
    for stemmer in stemmers():
        stem = stemmer.stemWord(lowered)
        if len(stem) >= MIN_STEM:
            found[stem] = None
    # A stem that starts another makes it redundant: "factur" already finds whatever "factura" finds.
    return tuple(f for f in found if not any(o != f and f.startswith(o) for o in found))
