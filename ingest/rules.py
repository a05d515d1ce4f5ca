"""Compile a dataset declaration into one DuckDB query that types raw text and checks rows.

The query runs over a raw batch (declared delivered headers as text, plus ``_baris``) and returns
the typed columns under their declared names, ``periode`` (from the declared period column and
grain) and, for rows that break a rule, ``_aturan`` / ``_kolom`` / ``_nilai`` / ``_alasan`` naming
the first failed rule, the delivered column, the offending raw value, and all failure messages.
Keeping every rule in SQL lets DuckDB evaluate a whole batch vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

from satudata.contracts import Column, Dataset, reference_values, sismiop_region
from satudata.settings import Settings

SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,2)",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "nop": "VARCHAR",
    "npwpd": "VARCHAR",
    "kode_wilayah": "VARCHAR",
}
TYPE_LABELS = {
    "integer": "bilangan bulat",
    "decimal": "angka",
    "date": "tanggal valid",
    "timestamp": "waktu (ISO 8601) valid",
    "nop": "NOP 18 digit",
    "npwpd": "NPWPD dengan format yang benar",
    "kode_wilayah": "kode wilayah Kemendagri",
}
NPWPD_PATTERN = r"[PB]\.[0-9]\.[0-9]{7}\.[0-9]{2}\.[0-9]{2}"
META_COLUMNS = ("_aturan", "_kolom", "_nilai", "_alasan")
PSEUDONYM_FUNCTION = "pseudonim"


def q(identifier: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + identifier.replace('"', '""') + '"'


def lit(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class Check:
    rule: str
    column: str
    fails: str  # SQL boolean, true when the row breaks the rule
    message: str  # SQL string expression


def _raw(col: Column) -> str:
    text = f"nullif(trim(src.{q(col.source)}), '')"
    if col.pseudonym:
        # Person identifiers never pass this point in clear: the typed value AND the raw text kept for
        # checks and quarantine are the keyed pseudonym (the DuckDB function is registered by ingest.bronze).
        return f"{PSEUDONYM_FUNCTION}({lit(col.pseudonym)}, {text})"
    return text


def _kept_raw(col: Column) -> str:
    """The trimmed delivered text, carried alongside the typed value for checks and quarantine."""
    return f"t.{q('asli:' + col.source)}"


def _number_text(raw: str, decimal: str) -> str:
    """Canonical decimal text: Indonesian ``1.234,5`` → ``1234.5``; ``1,234.5`` → ``1234.5``."""
    if decimal == ",":
        return f"replace(replace({raw}, '.', ''), ',', '.')"
    return f"replace({raw}, ',', '')"


def _typed(col: Column, decimal: str) -> str:
    raw = _raw(col)
    if col.type == "string":
        return raw
    if col.type == "integer":
        # Plain integers take the cheap BIGINT cast; only text like '2025.0' (spreadsheet floats) pays
        # for the wide DECIMAL cast, which is ~40x slower per row in DuckDB 1.5.
        text = _number_text(raw, decimal)
        num = f"TRY_CAST({text} AS DECIMAL(38,6))"
        return (
            f"CASE WHEN TRY_CAST({text} AS BIGINT) IS NOT NULL THEN TRY_CAST({text} AS BIGINT) "
            f"WHEN {num} = trunc({num}) THEN CAST({num} AS BIGINT) END"
        )
    if col.type == "decimal":
        return f"TRY_CAST({_number_text(raw, decimal)} AS DECIMAL(18,2))"
    if col.type == "date":
        return f"CAST(try_strptime({raw}, {lit(col.date_format)}) AS DATE)"
    if col.type == "timestamp":
        return f"TRY_CAST({raw} AS TIMESTAMPTZ)"
    if col.type == "nop":
        digits = f"regexp_replace({raw}, '[.\\- ]', '', 'g')"
        return f"CASE WHEN regexp_full_match({digits}, '[0-9]{{18}}') THEN {digits} END"
    if col.type == "npwpd":
        return f"CASE WHEN regexp_full_match(upper({raw}), {lit(NPWPD_PATTERN)}) THEN upper({raw}) END"
    if col.type == "kode_wilayah":
        d = f"regexp_replace({raw}, '[^0-9]', '', 'g')"
        return (
            f"CASE length({d}) WHEN 2 THEN {d} "
            f"WHEN 4 THEN substr({d},1,2)||'.'||substr({d},3,2) "
            f"WHEN 6 THEN substr({d},1,2)||'.'||substr({d},3,2)||'.'||substr({d},5,2) "
            f"WHEN 10 THEN substr({d},1,2)||'.'||substr({d},3,2)||'.'||substr({d},5,2)||'.'||substr({d},7,4) END"
        )
    raise ValueError(col.type)


def retyped(col: Column, decimal: str) -> str:
    """The typed value of ``col`` from text kept in a relation ``src`` under its delivered header.

    For re-reading quarantined rows (their ``asli:`` text) with the same typing as at ingest; person
    columns there are already pseudonymised, so their text passes unchanged.
    """
    if col.pseudonym:
        return f"src.{q(col.source)}"
    return f"CAST({_typed(col, decimal)} AS {SQL_TYPES[col.type]})"


def _value_text(raw: str) -> str:
    return f"'''' || coalesce({raw}, '') || ''''"


def _column_checks(col: Column, refs: dict[str, frozenset[str]]) -> list[Check]:
    raw, v, name = _kept_raw(col), f"t.{q(col.name)}", col.source
    where = f"'kolom {name}: ' || "
    checks: list[Check] = []
    if col.required:
        checks.append(Check("wajib_diisi", name, f"{raw} IS NULL", lit(f"kolom {name} kosong padahal wajib diisi")))
    if col.type != "string":
        checks.append(
            Check(f"tipe_{col.type}", name, f"{raw} IS NOT NULL AND {v} IS NULL",
                  f"{where}{_value_text(raw)} || ' bukan {TYPE_LABELS[col.type]}'")
        )
    if col.min is not None:
        checks.append(Check("minimum", name, f"{v} < {col.min}", f"{where}{_value_text(raw)} || ' kurang dari {col.min:g}'"))
    if col.max is not None:
        checks.append(Check("maksimum", name, f"{v} > {col.max}", f"{where}{_value_text(raw)} || ' lebih dari {col.max:g}'"))
    if col.values:
        allowed = ", ".join(lit(x.lower()) for x in col.values)
        checks.append(
            Check("nilai_diizinkan", name, f"lower({v}) NOT IN ({allowed})",
                  f"{where}{_value_text(raw)} || ' bukan salah satu dari: {', '.join(col.values)}'")
        )
    if col.values_numeric:
        allowed = ", ".join(f"{x:g}" for x in col.values_numeric)
        checks.append(
            Check("nilai_diizinkan", name, f"{v} NOT IN ({allowed})",
                  f"{where}{_value_text(raw)} || ' bukan salah satu dari: {allowed}'")
        )
    if col.pattern:
        checks.append(
            Check("format", name, f"NOT regexp_matches({v}, {lit(col.pattern)})",
                  f"{where}{_value_text(raw)} || ' tidak sesuai format {col.pattern}'")
        )
    if col.ref:
        codes = refs[col.ref]
        if col.ref == "kelurahan_sismiop":
            target = f"substr({v}, 1, 10)"
            codes = frozenset("7472" + c for c in codes)
        else:
            target = v
        allowed = ", ".join(lit(c) for c in sorted(codes))
        checks.append(
            Check(f"referensi_{col.ref}", name, f"{target} NOT IN ({allowed})",
                  f"{where}{_value_text(raw)} || ' tidak dikenal sebagai {REF_LABELS[col.ref]}'")
        )
    if col.not_future:
        now = "current_date" if col.type == "date" else "now()"
        checks.append(Check("tidak_di_masa_depan", name, f"{v} > {now}", f"{where}{_value_text(raw)} || ' di masa depan'"))
    return checks


REF_LABELS = {
    "kelurahan": "kelurahan Kota Baubau (kode Kemendagri)",
    "kelurahan_sismiop": "wilayah Kota Baubau (kecamatan/kelurahan SISMIOP)",
    "rekening_pendapatan": "kode rekening pendapatan",
}


def _period_expr(dataset: Dataset) -> str:
    col = dataset.column(dataset.period.column)
    v = f"t.{q(col.name)}"
    if col.type == "integer":
        if dataset.period.grain != "year":
            raise ValueError(f"{dataset.name}: an integer period column only supports grain 'year'")
        return f"CAST({v} AS VARCHAR)"
    fmt = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}[dataset.period.grain]
    return f"strftime({v}, {lit(fmt)})"


def compile_query(dataset: Dataset, settings: Settings, relation: str = "batch") -> str:
    """The typing-and-rules SELECT for ``dataset`` over the raw relation ``relation``."""
    refs = reference_values(settings.reference_dir)
    decimal = dataset.format.decimal
    typed = ",\n    ".join(
        f"CAST({_typed(c, decimal)} AS {SQL_TYPES[c.type]}) AS {q(c.name)}" for c in dataset.columns
    )
    raw_cols = ", ".join(f"{_raw(c)} AS {q('asli:' + c.source)}" for c in dataset.columns)
    checks = [chk for c in dataset.columns for chk in _column_checks(c, refs)]
    typed_ok = " AND ".join(f"NOT coalesce({chk.fails}, false)" for chk in checks) or "true"
    for rule in dataset.row_rules:
        checks.append(
            Check(rule.name, "", f"({typed_ok}) AND (({rule.sql}) IS FALSE)", lit(rule.message))
        )
    failures = ", ".join(
        f"CASE WHEN coalesce({chk.fails}, false) THEN struct_pack(aturan := {lit(chk.rule)}, "
        f"kolom := {lit(chk.column)}, nilai := {_raw_for(dataset, chk.column)}, alasan := {chk.message}) END"
        for chk in checks
    )
    canonical = "".join(_canonical(c) + ",\n  " for c in dataset.columns if c.values)
    replaced = "".join(", " + q(c.name) for c in dataset.columns if c.values)
    return f"""
WITH src AS (SELECT * FROM {relation}),
t AS (
  SELECT src._baris, {raw_cols},
    {typed}
  FROM src
),
checked AS (
  SELECT t.*, {_period_expr(dataset)} AS periode,
    list_filter([{failures}], x -> x IS NOT NULL) AS _gagal
  FROM t
)
SELECT * EXCLUDE (_gagal{replaced}),
  {canonical}len(_gagal) > 0 AS _ditolak,
  _gagal[1].aturan AS _aturan,
  _gagal[1].kolom AS _kolom,
  _gagal[1].nilai AS _nilai,
  array_to_string(list_transform(_gagal, x -> x.alasan), '; ') AS _alasan
FROM checked
"""


def _raw_for(dataset: Dataset, source: str) -> str:
    if not source:
        return "NULL::VARCHAR"
    return f"t.{q('asli:' + source)}"


def _canonical(col: Column) -> str:
    """Accepted values are stored in their declared spelling whatever case was delivered."""
    cases = " ".join(f"WHEN {lit(v.lower())} THEN {lit(v)}" for v in col.values)
    return f"CASE lower({q(col.name)}) {cases} ELSE {q(col.name)} END AS {q(col.name)}"
