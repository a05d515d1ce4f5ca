"""Statistical tables (OPD spreadsheets) → typed long rows in bronze, with quarantine and totals.

:mod:`ingest.sheets` turns a delivered sheet into long raw rows (one per sheet row × value column).
One DuckDB query compiled from the declaration (:func:`compile_query`) then

- parses values the way Indonesian tables write them: ``1.234,5`` (thousands ``.``, decimal ``,``);
  ``-`` is *nihil* (zero, the BPS convention); an empty cell or ``...`` is *tidak tersedia* (not
  available, loaded with an empty ``nilai``); ``x`` is *dirahasiakan* (withheld, empty ``nilai``);
  anything else that is not a number is quarantined;
- matches region names to Kemendagri codes after normalising case, spaces, hyphens and the
  prefixes Kec./Kecamatan/Kel./Kelurahan ("Kec. Wolio", "WOLIO", "Wolio ", "Lea Lea" all match); an
  unknown name is quarantined with the closest known names (Jaro-Winkler similarity);
- recognises the total row (declared pattern, default "Jumlah"/"Total"/"Kota Baubau") and subtotal
  rows (a kecamatan in a kelurahan table), checks each against the sum of the rows it covers and
  quarantines a mismatch with both numbers; totals are never loaded as regions;
- quarantines a region that appears twice for the same value and values outside declared ranges.

Every message starts with the file, sheet, row and column (letter and heading) it is about.

Periods: a table whose year comes from the title or file name is one period; a table with wide
year columns holds several, and **a delivery replaces every year it contains** (each year is its
own bronze partition), leaving other years alone. So a 2021–2025 sheet followed next year by a
2022–2026 sheet updates 2022–2025 with the newer figures and adds 2026; 2021 stays as delivered.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import duckdb

from ingest import ledger
from ingest.bronze import bronze_key, quarantine_key
from ingest.readers import ROW_COLUMN, FileRejected
from ingest.rules import lit, q
from ingest.sheets import RAW_COLUMNS, read_table
from satudata import objectstore
from satudata.contracts import Dataset
from satudata.settings import Settings

KOTA = ("74.72", "KOTA BAUBAU", "kota", "74")
LEVEL_RANK = {"kota": 0, "kecamatan": 1, "kelurahan": 2}
NIHIL = ("-", "–", "—", "--")
NOT_AVAILABLE = ("...", "…", "..")
SUGGESTIONS = 3


@lru_cache(maxsize=4)
def regions(reference_dir: Path) -> tuple[tuple[str, str, str, str], ...]:
    """(kode, nama, tingkat, kode_induk) of the city, its kecamatan and kelurahan."""
    with open(reference_dir / "wilayah_kota_baubau.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["tingkat"] in ("kecamatan", "kelurahan")]
    return (KOTA, *((r["kode"], r["nama"], r["tingkat"], r["kode_induk"]) for r in rows))


def name_key(expr: str) -> str:
    """SQL: the matching key of a region name — prefix dropped, letters and digits only, upper case."""
    stripped = f"regexp_replace(lower(trim({expr})), '^(kecamatan|kelurahan|kec\\.|kel\\.|kec |kel |desa )\\s*', '')"
    return f"regexp_replace(upper({stripped}), '[^A-Z0-9]', '', 'g')"


def level_hint(expr: str) -> str:
    """SQL: the level a name's prefix states ('Kec. Wolio' → kecamatan), else NULL."""
    text = f"lower(trim({expr}))"
    return (
        f"CASE WHEN regexp_matches({text}, '^(kecamatan|kec)[.\\s]') THEN 'kecamatan' "
        f"WHEN regexp_matches({text}, '^(kelurahan|kel)[.\\s]') THEN 'kelurahan' END"
    )


def code_key(expr: str) -> str:
    """SQL: a delivered code ('74.72.02', '747202', '02', '7472021001') in dotted Kemendagri form."""
    d = f"regexp_replace({expr}, '[^0-9]', '', 'g')"
    return (
        f"CASE length({d}) WHEN 2 THEN '74.72.' || {d} "
        f"WHEN 6 THEN substr({d},1,2)||'.'||substr({d},3,2)||'.'||substr({d},5,2) "
        f"WHEN 10 THEN substr({d},1,2)||'.'||substr({d},3,2)||'.'||substr({d},5,2)||'.'||substr({d},7,4) END"
    )


def number_value(expr: str, decimal: str) -> str:
    """SQL: a cell's text as DECIMAL(18,4) when it is a well-formed number, else NULL.

    With ``decimal=","`` thousands are grouped by '.' in threes (``1.234.567,5``) or not at all
    (``1234567,5``); a lone '.' with other than three digits after it (``1.23``) is not accepted,
    because it is ambiguous between a mistyped decimal and a thousands mark.
    """
    text = f"replace(replace({expr}, ' ', ''), chr(160), '')"
    group, point = (".", ",") if decimal == "," else (",", ".")
    g, p = "\\" + group, "\\" + point
    pattern = f"[-+]?([0-9]{{1,3}}({g}[0-9]{{3}})+|[0-9]+)({p}[0-9]+)?"
    canonical = f"replace(replace({text}, '{group}', ''), '{point}', '.')"
    return f"CASE WHEN regexp_full_match({text}, '{pattern}') THEN TRY_CAST({canonical} AS DECIMAL(18,4)) END"


def value_status(expr: str) -> str:
    """SQL: ada / nihil / tidak_tersedia / dirahasiakan for a cell's text (see module docstring)."""
    v = f"trim(replace({expr}, chr(160), ' '))"
    nihil = ", ".join(lit(x) for x in NIHIL)
    missing = ", ".join(lit(x) for x in NOT_AVAILABLE)
    return (
        f"CASE WHEN {v} IS NULL OR {v} = '' OR {v} IN ({missing}) THEN 'tidak_tersedia' "
        f"WHEN {v} IN ({nihil}) THEN 'nihil' WHEN lower({v}) = 'x' THEN 'dirahasiakan' ELSE 'ada' END"
    )


def quoted(expr: str) -> str:
    """SQL: the text in single quotes, as messages show a delivered value."""
    return "'''' || coalesce(" + expr + ", '') || ''''"


def indonesian(expr: str) -> str:
    """SQL: a number formatted the Indonesian way for messages (85.123 or 85.123,50)."""
    return (
        f"CASE WHEN {expr} = trunc({expr}) THEN replace(format('{{:,}}', CAST({expr} AS HUGEINT)), ',', '.') "
        f"ELSE translate(format('{{:,.2f}}', CAST({expr} AS DOUBLE)), ',.', '.,') END"
    )


def _reference_sql(settings: Settings) -> str:
    rows = ", ".join(f"({lit(k)}, {lit(n)}, {lit(t)}, {lit(i)})" for k, n, t, i in regions(settings.reference_dir))
    return f"SELECT *, {name_key('nama')} AS kunci FROM (VALUES {rows}) AS v(kode, nama, tingkat, kode_induk)"


def compile_query(dataset: Dataset, settings: Settings, relation: str = "batch") -> str:
    """The typing, matching and checking SELECT over the long raw rows of one delivery.

    Output: the dataset's columns (the long shape), ``periode``, ``_baris``, the raw columns as
    ``asli:<name>``, and ``_ditolak`` / ``_aturan`` / ``_kolom`` / ``_nilai`` / ``_alasan`` as in
    :func:`ingest.rules.compile_query`, plus ``_agregat`` (a total or subtotal row: checked, not loaded).
    """
    layout = dataset.layout
    assert layout is not None
    level = layout.region.level
    rank = LEVEL_RANK[level]
    units = " ".join(f"WHEN {lit(i.code)} THEN {lit(i.unit)}" for i in dataset.indicators)
    ranges = []
    for ind in dataset.indicators:
        if ind.min is not None:
            ranges.append((ind.code, f"angka < {ind.min}", f"kurang dari batas bawah {ind.min:g}"))
        if ind.max is not None:
            ranges.append((ind.code, f"angka > {ind.max}", f"lebih dari batas atas {ind.max:g}"))
    if layout.region.content == "kode":
        match = f"r.kode = {code_key('c.w_teks')}"
    else:
        match = "r.kunci = c.kunci AND (c.petunjuk IS NULL OR r.tingkat = c.petunjuk)"
    raw_cols = ", ".join(f"{q(n)} AS {q('asli:' + n)}" for n in RAW_COLUMNS)
    at_cell = "lokasi || ', kolom ' || kolom || ': '"
    at_region = "lokasi || ', kolom ' || kolom_wilayah || ': '"
    tolerance = layout.total_tolerance
    failures = [
        ("wilayah_kosong", "kolom_wilayah", "w_teks", "peran = 'tanpa_wilayah'",
         f"{at_region} || 'nama wilayah kosong, padahal kolom ' || kolom || ' berisi ' || {quoted('nilai_teks')}"),
        ("wilayah_tidak_dikenal", "kolom_wilayah", "w_teks", "peran = 'tak_dikenal'",
         f"{at_region} || {quoted('w_teks')} || ' tidak dikenal sebagai {level} Kota Baubau; yang paling mirip: ' "
         "|| coalesce(saran, '-')"),
        ("tingkat_wilayah", "kolom_wilayah", "w_teks", "peran = 'tingkat_salah'",
         f"{at_region} || {quoted('w_teks')} || ' adalah ' || tingkat || ' ' || nama || ' (' || kode || '), "
         f"sedangkan tabel ini per {level}'"),
        ("nilai_bukan_angka", "kolom", "nilai_teks", "status = 'ada' AND angka IS NULL",
         f"{at_cell} || {quoted('nilai_teks')} || ' bukan angka (format Indonesia: 1.234,5; ''-'' berarti nihil)'"),
        *(
            (f"rentang_{code}", "kolom", "nilai_teks", f"indikator = {lit(code)} AND {cond}",
             f"{at_cell} || {indonesian('angka')} || ' {text}'")
            for code, cond, text in ranges
        ),
        ("wilayah_ganda", "kolom_wilayah", "w_teks", "peran = 'data' AND urutan > 1",
         f"{at_region} || nama || ' sudah ada di baris ' || baris_pertama || ' untuk kolom ' || kolom"),
        ("jumlah_tidak_sesuai", "kolom", "nilai_teks",
         f"peran = 'agregat' AND angka IS NOT NULL AND n_anak > 0 AND n_anak_kosong = 0 AND abs(angka - jumlah_anak) > {tolerance}",
         f"{at_cell} || 'baris ' || {quoted('w_teks')} || ' berisi ' || {indonesian('angka')} || ' tetapi jumlah ' || n_anak "
         f"|| ' baris ' || cakupan || ' = ' || {indonesian('jumlah_anak')} "
         f"|| ' (selisih ' || {indonesian('angka - jumlah_anak')} || ')'"),
    ]
    fail_list = ", ".join(
        f"CASE WHEN coalesce({cond}, false) THEN struct_pack(aturan := {lit(rule)}, kolom := {col}, "
        f"nilai := {val}, alasan := {msg}) END"
        for rule, col, val, cond, msg in failures
    )
    return f"""
WITH ref AS ({_reference_sql(settings)}),
c AS (
  SELECT {ROW_COLUMN}, {raw_cols}, lokasi, kolom_wilayah, kolom, indikator, rincian, periode, wilayah, nilai,
    nullif(trim(replace(wilayah, chr(160), ' ')), '') AS w_teks,
    nullif(trim(replace(nilai, chr(160), ' ')), '') AS nilai_teks,
    {name_key('wilayah')} AS kunci,
    {level_hint('wilayah')} AS petunjuk,
    coalesce(regexp_matches(lower(trim(wilayah)), {lit(layout.total_row)}), false) AS is_total
  FROM {relation}
),
m AS (
  SELECT c.*,
    CASE WHEN c.is_total THEN {lit(KOTA[0])} ELSE r.kode END AS kode,
    CASE WHEN c.is_total THEN {lit(KOTA[1])} ELSE r.nama END AS nama,
    CASE WHEN c.is_total THEN 'kota' ELSE r.tingkat END AS tingkat,
    r.kode_induk
  FROM c LEFT JOIN ref AS r ON NOT c.is_total AND r.tingkat <> 'kota' AND {match}
  QUALIFY row_number() OVER (PARTITION BY c.{ROW_COLUMN}, c.kolom ORDER BY (r.tingkat = {lit(level)}) DESC NULLS LAST) = 1
),
v AS (
  SELECT m.*,
    CASE
      WHEN w_teks IS NULL THEN 'tanpa_wilayah'
      WHEN kode IS NULL THEN 'tak_dikenal'
      WHEN tingkat = {lit(level)} THEN 'data'
      WHEN tingkat IN ({", ".join(lit(t) for t, r in LEVEL_RANK.items() if r < rank)}) THEN 'agregat'
      ELSE 'tingkat_salah'
    END AS peran,
    {value_status('nilai')} AS status,
    CASE {value_status('nilai')} WHEN 'nihil' THEN 0::DECIMAL(18,4)
      WHEN 'ada' THEN {number_value('nilai', dataset.format.decimal)} END AS angka
  FROM m
),
u AS (
  SELECT v.*,
    row_number() OVER (PARTITION BY indikator, rincian, periode, peran, kode ORDER BY {ROW_COLUMN}) AS urutan,
    min({ROW_COLUMN}) OVER (PARTITION BY indikator, rincian, periode, peran, kode) AS baris_pertama
  FROM v
),
semua AS (
  SELECT indikator, rincian, periode, sum(angka) AS jumlah_anak, count(*) AS n_anak,
    count(*) FILTER (WHERE angka IS NULL) AS n_anak_kosong,
    count(*) FILTER (WHERE peran = 'tak_dikenal') AS n_tak_dikenal
  FROM u WHERE peran IN ('data', 'tak_dikenal') AND (peran <> 'data' OR urutan = 1) GROUP BY ALL
),
per_induk AS (
  SELECT indikator, rincian, periode, kode_induk, sum(angka) AS jumlah_anak, count(*) AS n_anak,
    count(*) FILTER (WHERE angka IS NULL) AS n_anak_kosong
  FROM u WHERE peran = 'data' AND urutan = 1 GROUP BY ALL
),
kandidat AS (
  SELECT t.kunci AS kunci_asal, r.nama, r.tingkat, r.kode,
    jaro_winkler_similarity(t.kunci, r.kunci) AS skor
  FROM (SELECT DISTINCT kunci FROM u WHERE peran = 'tak_dikenal') AS t
  CROSS JOIN ref AS r WHERE r.tingkat = {lit(level)}
  QUALIFY row_number() OVER (PARTITION BY t.kunci ORDER BY skor DESC, r.kode) <= {SUGGESTIONS}
),
saran AS (
  SELECT kunci_asal, string_agg(nama || ' (' || kode || ')', ', ' ORDER BY skor DESC, kode) AS saran
  FROM kandidat GROUP BY 1
),
cek AS (
  SELECT u.*, s.saran,
    CASE WHEN u.tingkat = 'kota' THEN a.jumlah_anak ELSE b.jumlah_anak END AS jumlah_anak,
    -- a subtotal cannot be checked when a row of its table has an unknown name (its kecamatan is unknown)
    coalesce(CASE WHEN u.tingkat = 'kota' THEN a.n_anak WHEN a.n_tak_dikenal = 0 THEN b.n_anak END, 0) AS n_anak,
    coalesce(CASE WHEN u.tingkat = 'kota' THEN a.n_anak_kosong ELSE b.n_anak_kosong END, 0) AS n_anak_kosong,
    CASE WHEN u.tingkat = 'kota' THEN {lit(level)} ELSE {lit(level)} || ' di ' || u.tingkat || ' ' || u.nama END AS cakupan
  FROM u
  LEFT JOIN saran AS s ON s.kunci_asal = u.kunci AND u.peran = 'tak_dikenal'
  LEFT JOIN semua AS a ON u.peran = 'agregat'
    AND a.indikator = u.indikator AND a.rincian = u.rincian AND a.periode IS NOT DISTINCT FROM u.periode
  LEFT JOIN per_induk AS b ON u.peran = 'agregat' AND u.tingkat <> 'kota'
    AND b.indikator = u.indikator AND b.rincian = u.rincian AND b.periode IS NOT DISTINCT FROM u.periode AND b.kode_induk = u.kode
),
gagal AS (
  SELECT cek.*, list_filter([{fail_list}], x -> x IS NOT NULL) AS _gagal FROM cek
)
SELECT
  {ROW_COLUMN},
  {", ".join(q("asli:" + n) for n in RAW_COLUMNS)},
  CAST({lit(dataset.name)} AS VARCHAR) AS dataset,
  CAST(indikator AS VARCHAR) AS indikator,
  CAST(kode AS VARCHAR) AS kode_wilayah,
  CAST(nama AS VARCHAR) AS nama_wilayah,
  CAST(tingkat AS VARCHAR) AS tingkat_wilayah,
  TRY_CAST(periode AS BIGINT) AS tahun,
  CAST(rincian AS VARCHAR) AS rincian,
  CAST(angka AS DECIMAL(18,4)) AS nilai,
  CAST(status AS VARCHAR) AS status_nilai,
  CAST(CASE indikator {units} END AS VARCHAR) AS satuan,
  periode,
  peran = 'agregat' AS _agregat,
  len(_gagal) > 0 AS _ditolak,
  _gagal[1].aturan AS _aturan,
  _gagal[1].kolom AS _kolom,
  _gagal[1].nilai AS _nilai,
  array_to_string(list_transform(_gagal, x -> x.alasan), '; ') AS _alasan
FROM gagal
"""


def match_regions(settings: Settings, names: list[str | None], level: str = "kelurahan") -> list[tuple]:
    """(name, kode, nama, tingkat) for each name, matched as a table at ``level`` would (for tests and tools)."""
    from satudata.contracts import Column, Dataset, FileFormat, Indicator, Period, RegionSpec, SheetLayout, ValueColumn

    layout = SheetLayout((1,), RegionSpec(("Wilayah",), level), (ValueColumn(("Nilai",), "x"),), period_title="(\\d{4})")
    dataset = Dataset("uji", "uji", "uji", "", FileFormat("csv"), Period("tahun", "year"),
                      (Column("nilai", "nilai", "decimal"),), layout=layout, indicators=(Indicator("x", "x", "unit"),))
    import pyarrow as pa

    n = len(names)
    table = pa.table({
        **{c: pa.array(["x"] * n if c in ("lokasi", "kolom_wilayah", "kolom", "indikator") else [""] * n, pa.string())
           for c in RAW_COLUMNS if c not in ("wilayah", "nilai", "periode")},
        "wilayah": pa.array(names, pa.string()),
        "periode": pa.array(["2025"] * n, pa.string()),
        "nilai": pa.array(["1"] * n, pa.string()),
        ROW_COLUMN: pa.array(range(1, n + 1), pa.int64()),
    })
    con = duckdb.connect()
    con.register("batch", table)
    rows = con.execute(
        f"SELECT {q('asli:wilayah')}, kode_wilayah, nama_wilayah, tingkat_wilayah, _alasan "
        f"FROM ({compile_query(dataset, settings)}) ORDER BY {ROW_COLUMN}"
    ).fetchall()
    return rows


# --------------------------------------------------------------------------- load
def _sql_str(value: str | None) -> str:
    return "NULL" if value is None else lit(value)


def load_table(settings: Settings, dataset: Dataset, landing_key: str, local: Path, work: Path,
               entry: ledger.LedgerEntry) -> None:
    """Extract → Validate → Load for one statistical table delivery (the ``ingest.bronze`` path).

    Accounting counts long rows (one per sheet row × value column): ``baris_dibaca`` =
    ``baris_dimuat`` + ``baris_karantina``; cells of total/subtotal rows that add up are counted
    apart in ``baris_agregat`` (checked, deliberately not loaded).
    """
    raw = read_table(local, dataset)
    if raw.num_rows == 0:
        raise FileRejected("tabel tidak berisi baris data di bawah judul kolom")
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.register("batch", raw)
    typed_path = work / "typed.parquet"
    con.execute(f"COPY ({compile_query(dataset, settings)}) TO '{typed_path}' (FORMAT parquet)")
    con.unregister("batch")
    typed = f"read_parquet('{typed_path}')"
    lineage = (
        f"{_sql_str(landing_key)} AS _berkas_sumber, {_sql_str(entry.sha256)} AS _sha256_berkas, "
        f"_baris AS _baris_berkas, TIMESTAMPTZ {_sql_str(entry.diproses_pada)} AS _dimuat_pada"
    )
    raw_cols = ", ".join(q("asli:" + n) for n in RAW_COLUMNS)
    quarantine_path = work / "quarantine.parquet"
    con.execute(
        f"COPY (SELECT _baris, _aturan, _kolom, _nilai, _alasan, {raw_cols}, NULL::VARCHAR AS _teks_asli, {lineage} "
        f"FROM {typed} WHERE _ditolak ORDER BY _baris, {q('asli:kolom')}) TO '{quarantine_path}' (FORMAT parquet)"
    )
    by_rule = dict(con.execute(
        f"SELECT _aturan, count(*) FROM read_parquet('{quarantine_path}') GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall())
    entry.baris_karantina = sum(by_rule.values())
    entry.karantina_per_aturan = by_rule
    entry.baris_agregat = con.execute(f"SELECT count(*) FROM {typed} WHERE _agregat AND NOT _ditolak").fetchone()[0]

    keep = "NOT _ditolak AND NOT _agregat"
    periods = [r[0] for r in con.execute(f"SELECT DISTINCT periode FROM {typed} WHERE {keep} ORDER BY 1").fetchall()]
    typed_cols = ", ".join(q(c.name) for c in dataset.columns)
    keys = []
    for period in periods:
        path = work / f"bronze-{period}.parquet"
        con.execute(
            f"COPY (SELECT {typed_cols}, {lineage} FROM {typed} WHERE {keep} AND periode = {_sql_str(period)} "
            f"ORDER BY _baris, {q('asli:kolom')}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)"
        )
        entry.baris_dimuat += con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
        key = bronze_key(dataset, period)
        objectstore.upload_file(settings, settings.bucket_lake, key, path, "application/vnd.apache.parquet")
        keys.append(key)
    entry.periode = ",".join(periods) or None
    entry.objek_bronze = ",".join(keys) or None
    entry.baris_dibaca = entry.baris_dimuat + entry.baris_karantina
    if entry.baris_karantina:
        entry.objek_karantina = quarantine_key(dataset, landing_key)
        objectstore.upload_file(settings, settings.bucket_lake, entry.objek_karantina, quarantine_path,
                                "application/vnd.apache.parquet")
    con.close()


def parse_values(values: list[str | None], decimal: str = ",") -> list[tuple]:
    """(nilai, status_nilai) for each cell text, exactly as the ingest query parses them."""
    import pyarrow as pa

    con = duckdb.connect()
    con.register("sel", pa.table({"nilai": pa.array(values, pa.string()), "i": pa.array(range(len(values)))}))
    sql = (f"SELECT CASE {value_status('nilai')} WHEN 'nihil' THEN 0::DECIMAL(18,4) WHEN 'ada' THEN "
           f"{number_value('nilai', decimal)} END, {value_status('nilai')} FROM sel ORDER BY i")
    return con.execute(sql).fetchall()
