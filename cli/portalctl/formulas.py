"""Spreadsheet formula neutralisation (OWASP "CSV injection"): the one rule for CSV and Excel cells, in Python and
as SQL for the cells the portal's database computes (cells.csv_sql, used by engine/ticket_sql.py)."""

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Every prefix sorts before this character ("A", and "a" for NOCASE columns): SQLite settles most cells with one
# comparison before it reads a first character.
_ABOVE_PREFIXES = chr(max(map(ord, FORMULA_PREFIXES)) + 1)


def neutralise(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with a quote; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_sql(text: str, *, postgres: bool = False) -> str:
    """`neutralise` as an SQLite (or PostgreSQL) expression, for CSV cells that the database computes.

    `text` must be a TEXT (or NULL) expression: an integer would be neutralised as its digits, where `neutralise`
    lets numbers pass. It is evaluated up to three times, so keep it cheap: a column, a JSON lookup or an aggregate
    of the same SELECT (SQLite computes an aggregate once however often it is named), never a subquery.
    """
    codes = ", ".join(str(ord(prefix)) for prefix in FORMULA_PREFIXES)
    if postgres:  # ascii(): the first character's code point in a UTF-8 database, 0 for ''
        return f"CASE WHEN ascii({text}) IN ({codes}) THEN '''' || {text} ELSE {text} END"
    return (f"CASE WHEN {text} < '{_ABOVE_PREFIXES}' AND unicode({text}) IN ({codes}) THEN '''' || {text}"
            f" ELSE {text} END")
