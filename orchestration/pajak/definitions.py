"""Revenue domain: bronze assets per declared tax/levy dataset, dbt models, sensor and job."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, ScheduleDefinition, define_asset_job

from orchestration.bronze import bronze_asset, landing_spec
from orchestration.dbt import domain_dbt_assets
from orchestration.sensors import landing_sensor
from satudata.contracts import load_datasets
from satudata.settings import get_settings

DOMAIN = "pajak"
datasets = load_datasets(get_settings(), domain=DOMAIN)

muat_data_pajak = define_asset_job(
    name="muat_data_pajak",
    selection=AssetSelection.groups(DOMAIN).materializable().downstream(),
    description="Muat data pajak dan retribusi: berkas baru di landing → bronze → mart PAD → warehouse analis.",
)

tutup_buku_pajak_bulanan = ScheduleDefinition(
    name="tutup_buku_pajak_bulanan",
    job=muat_data_pajak,
    cron_schedule="0 6 6 * *",
    execution_timezone="Asia/Makassar",
    description="Tutup buku bulanan: tanggal 6 pukul 06.00 WITA, setelah ekspor bulan lalu dari sistem pajak tiba.",
)

defs = Definitions(
    assets=[landing_spec(d) for d in datasets] + [bronze_asset(d) for d in datasets] + [domain_dbt_assets(DOMAIN)],
    jobs=[muat_data_pajak],
    schedules=[tutup_buku_pajak_bulanan],
    sensors=[landing_sensor(DOMAIN, datasets, muat_data_pajak.name)],
)
