"""The platform's Dagster definitions: one ``Definitions`` per domain, merged here."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from orchestration.alerts import peringatan_pemeriksaan_gagal, peringatan_run_gagal
from orchestration.automation import mart_otomatis
from orchestration.core.definitions import defs as core_defs
from orchestration.dbt import dbt_cli_resource
from orchestration.katalog.definitions import defs as katalog_defs
from orchestration.kesehatan.definitions import defs as kesehatan_defs
from orchestration.kesehatan.definitions import feeds as kesehatan_feeds
from orchestration.opd.definitions import defs as opd_defs
from orchestration.opd.definitions import feeds as opd_feeds
from orchestration.pajak.definitions import defs as pajak_defs
from orchestration.pajak.definitions import feeds as pajak_feeds
from orchestration.resources import SatuDataResource

# Every landing feed of every domain (the runner and the CLI backfill plan partition runs from them).
FEEDS = [*pajak_feeds, *opd_feeds, *kesehatan_feeds]

# Loading is partitioned (one job per domain and grain, see the domains); everything after bronze is not.
bangun_mart = define_asset_job(
    name="bangun_mart",
    selection=AssetSelection.all().materializable() - AssetSelection.key_prefixes("bronze") - AssetSelection.groups("katalog"),
    description="Bangun ulang semua mart, buku besar audit dan warehouse analis dari bronze yang ada (tanpa memuat berkas).",
)

defs = Definitions.merge(
    core_defs,
    pajak_defs,
    opd_defs,
    kesehatan_defs,
    katalog_defs,
    Definitions(
        jobs=[bangun_mart],
        sensors=[peringatan_run_gagal, peringatan_pemeriksaan_gagal, mart_otomatis],
        resources={"satudata": SatuDataResource(), "dbt": dbt_cli_resource()},
    ),
)
