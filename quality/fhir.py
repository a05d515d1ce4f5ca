"""The quality gate of the FHIR feeds (SIMRS RSUD Bundles, Puskesmas NDJSON).

FHIR deliveries are not tabular declarations, so their checks are fixed here rather than derived:
per resource type the share of resources quarantined at ingest (``error``: above the limit the
health marts are not rebuilt), and whether what a day's deliveries refer to exists — encounters
whose patient, and conditions and observations whose encounter, is in no delivery so far (``warn``:
the referenced resource may still arrive). The verdict is kept per delivery day, so a corrected
re-delivery (or a backfill) of the bad day clears the block and a clean later day does not hide it.
Samples name business identifiers only, never a person.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass

from ingest import fhir, ledger
from quality.freshness import assess
from quality.gate import Outcome
from satudata import objectstore
from satudata.duck import connect
from satudata.settings import Settings

# A SIMRS day routinely carries a few percent of unusable resources (drafts without a code, local
# code systems): the generated city's planted defects reach 5–8 % on some days. Ten percent of a
# type quarantined is a broken export, not noise.
MAX_QUARANTINE_SHARE = 0.10
MIN_ROWS_TO_BLOCK = 5  # as quality.min_baris_blokir: one bad resource in a small day is not a broken feed
SAMPLES = 5
STATUS_KEY = "quality/status/fhir/fhir.json"
# What each check is attached to in Dagster: resource type → check names.
CHECKS: dict[str, tuple[str, ...]] = {
    kind: ("porsi_karantina",)
    + {"Encounter": ("rujukan_pasien", "kesegaran"), "Condition": ("rujukan_kunjungan",),
       "Observation": ("rujukan_kunjungan",)}.get(kind, ())
    for kind in fhir.RESOURCE_TYPES
}
DESCRIPTIONS = {
    "porsi_karantina": (f"[error] sumber daya dikarantina saat ingest ≤ {MAX_QUARANTINE_SHARE:.0%} per tipe per hari "
                        f"kiriman (atau < {MIN_ROWS_TO_BLOCK} sumber daya)"),
    "rujukan_pasien": "[warn] setiap Encounter merujuk Patient yang sudah dikirim",
    "rujukan_kunjungan": "[warn] setiap sumber daya merujuk Encounter yang sudah dikirim",
    "kesegaran": "[warn] kiriman FHIR harian tidak terlambat (tenggat 2 hari)",
}


@dataclass(frozen=True)
class FhirOutcome:
    """One check of one resource type for the deliveries of one run."""

    resource_type: str
    outcome: Outcome


def _glob(kind: str) -> str:
    return f"{fhir.bronze_prefix(kind)}*/*.parquet"


def _objects(entries: list[ledger.LedgerEntry], kind: str) -> list[str]:
    prefix = fhir.bronze_prefix(kind)
    return [k.strip() for e in entries for k in (e.objek_bronze or "").split(",") if k.strip().startswith(prefix)]


def _quarantine_by_type(settings: Settings, entries: list[ledger.LedgerEntry]) -> Counter:
    keys = [e.objek_karantina for e in entries if e.objek_karantina]
    if not keys:
        return Counter()
    con = connect(settings)
    try:
        uris = ", ".join(f"'{settings.lake_uri(k)}'" for k in keys)
        return Counter(dict(con.execute(f"SELECT _tipe_sumber_daya, count(*) FROM read_parquet([{uris}]) GROUP BY 1").fetchall()))
    finally:
        con.close()


def _orphans(settings: Settings, con, objects: list[str], column: str, target: str) -> tuple[int, int, list[str]]:
    """Rows of ``objects`` whose ``column`` matches no row of the ``target`` type's bronze (any day)."""
    target_keys = list(objectstore.list_keys(settings, settings.bucket_lake, fhir.bronze_prefix(target)))
    uris = ", ".join(f"'{settings.lake_uri(k)}'" for k in objects)
    rows = f"read_parquet([{uris}], union_by_name = true)"
    target_col = "pasien_id" if target == "Patient" else "id_sumber_daya"
    known = f"(SELECT DISTINCT {target_col} AS k FROM read_parquet('{settings.lake_uri(_glob(target))}'))" if target_keys \
        else "(SELECT NULL::VARCHAR AS k WHERE false)"
    total, missing, samples = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE k IS NULL AND r.{column} IS NOT NULL), "
        f"list(r.id_bisnis) FILTER (WHERE k IS NULL AND r.{column} IS NOT NULL)[1:{SAMPLES}] "
        f"FROM {rows} r LEFT JOIN {known} t ON t.k = r.{column}"
    ).fetchone()
    return total, missing, samples or []


def validate(settings: Settings, entries: list[ledger.LedgerEntry], day: str, today: dt.date | None = None) -> list[FhirOutcome]:
    """Check the deliveries of delivery day ``day`` and record the day's verdict in the lake."""
    loaded = [e for e in entries if e.status == ledger.STATUS_LOADED]
    quarantined = _quarantine_by_type(settings, loaded)
    out: list[FhirOutcome] = []
    for kind in fhir.RESOURCE_TYPES:
        n_loaded = sum(e.dimuat_per_tipe.get(kind, 0) for e in loaded)
        n_bad = quarantined.get(kind, 0)
        share = n_bad / (n_loaded + n_bad) if n_loaded + n_bad else 0.0
        out.append(FhirOutcome(kind, Outcome(
            "porsi_karantina", "error", DESCRIPTIONS["porsi_karantina"],
            share <= MAX_QUARANTINE_SHARE or n_bad < MIN_ROWS_TO_BLOCK,
            observed=round(share, 4), unexpected_count=n_bad, element_count=n_loaded + n_bad, periods=[day])))
    con = connect(settings)
    try:
        for kind, column, target, name in (("Encounter", "pasien_id", "Patient", "rujukan_pasien"),
                                           ("Condition", "kunjungan_id", "Encounter", "rujukan_kunjungan"),
                                           ("Observation", "kunjungan_id", "Encounter", "rujukan_kunjungan")):
            objects = _objects(loaded, kind)
            total, missing, samples = _orphans(settings, con, objects, column, target) if objects else (0, 0, [])
            out.append(FhirOutcome(kind, Outcome(
                name, "warn", DESCRIPTIONS[name], missing == 0, observed=missing, unexpected_count=missing,
                element_count=total, samples=samples, periods=[day])))
    finally:
        con.close()
    out.append(FhirOutcome("Encounter", _freshness(settings, today or dt.date.today())))
    _record(settings, day, out)
    return out


def _freshness(settings: Settings, today: dt.date) -> Outcome:
    # The latest service day in the Encounter bronze: one listing, not a read of every ledger entry.
    prefix = fhir.bronze_prefix("Encounter") + "periode="
    days = [k[len(prefix):].split("/", 1)[0] for k, _ in objectstore.list_keys(settings, settings.bucket_lake, prefix)]
    fresh = assess(max(days) if days else None, "day", today)
    observed = f"terlambat {fresh.days_late} hari" if fresh.overdue else f"terbaru {fresh.latest_loaded}"
    return Outcome("kesegaran", "warn", DESCRIPTIONS["kesegaran"], not fresh.overdue, observed=observed)


def _record(settings: Settings, day: str, outcomes: list[FhirOutcome]) -> None:
    status = objectstore.get_json(settings, settings.bucket_lake, STATUS_KEY)
    days = status.get("hari", {}) if isinstance(status, dict) else {}
    failing = [f"{o.resource_type}.{o.outcome.name}" for o in outcomes if o.outcome.severity == "error" and not o.outcome.passed]
    days[day] = {"blocked": bool(failing), "gagal": failing,
                 "hasil": [{"tipe": o.resource_type, **asdict(o.outcome)} for o in outcomes]}
    objectstore.put_json(settings, settings.bucket_lake, STATUS_KEY, {
        "blocked": any(d["blocked"] for d in days.values()),
        "hari_diblokir": sorted(d for d, v in days.items() if v["blocked"]),
        "hari": days,
    })


def blocked_days(settings: Settings) -> list[str]:
    """Delivery days whose latest validation failed a blocking check (empty: health marts may build)."""
    status = objectstore.get_json(settings, settings.bucket_lake, STATUS_KEY)
    return list(status.get("hari_diblokir", [])) if isinstance(status, dict) else []
