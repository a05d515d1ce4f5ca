"""Dataset declarations: the one file per dataset that drives typing, checks, dbt and catalog.

A declaration is a YAML file under a datasets directory (``datasets/<domain>/<dataset>.yaml`` in
this repo; more directories via ``SATUDATA_DATASETS_DIRS``). This module only parses and validates
declarations into plain dataclasses; the readers, rules and dbt-source generation that consume them
live in ``ingest``.
"""

from __future__ import annotations

import csv
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


@dataclass(frozen=True)
class Quality:
    """Dataset-level gate settings; defaults apply when a declaration says nothing.

    ``max_karantina_persen``: above this share of quarantined rows in a delivery the gate blocks,
    provided at least ``min_baris_blokir`` rows were quarantined (so one bad row in a two-row file
    does not hold back the city's revenue marts); any quarantined row at all is a warning. ``toleransi_jumlah_baris``: a period whose row count
    differs from the previous period by more than this fraction is flagged (``severity_jumlah_baris``).
    ``cakupan_periode``: warn when a period between the first and the last is missing.
    """

    max_karantina_persen: float = 5.0
    min_baris_blokir: int = 5
    toleransi_jumlah_baris: float = 0.5
    severity_jumlah_baris: str = "warn"
    cakupan_periode: bool = True
    expectations: tuple[Expectation, ...] = ()


@dataclass(frozen=True)
class FileFormat:
    type: str
    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    sheet: str | None = None
    header_row: int = 1


@dataclass(frozen=True)
class Period:
    column: str
    grain: str


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

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _fail(path: Path, message: str) -> ContractError:
    return ContractError(f"{path}: {message}")


def parse_dataset(raw: dict[str, Any], path: Path) -> Dataset:
    """Validate one declaration; every problem names the file and the offending field."""
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
        spec["source"] = str(spec.pop("from", spec["name"]))
        spec["values"] = tuple(str(v) for v in spec.get("values", ()))
        spec["values_numeric"] = tuple(float(v) for v in spec.get("values_numeric", ()))
        try:
            columns.append(Column(**spec))
        except TypeError as exc:
            raise _fail(path, f"{where}: {exc}") from None
    names = [c.name for c in columns]
    period = Period(**raw["period"])
    if period.column not in names or period.grain not in GRAINS:
        raise _fail(path, f"period must name a declared column and a grain in {GRAINS}")
    for key in raw.get("key", []):
        if key not in names:
            raise _fail(path, f"key column '{key}' is not declared")
    rules = tuple(RowRule(**r) for r in raw.get("row_rules", []))
    quality = _parse_quality(dict(raw.get("quality", {})), path)
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
    if raw.get("severity_jumlah_baris", "warn") not in SEVERITIES:
        raise _fail(path, f"quality.severity_jumlah_baris must be one of {SEVERITIES}")
    try:
        return Quality(**raw, expectations=tuple(expectations))
    except TypeError as exc:
        raise _fail(path, f"quality: {exc}") from None


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
