"""The stewards' console: partitions, sensor run requests, automation, backfills and instance storage.

Runs against the session's test stack and the small city loaded by ``tax_city``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import polars as pl
import pytest
from dagster import AssetKey, DagsterInstance, asset, build_sensor_context, evaluate_automation_conditions, materialize

from ingest import ledger
from satudata import objectstore
from satudata.contracts import load_datasets
from satudata.runner import RunPlanError, backfill, run_job

pytestmark = pytest.mark.integration

RETRIBUSI = AssetKey(["bronze", "eretribusi", "retribusi"])
PEMBAYARAN = AssetKey(["bronze", "sismiop", "pbb_pembayaran"])
LATE_KEY = "eretribusi/retribusi/2025-11-20/retribusi_2025-03_koreksi.csv"
DUPLICATE_KEY = "sismiop/pbb_pembayaran/2025-11-20/pembayaran_pbb_2025-05_kirim_ulang.csv"


@pytest.fixture(scope="module")
def console(tax_city) -> dict:
    """The loaded city with nothing pending in the tax feeds (earlier modules may have left files)."""
    from orchestration.definitions import FEEDS

    settings = tax_city["settings"]
    if any(f.pending(settings) for f in FEEDS if f.domain == "pajak"):
        assert run_job(settings, "muat_data_pajak")["success"]
    return tax_city


def _tick(settings) -> list:
    from orchestration.definitions import defs
    from orchestration.resources import SatuDataResource

    sensor = defs.resolve_sensor_def("berkas_baru_pajak")
    with DagsterInstance.ephemeral() as instance:
        ctx = build_sensor_context(instance=instance, resources={"satudata": SatuDataResource()}, definitions=defs)
        return list(sensor.evaluate_tick(ctx).run_requests or [])


def _deliver(settings, original_key: str, new_key: str, tmp_path: Path, drop_rows: int = 0) -> None:
    local = tmp_path / Path(original_key).name
    objectstore.download(settings, settings.bucket_landing, original_key, local)
    if drop_rows:
        frame = pl.read_csv(local, separator=";", infer_schema=False)
        frame.head(frame.height - drop_rows).write_csv(local, separator=";")
    objectstore.upload_file(settings, settings.bucket_landing, new_key, local, "text/csv")


def test_sensor_requests_exactly_the_partitions_new_files_feed(console, tmp_path: Path):
    settings = console["settings"]
    assert _tick(settings) == []
    files = console["files"]
    march = next(f.key for f in files if f.kind == "normal" and f.key.endswith("retribusi_2025-03.csv"))
    may = next(f.key for f in files if f.kind == "normal" and f.key.endswith("pembayaran_pbb_2025-05.csv"))
    _deliver(settings, march, LATE_KEY, tmp_path, drop_rows=5)  # a late correction of an old month
    _deliver(settings, may, DUPLICATE_KEY, tmp_path)  # the same bytes sent again under a new name
    requests = _tick(settings)
    assert sorted((r.job_name, r.partition_key, tuple(k.to_user_string() for k in r.asset_selection)) for r in requests) == [
        ("muat_pajak_bulanan", "2025-03", ("bronze/eretribusi/retribusi",)),
        ("muat_pajak_bulanan", "2025-05", ("bronze/sismiop/pbb_pembayaran",)),
    ]
    # the next tick asks for the same runs under the same keys: the daemon starts each once
    assert sorted(r.run_key for r in _tick(settings)) == sorted(r.run_key for r in requests)


def test_a_late_month_rematerialises_that_partition_and_only_its_downstream(console):
    from orchestration.definitions import defs

    settings = console["settings"]
    with DagsterInstance.ephemeral() as instance:
        baseline = evaluate_automation_conditions(defs=defs, instance=instance)
        result = defs.resolve_job_def("muat_pajak_bulanan").execute_in_process(
            partition_key="2025-03", asset_selection=[RETRIBUSI], instance=instance)
        assert result.success
        parts = [e.event_specific_data.materialization.partition for e in result.get_asset_materialization_events()]
        assert parts == ["2025-03"]
        after = evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
    requested = {r.key.to_user_string() for r in after.results if r.true_subset.size}
    assert {"staging/stg_eretribusi__retribusi", "marts/fct_realisasi_pad_bulanan", "marts/fct_penerimaan_harian",
            "warehouse/analis"} <= requested
    # nothing that does not read the retribusi data, and no bronze partition, is rebuilt
    assert not requested & {"staging/stg_sismiop__pbb_pembayaran", "marts/fct_tunggakan_pbb",
                            "marts/fct_kunjungan_faskes_bulanan", "marts/fct_statistik_sektoral"}
    assert not {k for k in requested if k.startswith("bronze/")}
    entry = next(e for e in ledger.entries(settings, _dataset(settings, "retribusi")) if e.berkas == LATE_KEY)
    assert entry.status == ledger.STATUS_LOADED and entry.periode == "2025-03" and entry.balanced


def _dataset(settings, name: str):
    return next(d for d in load_datasets(settings) if d.name == name)


def _monthly_revenue(settings) -> dict[str, float]:
    from satudata.duck import connect

    con = connect(settings)
    try:
        rows = con.execute(
            f"SELECT periode, sum(realisasi) FROM read_parquet('{settings.lake_uri('marts/fct_realisasi_pad_bulanan.parquet')}') "
            "WHERE tingkat_wilayah = 'kota' GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    return {p: float(v) for p, v in rows}


def test_backfill_reloads_three_months_and_changes_nothing_else(console):
    settings = console["settings"]
    assert run_job(settings, "muat_data_pajak")["success"]  # the duplicate of May is recorded first
    before = _monthly_revenue(settings)
    result = backfill(settings, "muat_pajak_bulanan", "2025-02", "2025-04")
    assert result["success"], result["error"]
    assert result["partitions"] == [f"muat_pajak_bulanan:2025-0{m}" for m in (2, 3, 4)]
    loaded = {k.split("[")[1].rstrip("]") for k in result["assets"] if k.startswith("bronze/") and "[" in k}
    assert loaded == {"2025-02", "2025-03", "2025-04"}
    assert "warehouse/analis" in result["assets"]
    # replaying the same deliveries in order ends where the sensor left each month
    assert _monthly_revenue(settings) == before
    for name in ("retribusi", "pbb_pembayaran", "sptpd", "bphtb_transaksi"):
        assert all(e.balanced for e in ledger.entries(settings, _dataset(settings, name)))
    duplicate = next(e for e in ledger.entries(settings, _dataset(settings, "pbb_pembayaran")) if e.berkas == DUPLICATE_KEY)
    assert duplicate.status == ledger.STATUS_DUPLICATE


def test_backfill_and_run_name_what_exists(console):
    settings = console["settings"]
    with pytest.raises(RunPlanError, match="muat_pajak_bulanan"):
        backfill(settings, "muat_pajak", "2025-01", "2025-02")
    with pytest.raises(RunPlanError, match="tidak valid"):
        backfill(settings, "muat_pajak_bulanan", "2025-13", "2025-14")
    with pytest.raises(RunPlanError, match="berpartisi"):
        run_job(settings, "muat_pajak_bulanan")


def test_postgres_run_and_event_storage(stack_settings, tmp_path: Path, monkeypatch):
    from satudata.instance import PG_URL_ENV, InstanceConfigError, dagster_yaml
    from satudata.portal_services import PostgresService

    password = secrets.token_hex(12)
    PostgresService(stack_settings).ensure_database("dagster_uji", "dagster_uji", password)
    url = f"postgresql+psycopg2://dagster_uji:{password}@127.0.0.1:{stack_settings.pg_port}/dagster_uji"
    monkeypatch.setenv(PG_URL_ENV, url)
    (tmp_path / "dagster.yaml").write_text(dagster_yaml())
    assert "postgres_url" in dagster_yaml() and url not in dagster_yaml()  # the secret stays in the environment
    with pytest.raises(InstanceConfigError, match="postgresql\\+psycopg2"):
        dagster_yaml({PG_URL_ENV: url.replace("+psycopg2", "")})

    @asset
    def uji_penyimpanan() -> int:
        return 1

    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        run_id = materialize([uji_penyimpanan], instance=instance).run_id
        assert instance.get_run_by_id(run_id).is_success
    counted = PostgresService(stack_settings).psql(
        f"SELECT count(*) FROM runs WHERE run_id = '{run_id}'", database="dagster_uji")
    assert counted.strip() == "1"  # psql -At: the bare value


def test_backfill_cli_names_the_load_jobs_in_one_line():
    from click.testing import CliRunner

    from satudata.cli import main

    result = CliRunner().invoke(main, ["backfill", "muat_pajak", "--dari", "2025-01", "--sampai", "2025-02"])
    assert result.exit_code == 1
    assert "muat_pajak_bulanan" in result.output and "Traceback" not in result.output
