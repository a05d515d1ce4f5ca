"""Leak check: does any raw person identifier from landing appear in the lake, the open bucket or the warehouse?

Values are matched whole, not as substrings: text (JSON, HTML, CSV, …) is split into tokens of
letters, digits and ``+`` and each token is looked up; multi-word names (only names of at least two
words are searched, so common single words such as "Ahmad" do not raise false alarms) are looked
up as runs of 2–6 consecutive words, case-insensitively. Parquet is compressed, so its string
columns are decoded with pyarrow and each value scanned the same way.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_TOKEN = re.compile(r"[0-9A-Za-z+]+")
_WORD = re.compile(r"[A-Za-z']+")
MAX_NAME_WORDS = 6


@dataclass(frozen=True)
class Finding:
    where: str  # bucket/key[:column] or warehouse table.column
    kind: str  # nik, ihs, mr, sep, no_kartu, nama, telepon
    value: str


class Needles:
    """The raw identifiers to look for, indexed for whole-value lookup."""

    def __init__(self, identifiers: dict[str, set[str]]) -> None:
        self.tokens: dict[str, str] = {}
        self.names: dict[str, str] = {}
        for kind, values in identifiers.items():
            for value in values:
                if not value:
                    continue
                if kind == "nama":
                    words = _WORD.findall(value)
                    if len(words) >= 2:
                        self.names[" ".join(w.lower() for w in words)] = kind
                else:
                    self.tokens[value] = kind

    def scan_text(self, text: str, where: str) -> Iterator[Finding]:
        for token in _TOKEN.findall(text):
            if token in self.tokens:
                yield Finding(where, self.tokens[token], token)
        if self.names:
            words = [w.lower() for w in _WORD.findall(text)]
            for i in range(len(words)):
                for n in range(2, min(MAX_NAME_WORDS, len(words) - i) + 1):
                    phrase = " ".join(words[i:i + n])
                    if phrase in self.names:
                        yield Finding(where, "nama", phrase)


def _string_values(table: pa.Table) -> Iterator[tuple[str, str]]:
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            for value in column.to_pylist():
                if value:
                    yield name, value
        elif pa.types.is_map(column.type) or pa.types.is_struct(column.type) or pa.types.is_list(column.type):
            for value in column.to_pylist():
                if value:
                    yield name, str(value)


def scan_bytes(needles: Needles, where: str, data: bytes) -> list[Finding]:
    """Scan one object's bytes: Parquet by its decoded string values, anything else as text."""
    if data[:4] == b"PAR1":
        table = pq.read_table(io.BytesIO(data))
        found = []
        for column, value in _string_values(table):
            found.extend(needles.scan_text(value, f"{where}:{column}"))
        return found
    return list(needles.scan_text(data.decode("utf-8", errors="replace"), where))


def scan_buckets(settings, needles: Needles, buckets: Iterable[str]) -> list[Finding]:
    from satudata import objectstore

    client = objectstore.client(settings)
    found: list[Finding] = []
    for bucket in buckets:
        for key, _ in objectstore.list_keys(settings, bucket, ""):
            response = client.get_object(bucket, key)
            try:
                data = response.read()
            finally:
                response.close()
                response.release_conn()
            found.extend(scan_bytes(needles, f"{bucket}/{key}", data))
    return found


def scan_duckdb(path: Path, needles: Needles) -> list[Finding]:
    """Every text column of every table in a DuckDB file (the analysts' warehouse)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    found: list[Finding] = []
    try:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        for schema, table in tables:
            data = con.execute(f'select * from "{schema}"."{table}"').to_arrow_table()
            for column, value in _string_values(data):
                found.extend(needles.scan_text(value, f"{schema}.{table}.{column}"))
    finally:
        con.close()
    return found
