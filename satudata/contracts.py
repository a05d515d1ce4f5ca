"""Dataset declarations: the one file per dataset that drives typing, checks, dbt and catalog.

A declaration is a YAML file under a datasets directory (``datasets/<domain>/<dataset>.yaml`` in
this repo; more directories via ``SATUDATA_DATASETS_DIRS``). This module only parses and validates
declarations into plain dataclasses; the readers, rules and dbt-source generation that consume them
live in ``ingest``.

Two kinds of declaration share the format:

- **record extracts** (tax systems) declare their ``columns`` and ``period`` one to one;
- **statistical tables** (OPD spreadsheets, ``layout:``) declare how to read a messy sheet — header
  rows with merged cells, the region column, the value columns (optionally one per year), the
  total row — and the ``indicators`` it holds. Their columns are the fixed long shape
  :data:`STATISTIC_COLUMNS`, so every such dataset lands in bronze the same way and one mart
  (``fct_statistik_sektoral``) reads them all.

Every declaration carries Satu Data metadata (``metadata:``, parsed into :class:`SatuDataMeta`);
statistical tables must fill in the whole BPS MS-Ind set.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from satudata.settings import Settings

COLUMN_TYPES = ("string", "integer", "decimal", "date", "timestamp", "nop", "npwpd", "kode_wilayah")
FORMAT_TYPES = ("csv", "jsonl", "xlsx")
GRAINS = ("day", "month", "year")
PII_CLASSES = ("none", "taxpayer", "person")
FREQUENCIES = ("harian", "mingguan", "bulanan", "triwulanan", "semesteran", "tahunan", "lima_tahunan")
PRESENTATION_LEVELS = ("kota", "kecamatan", "kelurahan")
REGION_LEVELS = ("kecamatan", "kelurahan")  # what a statistical table's rows can be
REGION_CONTENTS = ("nama", "kode")
YEAR_SLOT = "{tahun}"  # in a value column's header path: one column per year (wide years)
DEFAULT_TOTAL_ROW = r"^(jumlah|total|kota\s+bau-?bau)\b"
DEFAULT_WALIDATA = "Dinas Komunikasi dan Informatika Kota Baubau"
DEFAULT_LICENSE = "CC-BY-4.0"
VALUE_STATUSES = ("ada", "nihil", "tidak_tersedia", "dirahasiakan")
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ContractError(ValueError):
    """A declaration is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Column:
    name: str
    source: str
    type: str
    description: str = ""
    required: bool = False
    pii: str = "none"
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()
    values_numeric: tuple[float, ...] = ()
    pattern: str | None = None
    ref: str | None = None
    date_format: str | None = None
    not_future: bool = False
    # pii: person columns replaced at bronze by a keyed pseudonym of this kind (ingest.pseudonym.KINDS)
    pseudonym: str | None = None


PSEUDONYM_KINDS = ("nik", "ihs", "rm", "kartu", "sep")


@dataclass(frozen=True)
class RowRule:
    name: str
    sql: str
    message: str


SEVERITIES = ("error", "warn")


@dataclass(frozen=True)
class Expectation:
    """An extra Great Expectations expectation declared for a dataset (``quality.expectations``)."""

    name: str
    type: str
    kwargs: dict[str, Any]
    severity: str = "error"


ROW_COUNT_MEASURE = "jumlah_baris"  # in a control total's ``ukuran``: the number of rows, not a column


@dataclass(frozen=True)
class ControlTotal:
    """A control total against a source recap (``quality.total_kontrol``).

    Per period (and per group when ``kelompok`` is set) the totals of this dataset's ``ukuran``
    columns must equal the recap dataset's columns they are mapped to, within ``toleransi`` (in the
    measure's unit). ``ukuran`` pairs (column of this dataset or :data:`ROW_COUNT_MEASURE`, recap
    column); ``kelompok`` pairs (recap column, SQL expression over this dataset's typed columns).
    """

    name: str
    rekap: str
    ukuran: tuple[tuple[str, str], ...]
    kelompok: tuple[tuple[str, str], ...] = ()
    toleransi: float = 0.0
    severity: str = "error"


@dataclass(frozen=True)
class Quality:
    """Dataset-level gate settings; defaults apply when a declaration says nothing.

    ``max_karantina_persen``: above this share of quarantined rows in a delivery the gate blocks,
    provided at least ``min_baris_blokir`` rows were quarantined (so one bad row in a two-row file
    does not hold back the city's revenue marts); any quarantined row at all is a warning. ``toleransi_jumlah_baris``: a period whose row count
    differs from the previous period by more than this fraction is flagged (``severity_jumlah_baris``).
    ``cakupan_periode``: warn when a period between the first and the last is missing.
    ``tenggat_hari``: days after a period ends by which its delivery is due (freshness); the default
    follows the period grain (see ``quality.freshness``).
    """

    max_karantina_persen: float = 5.0
    min_baris_blokir: int = 5
    toleransi_jumlah_baris: float = 0.5
    severity_jumlah_baris: str = "warn"
    cakupan_periode: bool = True
    tenggat_hari: int | None = None
    expectations: tuple[Expectation, ...] = ()
    total_kontrol: tuple[ControlTotal, ...] = ()


@dataclass(frozen=True)
class FileFormat:
    type: str
    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    sheet: str | None = None
    header_row: int = 1
    # XLSX: a regex matching a cell of the sheet's total row (e.g. '^JUMLAH$'); the table ends there,
    # so the total and a signature block below it are not read as data
    total_row: str | None = None


@dataclass(frozen=True)
class Period:
    """The column that says which period a row belongs to, and its grain.

    ``filename``: a regex with one group capturing the period from the delivered file's name (in
    the column's ``date_format``), for sheets that state their month only in the title and name,
    such as a monthly recap; the column is then not read from the file but filled from the name.
    """

    column: str
    grain: str
    filename: str | None = None


@dataclass(frozen=True)
class Produsen:
    """The producing OPD (Produsen Data) and its CKAN organization slug (OPD acronym)."""

    nama: str
    slug: str


@dataclass(frozen=True)
class SatuDataMeta:
    """Satu Data / BPS MS-Ind metadata of a dataset (Perpres 39/2019 data standard)."""

    judul: str = ""
    nama_indikator: str = ""
    konsep: str = ""
    definisi: str = ""
    interpretasi: str = ""
    rumus: str = ""
    satuan: str = ""
    ukuran: str = ""
    klasifikasi_penyajian: tuple[str, ...] = ()
    frekuensi: str = ""
    produsen: Produsen | None = None
    walidata: str = DEFAULT_WALIDATA
    topik: str = ""
    tingkat_penyajian: tuple[str, ...] = ()
    sumber: str = ""
    lisensi: str = DEFAULT_LICENSE
    publikasi: bool = False


# Fields a statistical table must fill in (interpretasi and rumus are optional in MS-Ind).
REQUIRED_STATISTIC_METADATA = (
    "judul", "nama_indikator", "konsep", "definisi", "satuan", "ukuran", "klasifikasi_penyajian",
    "frekuensi", "produsen", "walidata", "topik", "tingkat_penyajian", "sumber", "lisensi",
)
# Older declarations spell a few keys in English; both spellings are accepted.
METADATA_ALIASES = {"title": "judul", "publish": "publikasi"}


@dataclass(frozen=True)
class Indicator:
    """One indicator a statistical table holds (a dataset may hold several, e.g. schools and pupils)."""

    code: str
    name: str
    unit: str
    description: str = ""
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class ValueColumn:
    """A value column of a sheet: its header path (top to bottom), indicator and breakdown.

    ``header`` may hold :data:`YEAR_SLOT` once: then every column whose heading at that level is a
    year matches, and the year is the row's period (wide year columns are unpivoted).
    """

    header: tuple[str, ...]
    indicator: str
    breakdown: tuple[tuple[str, str], ...] = ()

    @property
    def year_level(self) -> int | None:
        return self.header.index(YEAR_SLOT) if YEAR_SLOT in self.header else None

    @property
    def breakdown_text(self) -> str:
        """Canonical text of the breakdown, e.g. ``jenis_kelamin=perempuan; jenjang=SD`` ('' if none)."""
        return "; ".join(f"{k}={v}" for k, v in sorted(self.breakdown))


@dataclass(frozen=True)
class RegionSpec:
    """The column that names (or codes) the region of each row, and the level rows are at."""

    header: tuple[str, ...]
    level: str
    content: str = "nama"


@dataclass(frozen=True)
class SheetLayout:
    """How to read a statistical table as OPD staff deliver it (XLSX sheet or CSV).

    Rows above ``header_rows`` are the title block (searched for the period when ``period_title``
    is set); merged header cells are filled from their top-left cell; ``skip_rows`` are dropped
    (a units row such as ``(1) (2) (3)`` is dropped without being listed). A row whose region cell
    matches ``total_row`` is the city total; a row naming a region above ``region.level`` (a
    kecamatan in a kelurahan table) is a subtotal. Totals and subtotals are checked against the sum
    of the rows they cover, with ``total_tolerance``, and never loaded as regions.
    """

    header_rows: tuple[int, ...]
    region: RegionSpec
    values: tuple[ValueColumn, ...]
    period_title: str | None = None
    period_filename: str | None = None
    skip_rows: tuple[int, ...] = ()
    total_row: str = DEFAULT_TOTAL_ROW
    total_tolerance: float = 0.0

    @property
    def wide_years(self) -> bool:
        return any(v.year_level is not None for v in self.values)


@dataclass(frozen=True)
class Dataset:
    """A declared dataset. ``name`` is unique across all domains."""

    name: str
    source: str
    domain: str
    description: str
    format: FileFormat
    period: Period
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    row_rules: tuple[RowRule, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    satu_data: SatuDataMeta = field(default_factory=SatuDataMeta)
    layout: SheetLayout | None = None
    indicators: tuple[Indicator, ...] = ()

    @property
    def is_statistic(self) -> bool:
        """A statistical table (OPD spreadsheet) loaded in the long shape."""
        return self.layout is not None

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(code)
    quality: Quality = field(default_factory=Quality)

    @property
    def landing_prefix(self) -> str:
        return f"{self.source}/{self.name}/"

    @property
    def bronze_prefix(self) -> str:
        return f"bronze/{self.source}/{self.name}/"

    @property
    def quarantine_prefix(self) -> str:
        return f"quarantine/{self.source}/{self.name}/"

    @property
    def ledger_prefix(self) -> str:
        return f"ledger/{self.source}/{self.name}/"

    @property
    def delivered_columns(self) -> tuple[Column, ...]:
        """The columns read from the delivered file (a period taken from the file name is not in it)."""
        if self.period.filename:
            return tuple(c for c in self.columns if c.name != self.period.column)
        return self.columns

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _fail(path: Path, message: str) -> ContractError:
    return ContractError(f"{path}: {message}")


def parse_dataset(raw: dict[str, Any], path: Path) -> Dataset:
    """Validate one declaration; every problem names the file and the offending field."""
    if not isinstance(raw, dict):
        raise _fail(path, "a declaration must be a YAML mapping")
    if "layout" in raw:
        return _parse_statistic(raw, path)
    for required in ("dataset", "source", "domain", "format", "period", "columns"):
        if required not in raw:
            raise _fail(path, f"field '{required}' is missing")
    fmt = dict(raw["format"])
    if fmt.get("type") not in FORMAT_TYPES:
        raise _fail(path, f"format.type must be one of {FORMAT_TYPES}")
    columns = []
    for i, spec in enumerate(raw["columns"]):
        spec = dict(spec)
        where = f"columns[{i}] ({spec.get('name', '?')})"
        if "name" not in spec or "type" not in spec:
            raise _fail(path, f"{where}: 'name' and 'type' are required")
        if spec["type"] not in COLUMN_TYPES:
            raise _fail(path, f"{where}: type '{spec['type']}' is not one of {COLUMN_TYPES}")
        if spec["type"] == "date" and not spec.get("date_format"):
            raise _fail(path, f"{where}: a date column needs 'date_format' (e.g. '%d/%m/%Y')")
        if spec.get("pii", "none") not in PII_CLASSES:
            raise _fail(path, f"{where}: pii must be one of {PII_CLASSES}")
        if spec.get("pseudonym") is not None:
            if spec["pseudonym"] not in PSEUDONYM_KINDS or spec.get("pii") != "person" or spec["type"] != "string":
                raise _fail(path, f"{where}: pseudonym must be one of {PSEUDONYM_KINDS} on a string column with pii: person")
            if any(spec.get(k) for k in ("pattern", "values", "min", "max", "ref")):
                raise _fail(path, f"{where}: a pseudonymised column cannot carry pattern/values/min/max/ref checks "
                                  "(they would be checked on the pseudonym)")
        spec["source"] = str(spec.pop("from", spec["name"]))
        spec["values"] = tuple(str(v) for v in spec.get("values", ()))
        spec["values_numeric"] = tuple(float(v) for v in spec.get("values_numeric", ()))
        try:
            columns.append(Column(**spec))
        except TypeError as exc:
            raise _fail(path, f"{where}: {exc}") from None
    names = [c.name for c in columns]
    try:
        period = Period(**raw["period"])
    except TypeError as exc:
        raise _fail(path, f"period: {exc}") from None
    if period.column not in names or period.grain not in GRAINS:
        raise _fail(path, f"period must name a declared column and a grain in {GRAINS}")
    for name, pattern, groups in (("period.filename", period.filename, 1), ("format.total_row", fmt.get("total_row"), None)):
        if pattern is None:
            continue
        try:
            compiled = re.compile(str(pattern), re.IGNORECASE)
        except re.error as exc:
            raise _fail(path, f"{name}: not a valid regular expression ({exc})") from None
        if groups is not None and compiled.groups != groups:
            raise _fail(path, f"{name}: the expression needs exactly one group capturing the period, e.g. '_(\\d{{4}}-\\d{{2}})\\.xlsx$'")
    if fmt.get("total_row") is not None and fmt["type"] != "xlsx":
        raise _fail(path, "format.total_row is only read from XLSX sheets")
    for key in raw.get("key", []):
        if key not in names:
            raise _fail(path, f"key column '{key}' is not declared")
    rules = tuple(RowRule(**r) for r in raw.get("row_rules", []))
    quality = _parse_quality(dict(raw.get("quality", {})), path)
    _check_control_measures(quality, columns, path)
    return Dataset(
        name=str(raw["dataset"]),
        source=str(raw["source"]),
        domain=str(raw["domain"]),
        description=str(raw.get("description", "")).strip(),
        format=FileFormat(**fmt),
        period=period,
        columns=tuple(columns),
        key=tuple(raw.get("key", [])),
        row_rules=rules,
        metadata=dict(raw.get("metadata", {})),
        path=path,
        quality=quality,
        satu_data=parse_metadata(raw.get("metadata") or {}, path, strict=False),
    )


def _parse_quality(raw: dict[str, Any], path: Path) -> Quality:
    expectations = []
    for i, spec in enumerate(raw.pop("expectations", [])):
        spec = dict(spec)
        if "expectation" not in spec or "name" not in spec:
            raise _fail(path, f"quality.expectations[{i}]: 'name' and 'expectation' are required")
        severity = spec.pop("severity", "error")
        if severity not in SEVERITIES:
            raise _fail(path, f"quality.expectations[{i}]: severity must be one of {SEVERITIES}")
        name, kind = str(spec.pop("name")), str(spec.pop("expectation"))
        expectations.append(Expectation(name=name, type=kind, kwargs=spec, severity=severity))
    totals = raw.pop("total_kontrol", None) or []
    if not isinstance(totals, list):
        raise _fail(path, "quality.total_kontrol must be a list of control totals")
    controls = tuple(_parse_control_total(spec, path, f"quality.total_kontrol[{i}]") for i, spec in enumerate(totals))
    if raw.get("severity_jumlah_baris", "warn") not in SEVERITIES:
        raise _fail(path, f"quality.severity_jumlah_baris must be one of {SEVERITIES}")
    try:
        return Quality(**raw, expectations=tuple(expectations), total_kontrol=controls)
    except TypeError as exc:
        raise _fail(path, f"quality: {exc}") from None


CONTROL_TOTAL_FIELDS = ("name", "rekap", "ukuran", "kelompok", "toleransi", "severity")


def _parse_control_total(spec: Any, path: Path, where: str) -> ControlTotal:
    """One ``quality.total_kontrol`` entry; what it names in other declarations is checked on loading."""
    if not isinstance(spec, dict):
        raise _fail(path, f"{where}: a control total is a mapping with {', '.join(CONTROL_TOTAL_FIELDS)}")
    unknown = sorted(set(spec) - set(CONTROL_TOTAL_FIELDS))
    if unknown:
        raise _fail(path, f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(CONTROL_TOTAL_FIELDS)}")
    for required in ("name", "rekap", "ukuran"):
        if not spec.get(required):
            raise _fail(path, f"{where}: '{required}' is required (name, the recap dataset, and ukuran: column → recap column)")
    name = str(spec["name"])
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise _fail(path, f"{where}: name '{name}' must be snake_case (it is the check's name)")
    pairs = {}
    for field_name in ("ukuran", "kelompok"):
        value = spec.get(field_name) or {}
        if not isinstance(value, dict) or any(not str(k).strip() or not str(v).strip() for k, v in value.items()):
            example = "{jml_dibayar: total_pokok}" if field_name == "ukuran" else "{kode_tempat_bayar: tempat_bayar}"
            raise _fail(path, f"{where}.{field_name} must be a mapping of non-empty names, e.g. {example}")
        pairs[field_name] = tuple((str(k), str(v)) for k, v in value.items())
    try:
        tolerance = float(spec.get("toleransi", 0))
    except (TypeError, ValueError):
        raise _fail(path, f"{where}.toleransi must be a number (in the measure's unit), got {spec['toleransi']!r}") from None
    if tolerance < 0:
        raise _fail(path, f"{where}.toleransi must not be negative")
    severity = spec.get("severity", "error")
    if severity not in SEVERITIES:
        raise _fail(path, f"{where}.severity must be one of {SEVERITIES}")
    return ControlTotal(name, str(spec["rekap"]), pairs["ukuran"], pairs["kelompok"], tolerance, severity)


def _check_control_measures(quality: Quality, columns: list[Column], path: Path) -> None:
    """Measures of this dataset must be declared numeric columns (or the row count)."""
    numeric = {c.name for c in columns if c.type in ("integer", "decimal")}
    if ROW_COUNT_MEASURE in {c.name for c in columns} and quality.total_kontrol:
        raise _fail(path, f"a column named '{ROW_COUNT_MEASURE}' clashes with the row count of quality.total_kontrol; rename it")
    for i, control in enumerate(quality.total_kontrol):
        for column, _ in control.ukuran:
            if column != ROW_COUNT_MEASURE and column not in numeric:
                raise _fail(path, f"quality.total_kontrol[{i}] ({control.name}).ukuran: '{column}' is not a declared "
                                  f"integer/decimal column of this dataset (or '{ROW_COUNT_MEASURE}' for the number of rows)")


def check_control_totals(datasets: dict[str, Dataset]) -> None:
    """What control totals name in their recap datasets exists: the recap, its columns, the same grain."""
    for dataset in datasets.values():
        for i, control in enumerate(dataset.quality.total_kontrol):
            where = f"quality.total_kontrol[{i}] ({control.name})"
            path = dataset.path or Path(dataset.name)
            recap = datasets.get(control.rekap)
            if recap is None or recap.name == dataset.name:
                raise _fail(path, f"{where}.rekap: '{control.rekap}' is not another declared dataset")
            if recap.period.grain != dataset.period.grain:
                raise _fail(path, f"{where}.rekap: '{recap.name}' is per {recap.period.grain}, this dataset per "
                                  f"{dataset.period.grain}; totals are compared per period of the same grain")
            recap_columns = {c.name: c for c in recap.columns}
            for _, column in control.ukuran:
                if column not in recap_columns or recap_columns[column].type not in ("integer", "decimal"):
                    raise _fail(path, f"{where}.ukuran: '{column}' is not an integer/decimal column of {recap.name} "
                                      f"({recap.path})")
            for column, _ in control.kelompok:
                if column not in recap_columns:
                    raise _fail(path, f"{where}.kelompok: '{column}' is not a column of {recap.name} ({recap.path})")


def parse_metadata(raw: dict[str, Any], path: Path, strict: bool) -> SatuDataMeta:
    """The ``metadata:`` block as :class:`SatuDataMeta`.

    ``strict`` (statistical tables) requires the whole MS-Ind set and rejects unknown keys; record
    extracts keep their short form (title, produsen, topik, frekuensi, satuan, publish).
    """
    if not isinstance(raw, dict):
        raise _fail(path, "metadata must be a mapping")
    values = {METADATA_ALIASES.get(k, k): v for k, v in raw.items()}
    known = set(SatuDataMeta.__dataclass_fields__)
    if strict:
        unknown = sorted(set(values) - known)
        if unknown:
            raise _fail(path, f"metadata: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        missing = [k for k in REQUIRED_STATISTIC_METADATA if values.get(k) in (None, "", [], {})]
        if missing:
            raise _fail(path, f"metadata: Satu Data field(s) {', '.join(missing)} missing (BPS MS-Ind)")
    out: dict[str, Any] = {}
    for key in known:
        if key not in values or values[key] is None:
            continue
        value = values[key]
        if key == "produsen":
            value = _parse_produsen(value, path)
        elif key in ("klasifikasi_penyajian", "tingkat_penyajian"):
            value = tuple(str(v) for v in (value if isinstance(value, list) else [value]))
        elif key == "publikasi":
            value = bool(value)
        else:
            value = " ".join(str(value).split())
        out[key] = value
    meta = SatuDataMeta(**out)
    if meta.frekuensi and meta.frekuensi not in FREQUENCIES:
        raise _fail(path, f"metadata.frekuensi '{meta.frekuensi}' is not one of {FREQUENCIES}")
    bad_levels = [t for t in meta.tingkat_penyajian if t not in PRESENTATION_LEVELS]
    if bad_levels:
        raise _fail(path, f"metadata.tingkat_penyajian {bad_levels} not in {PRESENTATION_LEVELS}")
    return meta


def _parse_produsen(value: Any, path: Path) -> Produsen:
    if isinstance(value, str):
        # the short form of record extracts: "Bapenda" → slug "bapenda"
        return Produsen(nama=value, slug=re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-"))
    if not isinstance(value, dict) or not value.get("nama") or not value.get("slug"):
        raise _fail(path, "metadata.produsen needs 'nama' (the OPD) and 'slug' (its CKAN organization, e.g. disdukcapil)")
    slug = str(value["slug"])
    if not SLUG_PATTERN.match(slug):
        raise _fail(path, f"metadata.produsen.slug '{slug}' must be lower-case letters, digits, '-' or '_'")
    return Produsen(nama=str(value["nama"]), slug=slug)


def statistic_columns(layout: SheetLayout, indicators: tuple[Indicator, ...]) -> tuple[Column, ...]:
    """The long shape every statistical table lands in (its bronze columns, in order)."""
    return (
        Column("dataset", "dataset", "string", "Nama dataset (deklarasi)", required=True),
        Column("indikator", "indikator", "string", "Kode indikator (lihat daftar indikator dataset)", required=True,
               values=tuple(i.code for i in indicators)),
        Column("kode_wilayah", "kode_wilayah", "kode_wilayah",
               "Kode wilayah Kemendagri (dicocokkan dari nama atau kode di lembar)", required=True),
        Column("nama_wilayah", "nama_wilayah", "string", "Nama wilayah baku (Kepmendagri)", required=True),
        Column("tingkat_wilayah", "tingkat_wilayah", "string", "Tingkat wilayah baris (kecamatan atau kelurahan)",
               required=True, values=(layout.region.level,)),
        Column("tahun", "tahun", "integer", "Tahun data", required=True, min=1900, max=2100),
        Column("rincian", "rincian", "string",
               "Rincian/klasifikasi nilai, mis. 'jenis_kelamin=perempuan; jenjang=SD' (kosong bila tidak ada)"),
        Column("nilai", "nilai", "decimal", "Nilai indikator; kosong bila tidak tersedia atau dirahasiakan"),
        Column("status_nilai", "status_nilai", "string",
               "ada; nihil ('-' di lembar, nilai 0); tidak_tersedia (sel kosong atau '...'); dirahasiakan ('x')",
               required=True, values=VALUE_STATUSES),
        Column("satuan", "satuan", "string", "Satuan indikator", required=True),
    )


def _as_path(value: Any, path: Path, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or any(v is None or str(v).strip() == "" for v in items):
        raise _fail(path, f"{where}: a header path needs one or more non-empty headings")
    return tuple(str(v).strip() for v in items)


def _parse_statistic(raw: dict[str, Any], path: Path) -> Dataset:
    """A statistical table declaration (``layout:``); its columns, period and key are generated."""
    for required in ("dataset", "source", "domain", "format", "layout", "indicators", "metadata"):
        if required not in raw:
            raise _fail(path, f"field '{required}' is missing")
    for generated in ("columns", "period", "key", "row_rules"):
        if generated in raw:
            raise _fail(path, f"'{generated}' is generated for a table layout; remove it")
    fmt = dict(raw["format"])
    if fmt.get("type") not in ("xlsx", "csv"):
        raise _fail(path, "format.type of a table layout must be xlsx or csv")
    try:
        file_format = FileFormat(**fmt)
    except TypeError as exc:
        raise _fail(path, f"format: {exc}") from None

    indicators = []
    for i, spec in enumerate(raw["indicators"] or []):
        spec = dict(spec)
        if not spec.get("code") or not spec.get("name") or not spec.get("unit"):
            raise _fail(path, f"indicators[{i}]: 'code', 'name' and 'unit' are required")
        text = {k: " ".join(str(v).split()) for k, v in spec.items() if k in ("code", "name", "unit", "description")}
        try:
            indicators.append(Indicator(**{**spec, **text}))
        except TypeError as exc:
            raise _fail(path, f"indicators[{i}]: {exc}") from None
    codes = [i.code for i in indicators]
    if not codes or len(set(codes)) != len(codes):
        raise _fail(path, "indicators: declare at least one, with unique codes")

    lay = dict(raw["layout"])
    known = {"header_rows", "skip_rows", "region", "period", "total_row", "total_tolerance", "values"}
    unknown = sorted(set(lay) - known)
    if unknown:
        raise _fail(path, f"layout: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    header_rows = lay.get("header_rows")
    if isinstance(header_rows, int):
        header_rows = [header_rows]
    if not header_rows or any(not isinstance(r, int) or r < 1 for r in header_rows):
        raise _fail(path, "layout.header_rows: list the sheet row numbers (1-based) holding the column headings")
    header_rows = sorted(header_rows)
    if header_rows != list(range(header_rows[0], header_rows[-1] + 1)):
        raise _fail(path, "layout.header_rows must be consecutive rows")
    region_raw = dict(lay.get("region") or {})
    if "column" not in region_raw:
        raise _fail(path, "layout.region.column: name the header of the column holding region names or codes")
    region = RegionSpec(
        header=_as_path(region_raw["column"], path, "layout.region.column"),
        level=str(region_raw.get("level", "")),
        content=str(region_raw.get("content", "nama")),
    )
    if region.level not in REGION_LEVELS:
        raise _fail(path, f"layout.region.level must be one of {REGION_LEVELS}")
    if region.content not in REGION_CONTENTS:
        raise _fail(path, f"layout.region.content must be one of {REGION_CONTENTS}")
    values = []
    for i, spec in enumerate(lay.get("values") or []):
        spec = dict(spec)
        where = f"layout.values[{i}]"
        if "column" not in spec or "indicator" not in spec:
            raise _fail(path, f"{where}: 'column' (header path) and 'indicator' are required")
        if spec["indicator"] not in codes:
            raise _fail(path, f"{where}: indicator '{spec['indicator']}' is not in indicators ({', '.join(codes)})")
        header = _as_path(spec["column"], path, where)
        if header.count(YEAR_SLOT) > 1:
            raise _fail(path, f"{where}: {YEAR_SLOT} may appear once in a header path")
        breakdown = spec.get("breakdown") or {}
        if not isinstance(breakdown, dict):
            raise _fail(path, f"{where}: breakdown must be a mapping, e.g. {{jenis_kelamin: perempuan}}")
        for k, v in breakdown.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", str(k)) or any(c in str(v) for c in ";="):
                raise _fail(path, f"{where}: breakdown key '{k}' must be snake_case and values free of ';' and '='")
        values.append(ValueColumn(header, str(spec["indicator"]), tuple((str(k), str(v)) for k, v in breakdown.items())))
    if not values:
        raise _fail(path, "layout.values: declare at least one value column")
    period = dict(lay.get("period") or {})
    unknown = sorted(set(period) - {"title", "filename"})
    if unknown:
        raise _fail(path, f"layout.period: unknown field(s) {', '.join(unknown)}; use title or filename")
    layout = SheetLayout(
        header_rows=tuple(header_rows),
        region=region,
        values=tuple(values),
        period_title=period.get("title"),
        period_filename=period.get("filename"),
        skip_rows=tuple(int(r) for r in lay.get("skip_rows") or ()),
        total_row=str(lay.get("total_row", DEFAULT_TOTAL_ROW)),
        total_tolerance=float(lay.get("total_tolerance", 0.0)),
    )
    for name, pattern in (("period.title", layout.period_title), ("period.filename", layout.period_filename),
                          ("total_row", layout.total_row)):
        if pattern is None:
            continue
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise _fail(path, f"layout.{name}: not a valid regular expression ({exc})") from None
        if name.startswith("period") and compiled.groups != 1:
            raise _fail(path, f"layout.{name}: the expression needs exactly one group capturing the year")
    if not layout.wide_years and not (layout.period_title or layout.period_filename):
        raise _fail(path, "layout: say where the year is: period.title / period.filename (a regex with one group), "
                          f"or {YEAR_SLOT} in the value columns' headers")
    quality = _parse_quality(dict(raw.get("quality", {})), path)
    columns = statistic_columns(layout, tuple(indicators))
    _check_control_measures(quality, list(columns), path)
    return Dataset(
        name=str(raw["dataset"]),
        source=str(raw["source"]),
        domain=str(raw["domain"]),
        description=" ".join(str(raw.get("description", "")).split()),
        format=file_format,
        period=Period(column="tahun", grain="year"),
        columns=columns,
        key=("indikator", "kode_wilayah", "tahun", "rincian"),
        row_rules=(),
        metadata=dict(raw["metadata"]),
        path=path,
        quality=quality,
        satu_data=parse_metadata(raw["metadata"], path, strict=True),
        layout=layout,
        indicators=tuple(indicators),
    )


@lru_cache(maxsize=8)
def _load_dirs(dirs: tuple[Path, ...]) -> dict[str, Dataset]:
    datasets: dict[str, Dataset] = {}
    for directory in dirs:
        for path in sorted(directory.rglob("*.yaml")):
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                raise _fail(path, f"not valid YAML: {exc}") from None
            dataset = parse_dataset(raw, path)
            if dataset.name in datasets:
                raise _fail(path, f"dataset '{dataset.name}' is also declared in {datasets[dataset.name].path}")
            datasets[dataset.name] = dataset
    check_control_totals(datasets)
    return datasets


def load_datasets(settings: Settings, domain: str | None = None) -> list[Dataset]:
    """All declared datasets (optionally of one domain), sorted by name."""
    found = _load_dirs(settings.datasets_dirs).values()
    return sorted((d for d in found if domain is None or d.domain == domain), key=lambda d: d.name)


def get_dataset(settings: Settings, name: str) -> Dataset:
    for dataset in load_datasets(settings):
        if dataset.name == name:
            return dataset
    raise ContractError(f"dataset '{name}' is not declared in {', '.join(map(str, settings.datasets_dirs))}")


@lru_cache(maxsize=4)
def reference_values(reference_dir: Path) -> dict[str, frozenset[str]]:
    """Reference code lists that declarations may name in ``ref:``.

    ``kelurahan`` are Kemendagri kelurahan codes; ``kelurahan_sismiop`` are the six SISMIOP digits
    (kecamatan ×10, last three digits of the kelurahan code) that sit at NOP positions 5–10;
    ``rekening_pendapatan`` are the revenue account codes in the revenue-type seed.
    """
    with open(reference_dir / "wilayah_kota_baubau.csv", newline="", encoding="utf-8") as fh:
        wilayah = list(csv.DictReader(fh))
    kelurahan = [r["kode"] for r in wilayah if r["tingkat"] == "kelurahan"]
    with open(reference_dir / "jenis_pendapatan.csv", newline="", encoding="utf-8") as fh:
        rekening = [r["kode_rekening"] for r in csv.DictReader(fh)]
    return {
        "kelurahan": frozenset(kelurahan),
        "kelurahan_sismiop": frozenset(sismiop_region(code) for code in kelurahan),
        "rekening_pendapatan": frozenset(rekening),
    }


def sismiop_region(kode_kelurahan: str) -> str:
    """Kemendagri ``74.72.01.1007`` → SISMIOP ``010007`` (kecamatan 3 digits + kelurahan 3 digits)."""
    _, _, kec, kel = kode_kelurahan.split(".")
    return f"{kec}0{kel[-3:]}"
