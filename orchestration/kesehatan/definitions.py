"""Health domain: FHIR feeds (RSUD Bundles, Puskesmas NDJSON) and BPJS claims, pseudonymised at bronze.

The FHIR feeds are not tabular declarations: one multi-asset streams every pending FHIR delivery
of both feeds (``ingest.fhir``) into one bronze table per resource type, records each file in the
same ledger as every other delivery, and reports per type what was loaded, quarantined and
skipped. The BPJS claims are a declared dataset (``datasets/kesehatan/``) and use the common
bronze factory with its quality gate. dbt builds the models tagged ``kesehatan``.
"""

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Definitions,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from ingest import fhir, ledger
from orchestration.bronze import MuatConfig, bronze_asset, check_result, is_reload, landing_spec
from orchestration.dbt import domain_dbt_assets
from orchestration.partitions import PARTITIONS, deliveries_of
from orchestration.resources import SatuDataResource
from orchestration.sensors import Feed, closing_schedule, landing_sensor, load_jobs
from quality import fhir as fhir_gate
from satudata.contracts import load_datasets
from satudata.settings import get_settings

DOMAIN = "kesehatan"
datasets = load_datasets(get_settings(), domain=DOMAIN)


def _landing_key(feed: fhir.FhirFeed) -> AssetKey:
    return AssetKey(["landing", feed.source, feed.name])


fhir_landing = [
    AssetSpec(key=_landing_key(f), description=f"{f.description} (bucket landing, {f.landing_prefix}).",
              group_name=DOMAIN, metadata={"prefiks_landing": f.landing_prefix, "format": f.container}, kinds={"s3"})
    for f in fhir.FEEDS
]


@multi_asset(
    name="bronze_fhir",
    specs=[
        AssetSpec(key=AssetKey(["bronze", "fhir", kind.lower()]), deps=[_landing_key(f) for f in fhir.FEEDS],
                  group_name=DOMAIN, kinds={"parquet", "s3"},
                  description=f"FHIR {kind} (semua versi) dengan pengenal orang disamarkan; lake/{fhir.bronze_prefix(kind)}")
        for kind in fhir.RESOURCE_TYPES
    ],
    check_specs=[AssetCheckSpec(name, asset=AssetKey(["bronze", "fhir", kind.lower()]), description=fhir_gate.DESCRIPTIONS[name])
                 for kind, names in fhir_gate.CHECKS.items() for name in names],
    can_subset=False,
    partitions_def=PARTITIONS["day"],
)
def bronze_fhir(context: AssetExecutionContext, satudata: SatuDataResource, config: MuatConfig):
    """Stream the day's FHIR deliveries (partition = delivery date) into pseudonymised bronze per resource type."""
    settings = satudata.settings()
    reload = is_reload(context, config)
    entries: list[ledger.LedgerEntry] = []
    for feed in fhir.FEEDS:
        def on_file(entry: ledger.LedgerEntry) -> None:
            if entry.status == ledger.STATUS_REJECTED:
                context.log.error(f"Berkas ditolak: {entry.pesan}")
            elif entry.status == ledger.STATUS_DUPLICATE:
                context.log.info(f"Duplikat dilewati: {entry.berkas}")
            else:
                context.log.info(f"{entry.berkas}: {entry.baris_dimuat} sumber daya dimuat, "
                                 f"{entry.baris_karantina} dikarantina (hari layanan {entry.periode})")
        keys = deliveries_of(settings, feed, "day", context.partition_key, reload)
        entries += fhir.load_deliveries(settings, feed, keys, on_file=on_file)
    for kind in fhir.RESOURCE_TYPES:
        loaded = sum(e.dimuat_per_tipe.get(kind, 0) for e in entries)
        yield MaterializeResult(
            asset_key=AssetKey(["bronze", "fhir", kind.lower()]),
            metadata={"sumber_daya_dimuat": MetadataValue.int(loaded)},
        )
    rules: dict[str, int] = {}
    for e in entries:
        for rule, n in e.karantina_per_aturan.items():
            rules[rule] = rules.get(rule, 0) + n
    context.log.info(f"FHIR: {len(entries)} berkas; karantina per aturan {rules}")
    outcomes = fhir_gate.validate(settings, entries, context.partition_key)
    failing = [f"{o.resource_type}.{o.outcome.name} ({o.outcome.observed})" for o in outcomes
               if o.outcome.severity == "error" and not o.outcome.passed]
    if failing:
        context.log.error("Gerbang kualitas FHIR MEMBLOKIR mart kesehatan: " + "; ".join(failing)
                          + ". Kirim ulang berkas hari itu yang sudah diperbaiki.")
    for o in outcomes:
        yield check_result(o.outcome, AssetKey(["bronze", "fhir", o.resource_type.lower()]))


FHIR_KEYS = tuple(AssetKey(["bronze", "fhir", k.lower()]) for k in fhir.RESOURCE_TYPES)
feeds = [Feed.of(d) for d in datasets] + [Feed("fhir", DOMAIN, tuple(fhir.FEEDS), "day", FHIR_KEYS)]
jobs = load_jobs(
    DOMAIN, feeds,
    "Muat data kesehatan: FHIR SATUSEHAT (Bundle RSUD, NDJSON Puskesmas) dan klaim BPJS di landing → bronze dengan "
    "pengenal orang disamarkan (pseudonim HMAC); mart kunjungan, penyakit, klaim dan skrining menyusul otomatis.",
)

tutup_hari_kesehatan = closing_schedule(
    jobs["day"], "day", "tutup_hari_kesehatan", "0 2 * * *",
    "Setiap hari pukul 02.00 WITA: muat kiriman FHIR hari kemarin yang belum dimuat sensor.",
)

defs = Definitions(
    assets=[landing_spec(d) for d in datasets] + [bronze_asset(d) for d in datasets] + fhir_landing
    + [bronze_fhir, domain_dbt_assets(DOMAIN)],
    jobs=list(jobs.values()),
    schedules=[tutup_hari_kesehatan],
    sensors=[landing_sensor(DOMAIN, feeds, jobs)],
)
