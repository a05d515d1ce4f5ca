"""Revenue domain: bronze assets per declared tax/levy dataset (by masa pajak), dbt models, sensor, jobs."""

from __future__ import annotations

from dagster import Definitions

from orchestration.bronze import bronze_asset, landing_spec
from orchestration.dbt import domain_dbt_assets
from orchestration.sensors import Feed, closing_schedule, landing_sensor, load_jobs
from satudata.contracts import load_datasets
from satudata.settings import get_settings

DOMAIN = "pajak"
datasets = load_datasets(get_settings(), domain=DOMAIN)

feeds = [Feed.of(d) for d in datasets]
jobs = load_jobs(DOMAIN, feeds, "Muat data pajak dan retribusi dari landing ke bronze; mart PAD menyusul otomatis.")

tutup_buku_pajak_bulanan = closing_schedule(
    jobs["month"], "month", "tutup_buku_pajak_bulanan", "0 6 6 * *",
    "Tutup buku bulanan: tanggal 6 pukul 06.00 WITA memuat masa pajak bulan lalu (berkas yang sudah tiba).",
)

defs = Definitions(
    assets=[landing_spec(d) for d in datasets] + [bronze_asset(d) for d in datasets] + [domain_dbt_assets(DOMAIN)],
    jobs=list(jobs.values()),
    schedules=[tutup_buku_pajak_bulanan],
    sensors=[landing_sensor(DOMAIN, feeds, jobs)],
)
