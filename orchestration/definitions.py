"""The platform's Dagster definitions: one ``Definitions`` per domain, merged here."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from orchestration.core.definitions import defs as core_defs
from orchestration.alerts import peringatan_pemeriksaan_gagal, peringatan_run_gagal
from orchestration.dbt import dbt_cli_resource
from orchestration.katalog.definitions import defs as katalog_defs
from orchestration.kesehatan.definitions import defs as kesehatan_defs
from orchestration.opd.definitions import defs as opd_defs
from orchestration.pajak.definitions import defs as pajak_defs
from orchestration.resources import SatuDataResource

satudata_lengkap = define_asset_job(
    name="satudata_lengkap",
    selection=AssetSelection.all().materializable(),
    description="Jalankan seluruh platform: semua berkas baru → bronze → mart → warehouse analis → portal CKAN.",
)

defs = Definitions.merge(
    core_defs,
    pajak_defs,
    opd_defs,
    kesehatan_defs,
    katalog_defs,
    Definitions(
        jobs=[satudata_lengkap],
        sensors=[peringatan_run_gagal, peringatan_pemeriksaan_gagal],
        resources={"satudata": SatuDataResource(), "dbt": dbt_cli_resource()},
    ),
)
