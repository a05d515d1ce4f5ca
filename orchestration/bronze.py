"""Bronze assets, one per declared dataset, built by a factory from the declarations.

Each asset is partitioned by its dataset's period grain (``orchestration.partitions``). A run of a
partition loads the pending landing deliveries that feed it (``ingest.bronze``) — or, in a
backfill, reloads every delivery of that period — records the outcome in the ledger, validates the periods it loaded against the checks derived from the same
declaration (``quality``), and reports what a steward wants to see: files loaded, rejected and
duplicated, rows loaded and quarantined, the last file, and per check the observed value, failing
rows and samples. A rejected file is logged as an error naming the file but does not stop the
other files; the OPD gets a note next to its delivery.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ingest import bronze, ledger
from orchestration.partitions import PARTITIONS, deliveries_of
from orchestration.resources import SatuDataResource
from quality import gate, report
from quality.suites import build_checks
from satudata import objectstore
from satudata.contracts import Dataset, get_dataset
from satudata.dbt import bronze_asset_key
from satudata.settings import get_settings


def landing_asset_key(dataset: Dataset) -> AssetKey:
    return AssetKey(["landing", dataset.source, dataset.name])


def landing_spec(dataset: Dataset) -> AssetSpec:
    """The landing prefix as an external asset: delivered by the source system, never by us."""
    return AssetSpec(
        key=landing_asset_key(dataset),
        description=f"Berkas {dataset.name} seperti dikirim oleh {dataset.source} (bucket landing, {dataset.landing_prefix}).",
        group_name=dataset.domain,
        metadata={"prefiks_landing": dataset.landing_prefix, "format": dataset.format.type},
        kinds={"s3"},
    )


def check_result(outcome: gate.Outcome, asset_key: AssetKey | None = None) -> AssetCheckResult:
    """A gate outcome as a Dagster check result: observed value, failing rows and samples in its metadata."""
    metadata: dict[str, object] = {
        "nilai_teramati": MetadataValue.json({"nilai": outcome.observed}),
        "periode": MetadataValue.text(", ".join(outcome.periods) or "-"),
        "aturan": MetadataValue.text(outcome.description),
    }
    if outcome.unexpected_count is not None:
        metadata["baris_gagal"] = MetadataValue.int(int(outcome.unexpected_count))
    if outcome.element_count is not None:
        metadata["baris_diperiksa"] = MetadataValue.int(int(outcome.element_count))
    if outcome.samples:
        metadata["contoh_gagal" if not outcome.passed else "contoh"] = MetadataValue.json(outcome.samples)
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=outcome.name,
        passed=outcome.passed,
        severity=AssetCheckSeverity.ERROR if outcome.severity == "error" else AssetCheckSeverity.WARN,
        metadata=metadata,
    )


class MuatConfig(Config):
    """Run configuration of a bronze partition."""

    muat_ulang: bool = False
    """Reload every delivery of the partition, not only new ones (after a declaration changed)."""


RELOAD_TAG = "satudata/muat_ulang"


def is_reload(context: AssetExecutionContext, config: MuatConfig) -> bool:
    """Backfills (from the UI: tag ``dagster/backfill``; ``satudata backfill``: RELOAD_TAG) reload their partitions."""
    return config.muat_ulang or "dagster/backfill" in context.run.tags or context.run.tags.get(RELOAD_TAG) == "true"


def bronze_asset(dataset: Dataset) -> AssetsDefinition:
    """The bronze asset for one declared dataset, with its derived quality checks."""
    key = AssetKey(bronze_asset_key(dataset))
    checks = build_checks(dataset, get_settings())

    @asset(
        key=key,
        # a control total reads its recap's bronze: load the recap first (same period grain)
        deps=[landing_asset_key(dataset), *(AssetKey(bronze_asset_key(get_dataset(get_settings(), c.rekap)))
                                            for c in dataset.quality.total_kontrol)],
        group_name=dataset.domain,
        description=f"{dataset.description}\n\nDeklarasi: `{dataset.path.name if dataset.path else dataset.name}`.",
        kinds={"parquet", "s3"},
        metadata={"periode": f"{dataset.period.column} ({dataset.period.grain})", "kunci": ", ".join(dataset.key),
                  "prefiks_landing": dataset.landing_prefix},
        partitions_def=PARTITIONS[dataset.period.grain],
        tags={"domain": dataset.domain},
        check_specs=[AssetCheckSpec(name=c.name, asset=key, description=f"[{c.severity}] {c.description}") for c in checks],
    )
    def _bronze(context: AssetExecutionContext, satudata: SatuDataResource, config: MuatConfig) -> MaterializeResult:
        settings = satudata.settings()
        partition = context.partition_key
        reload = is_reload(context, config)

        def on_file(entry: ledger.LedgerEntry) -> None:
            if entry.status == ledger.STATUS_REJECTED:
                context.log.error(f"Berkas ditolak: {entry.pesan}")
            elif entry.status == ledger.STATUS_DUPLICATE:
                context.log.info(f"Duplikat dilewati: {entry.berkas} ({entry.pesan})")
            else:
                context.log.info(
                    f"{entry.berkas}: {entry.baris_dimuat} baris dimuat, {entry.baris_karantina} dikarantina "
                    f"(periode {entry.periode})"
                )
            feedback = report.write_opd_feedback(settings, entry)
            if feedback:
                context.log.info(f"Umpan balik untuk OPD: s3://{settings.bucket_landing}/{feedback}")

        keys = deliveries_of(settings, dataset, dataset.period.grain, partition, reload)
        entries = bronze.load_deliveries(settings, dataset, keys, on_file=on_file)
        if not entries:
            context.log.info(f"Tidak ada berkas {'' if reload else 'baru '}untuk periode {partition}; memeriksa ulang periode itu.")
        for e in entries:
            # A statistical table may state several years ("2021,…,2025"): fine if the partition is one of them.
            if e.status == ledger.STATUS_LOADED and partition not in (e.periode or "").split(","):
                context.log.warning(
                    f"{e.berkas} berisi periode {e.periode}, bukan {partition} (periode menurut nama/tanggal kirim); "
                    f"barisnya dimuat ke periode {e.periode}."
                )
        periods = sorted({e.periode for e in entries if e.status == ledger.STATUS_LOADED and e.periode}) or [partition]
        result = gate.validate(settings, dataset, periods)
        lake_key, local = report.write_html(settings, result)
        if result.blocked:
            context.log.error(
                "Gerbang kualitas MEMBLOKIR dataset ini: "
                + "; ".join(f"{o.name} ({o.observed})" for o in result.failing("error"))
                + ". Mart turunannya tidak dibangun sampai berkas perbaikan lulus."
            )
        summary = bronze.summarize(entries)
        metadata: dict[str, object] = {k: MetadataValue.int(v) for k, v in summary.items()}
        reasons: dict[str, int] = {}
        for e in entries:
            for rule, n in e.karantina_per_aturan.items():
                reasons[rule] = reasons.get(rule, 0) + n
        metadata["karantina_per_aturan"] = MetadataValue.json(reasons)
        metadata["periode_diperiksa"] = MetadataValue.text(", ".join(result.periods) or "-")
        metadata["gerbang_kualitas"] = MetadataValue.text("DIBLOKIR" if result.blocked else "lulus")
        metadata["laporan_kualitas"] = MetadataValue.url(
            objectstore.client(settings).presigned_get_object(settings.bucket_lake, lake_key)
        )
        metadata["laporan_kualitas_lokal"] = MetadataValue.path(str(local))
        if entries:
            last = entries[-1]
            metadata["berkas_terakhir"] = MetadataValue.text(last.berkas)
            metadata["berkas_terakhir_diterima"] = MetadataValue.text(last.diterima_pada)
        rejected = [e.pesan for e in entries if e.status == ledger.STATUS_REJECTED]
        if rejected:
            metadata["pesan_penolakan"] = MetadataValue.md("\n".join(f"- {m}" for m in rejected))
        return MaterializeResult(metadata=metadata, check_results=[check_result(o) for o in result.outcomes])

    return _bronze
