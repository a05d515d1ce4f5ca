"""Catalog domain: publish the open marts to the CKAN portal (``terbitkan_ke_portal``)."""

import tempfile
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Backoff,
    Definitions,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from catalog.export import export
from catalog.publications import load_publications
from catalog.publisher import publish
from orchestration.resources import SatuDataResource
from satudata.dbt import prepare
from satudata.settings import get_settings

PUBLICATIONS = load_publications(prepare(get_settings()))


@asset(
    key=["katalog", "portal_ckan"],
    deps=[AssetKey(["marts", p.model]) for p in PUBLICATIONS],
    group_name="katalog",
    kinds={"ckan"},
    description=(
        "Terbitkan mart terbuka ke portal CKAN: ekspor CSV/Parquet/kamus data berversi ke bucket open, "
        "lalu buat atau perbarui dataset dan sumber dayanya hanya bila isinya berubah."
    ),
    retry_policy=RetryPolicy(max_retries=2, delay=10, backoff=Backoff.EXPONENTIAL),
    check_specs=[AssetCheckSpec("semua_dataset_terbit", asset=["katalog", "portal_ckan"],
                                description="Setiap mart terbuka berhasil diterbitkan pada run ini")],
)
def portal_ckan(context: AssetExecutionContext, satudata: SatuDataResource) -> MaterializeResult:
    settings = satudata.settings()
    publications = load_publications(prepare(settings))
    with tempfile.TemporaryDirectory(prefix="satudata-open-") as tmp:
        exports = [export(settings, p, Path(tmp)) for p in publications]
        outcomes = publish(settings, exports)
    for o in outcomes:
        log = context.log.error if o.status == "gagal" else context.log.info
        log(f"{o.dataset}: {o.status} {o.detail}")
    counts = {s: sum(o.status == s for o in outcomes) for s in ("dibuat", "diperbarui", "tetap", "usang", "gagal")}
    table = "| dataset | status | keterangan |\n|---|---|---|\n" + "\n".join(
        f"| {o.dataset} | {o.status} | {o.detail} |" for o in outcomes
    )
    failed = [o for o in outcomes if o.status == "gagal"]
    return MaterializeResult(
        metadata={**{k: MetadataValue.int(v) for k, v in counts.items()},
                  "laporan_publikasi": MetadataValue.md(table),
                  "portal": MetadataValue.url(settings.ckan_url)},
        check_results=[AssetCheckResult(
            check_name="semua_dataset_terbit", passed=not failed,
            metadata={"gagal": MetadataValue.json({o.dataset: o.detail for o in failed})},
        )],
    )


terbitkan_ke_portal = define_asset_job(
    name="terbitkan_ke_portal",
    selection=[portal_ckan],
    description="Terbitkan ke portal: ekspor mart terbuka dan perbarui dataset CKAN yang berubah.",
)

terbit_harian = ScheduleDefinition(
    name="terbit_harian",
    job=terbitkan_ke_portal,
    cron_schedule="0 7 * * *",
    execution_timezone="Asia/Makassar",
    description="Setiap hari pukul 07.00 WITA: portal mengikuti mart terbuka terbaru (tanpa perubahan = tanpa tulis).",
)

defs = Definitions(assets=[portal_ckan], jobs=[terbitkan_ke_portal], schedules=[terbit_harian])
