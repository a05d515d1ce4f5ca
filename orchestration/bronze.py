"""Bronze assets, one per declared dataset, built by a factory from the declarations.

Each asset loads every pending landing delivery of its dataset (``ingest.bronze``), records the
outcome in the ledger, and reports in its materialization metadata what a steward wants to see:
files loaded, rejected and duplicated, rows loaded and quarantined, the last file and the reasons.
A rejected file is logged as an error naming the file but does not stop the other files.
"""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, AssetsDefinition, MaterializeResult, MetadataValue, asset

from ingest import bronze, ledger
from orchestration.resources import SatuDataResource
from satudata.contracts import Dataset
from satudata.dbt import bronze_asset_key


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


def bronze_asset(dataset: Dataset) -> AssetsDefinition:
    """The bronze asset for one declared dataset."""

    @asset(
        key=AssetKey(bronze_asset_key(dataset)),
        deps=[landing_asset_key(dataset)],
        group_name=dataset.domain,
        description=f"{dataset.description}\n\nDeklarasi: `{dataset.path.name if dataset.path else dataset.name}`.",
        kinds={"parquet", "s3"},
        metadata={"periode": f"{dataset.period.column} ({dataset.period.grain})", "kunci": ", ".join(dataset.key)},
        tags={"domain": dataset.domain},
    )
    def _bronze(context: AssetExecutionContext, satudata: SatuDataResource) -> MaterializeResult:
        settings = satudata.settings()

        def report(entry: ledger.LedgerEntry) -> None:
            if entry.status == ledger.STATUS_REJECTED:
                context.log.error(f"Berkas ditolak: {entry.pesan}")
            elif entry.status == ledger.STATUS_DUPLICATE:
                context.log.info(f"Duplikat dilewati: {entry.berkas} ({entry.pesan})")
            else:
                context.log.info(
                    f"{entry.berkas}: {entry.baris_dimuat} baris dimuat, {entry.baris_karantina} dikarantina "
                    f"(periode {entry.periode})"
                )

        entries = bronze.load_pending(settings, dataset, on_file=report)
        summary = bronze.summarize(entries)
        reasons: dict[str, int] = {}
        for e in entries:
            for rule, n in e.karantina_per_aturan.items():
                reasons[rule] = reasons.get(rule, 0) + n
        metadata: dict[str, object] = {k: MetadataValue.int(v) for k, v in summary.items()}
        metadata["karantina_per_aturan"] = MetadataValue.json(reasons)
        if entries:
            last = entries[-1]
            metadata["berkas_terakhir"] = MetadataValue.text(last.berkas)
            metadata["berkas_terakhir_diterima"] = MetadataValue.text(last.diterima_pada)
        rejected = [e.pesan for e in entries if e.status == ledger.STATUS_REJECTED]
        if rejected:
            metadata["pesan_penolakan"] = MetadataValue.md("\n".join(f"- {m}" for m in rejected))
        if not entries:
            context.log.info("Tidak ada berkas baru di landing.")
        return MaterializeResult(metadata=metadata)

    return _bronze
