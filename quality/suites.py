"""Derive a dataset's checks from its declaration.

Row-level expectations run as a Great Expectations 1.x suite on each validated bronze partition
(handed over from DuckDB as a pandas frame). Dataset-level checks — business-key uniqueness across
all periods, row count against the previous period, period coverage, the quarantine share of
the delivery and control totals against a source recap (``quality.total_kontrol``, see
:mod:`quality.total_kontrol`) — are computed in DuckDB over the whole dataset, because they need
more than one partition. Check names are stable identifiers (Dagster asset-check names); severity ``error``
blocks downstream models, ``warn`` only reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ingest.rules import NPWPD_PATTERN
from quality import total_kontrol
from satudata.contracts import Column, Dataset, reference_values
from satudata.settings import Settings

LINEAGE = ("_berkas_sumber", "_sha256_berkas", "_baris_berkas", "_dimuat_pada")
KODE_WILAYAH_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"


@dataclass(frozen=True)
class CheckDef:
    """One check of a dataset: a GX expectation (``gx_type`` + kwargs) or a dataset-level kind."""

    name: str
    severity: str
    description: str
    gx_type: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    kind: str = "gx"


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _column_checks(col: Column, refs: dict[str, frozenset[str]]) -> list[CheckDef]:
    out: list[CheckDef] = []
    name = col.name
    if col.required:
        out.append(CheckDef(f"tidak_kosong__{name}", "error", f"{name} wajib diisi", "ExpectColumnValuesToNotBeNull", {"column": name}))
    if col.min is not None or col.max is not None:
        out.append(
            CheckDef(f"rentang__{name}", "error", f"{name} dalam rentang [{col.min}, {col.max}]",
                     "ExpectColumnValuesToBeBetween", {"column": name, "min_value": col.min, "max_value": col.max})
        )
    allowed = list(col.values) or list(col.values_numeric)
    if allowed:
        out.append(CheckDef(f"nilai_diizinkan__{name}", "error", f"{name} salah satu dari {allowed}",
                            "ExpectColumnValuesToBeInSet", {"column": name, "value_set": allowed}))
    pattern = col.pattern or {
        "nop": r"^\d{18}$",
        "npwpd": f"^{NPWPD_PATTERN}$",
        "kode_wilayah": KODE_WILAYAH_PATTERN,
    }.get(col.type)
    if pattern:
        out.append(CheckDef(f"format__{name}", "error", f"{name} cocok dengan pola {pattern}",
                            "ExpectColumnValuesToMatchRegex", {"column": name, "regex": pattern}))
    if col.ref:
        codes = sorted(refs[col.ref])
        if col.ref == "kelurahan_sismiop":
            regex = "^7472(" + "|".join(codes) + r")\d{8}$"
            out.append(CheckDef(f"referensi__{name}", "error", f"{name} berada di kelurahan dim_wilayah",
                                "ExpectColumnValuesToMatchRegex", {"column": name, "regex": regex}))
        else:
            out.append(CheckDef(f"referensi__{name}", "error", f"{name} ada di daftar {col.ref} (dim_wilayah/seed)",
                                "ExpectColumnValuesToBeInSet", {"column": name, "value_set": codes}))
    return out


def build_checks(dataset: Dataset, settings: Settings) -> list[CheckDef]:
    """Every check of ``dataset``, in a stable order (what the Dagster UI lists)."""
    refs = reference_values(settings.reference_dir)
    columns = [c.name for c in dataset.columns]
    checks = [
        CheckDef("skema_kolom", "error", "kolom bronze sama persis dengan deklarasi + kolom lineage",
                 "ExpectTableColumnsToMatchSet", {"column_set": columns + list(LINEAGE), "exact_match": True})
    ]
    for col in dataset.columns:
        checks += _column_checks(col, refs)
    for exp in dataset.quality.expectations:
        gx_type = exp.type if exp.type[0].isupper() else _camel(exp.type)
        checks.append(CheckDef(exp.name, exp.severity, f"ekspektasi tambahan {exp.type}", gx_type, dict(exp.kwargs)))
    q = dataset.quality
    if dataset.key:
        checks.append(CheckDef("kunci_unik", "error", f"kunci bisnis ({', '.join(dataset.key)}) unik di seluruh periode", kind="kunci_unik"))
    checks.append(CheckDef("jumlah_baris_vs_periode_lalu", q.severity_jumlah_baris,
                           f"jumlah baris paling banyak ×{1 + q.toleransi_jumlah_baris:g} atau ÷{1 + q.toleransi_jumlah_baris:g} dari periode sebelumnya", kind="jumlah_baris"))
    if q.cakupan_periode:
        checks.append(CheckDef("cakupan_periode", "warn", "tidak ada periode yang hilang di antara periode pertama dan terakhir", kind="cakupan"))
    for control in q.total_kontrol:
        checks.append(CheckDef(control.name, control.severity, total_kontrol.describe(control),
                               kwargs={"kontrol": control}, kind="total_kontrol"))
    checks.append(CheckDef("kesegaran", "warn", f"periode terbaru sudah diterima sesuai frekuensi ({dataset.period.grain})", kind="kesegaran"))
    checks.append(CheckDef("tanpa_karantina", "warn", "tidak ada baris yang dikarantina pada berkas terakhir", kind="karantina_nol"))
    checks.append(CheckDef("porsi_karantina", "error", f"baris dikarantina ≤ {q.max_karantina_persen:g}% per berkas (diblokir bila ≥ {q.min_baris_blokir} baris)", kind="karantina_batas"))
    for check in checks:
        if not re.fullmatch(r"[A-Za-z0-9_]+", check.name):
            raise ValueError(f"{dataset.name}: check name '{check.name}' must be letters, digits and underscores")
    return checks
