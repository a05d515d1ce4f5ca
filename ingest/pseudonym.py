"""Keyed pseudonyms for person identifiers, applied when health data is written to bronze.

NIK, IHS numbers, medical-record numbers, BPJS card numbers and SEP numbers become
``HMAC-SHA256(key, "<kind>:<normalised value>")`` in hex, truncated to 32 hex digits (128 bits):
far beyond any birthday collision at city scale (≈10^6 people gives p ≈ 10^-27) while keeping
columns and Parquet dictionaries half the size of the full 64 digits. The ``kind`` prefix keeps a
NIK and an IHS number that happened to share digits from mapping to the same pseudonym, and the
key (``SATUDATA_PSEUDONYM_KEY``, generated into ``stack.env`` by the local stack) means nobody
without it can rebuild the table by hashing all 10^16 possible NIKs — a plain hash could be
reversed that way in hours. The same key gives the same pseudonym in every source (RSUD,
Puskesmas, BPJS), so visits and claims of one person link without naming them; rotating the key
breaks every link (re-ingest from landing).

Only values that are pseudonymised or generalised here may leave landing: names, street
addresses, phone numbers and exact birth dates are dropped by the callers, and a birth date is
kept only as its year and a five-year age band (:func:`age_band`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from satudata.settings import Settings

PSEUDONYM_HEX = 32
KINDS = ("nik", "ihs", "rm", "kartu", "sep")
_DIGITS = re.compile(r"\D")
_MIN_KEY_BYTES = 16


class PseudonymKeyMissing(RuntimeError):
    """No key configured: refusing to write person data rather than writing it unkeyed."""


class Pseudonymiser:
    """HMAC-SHA256 pseudonyms under one key; callable as ``p(kind, value)``."""

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode("utf-8") if isinstance(key, str) else key
        if len(raw) < _MIN_KEY_BYTES:
            raise PseudonymKeyMissing(
                "SATUDATA_PSEUDONYM_KEY kosong atau terlalu pendek (minimal 16 byte); "
                "jalankan 'satudata stack up' atau setel variabel lingkungan itu"
            )
        self._key = raw

    def __call__(self, kind: str, value: str | None) -> str | None:
        if value is None:
            return None
        text = normalise(kind, value)
        if not text:
            return None
        digest = hmac.new(self._key, f"{kind}:{text}".encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_HEX]


def normalise(kind: str, value: str) -> str:
    """The canonical form hashed for ``kind`` (NIK and card numbers: digits only; others trimmed, upper case)."""
    if kind not in KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}; known: {KINDS}")
    text = str(value).strip()
    if kind in ("nik", "kartu"):
        return _DIGITS.sub("", text)
    return text.upper()


def from_settings(settings: Settings) -> Pseudonymiser:
    return Pseudonymiser(settings.pseudonym_key)


def age_band(birth_year: int | None, on: date) -> str | None:
    """Five-year age band at ``on`` from the birth year alone (``0-4`` … ``70-74``, ``75+``)."""
    if birth_year is None:
        return None
    age = on.year - birth_year
    if age < 0:
        return None
    if age >= 75:
        return "75+"
    low = age // 5 * 5
    return f"{low}-{low + 4}"


def redact(value: str | None) -> str | None:
    """What a quarantine row may show of a person identifier: its length and nothing else."""
    if value is None:
        return None
    return f"<disamarkan: {len(str(value))} karakter>"


def register_duckdb(con, settings: Settings) -> None:
    """Register ``pseudonim(kind, value)`` on a DuckDB connection (used by declared ``pseudonym:`` columns)."""
    import duckdb

    pseudo = from_settings(settings)
    con.create_function("pseudonim", pseudo, [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
                        duckdb.sqltype("VARCHAR"), null_handling="special", side_effects=False)
