"""The whole Dagster code location loads, with every domain, job, sensor and check wired."""

from __future__ import annotations

from dagster import AssetKey

from satudata.contracts import load_datasets
from satudata.settings import get_settings


def test_definitions_load_with_every_declared_dataset_and_mart():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for d in load_datasets(get_settings()):
        assert f"landing/{d.source}/{d.name}" in keys
        assert f"bronze/{d.source}/{d.name}" in keys
    for mart in ("dim_wilayah", "dim_jenis_pendapatan", "fct_penerimaan_harian", "fct_realisasi_pad_bulanan", "fct_tunggakan_pbb"):
        assert f"marts/{mart}" in keys
    assert "warehouse/analis" in keys
    # the warehouse waits for every mart
    parents = graph.get(AssetKey(["warehouse", "analis"])).parent_keys
    assert {k.to_user_string() for k in parents} >= {k for k in keys if k.startswith("marts/")}
    # dbt tests are asset checks, including the reconciliation test
    checks = {c.name for c in graph.asset_check_keys}
    assert "assert_realisasi_sama_dengan_transaksi" in checks
    assert any(c.startswith("unique_combination_fct_realisasi_pad_bulanan") for c in checks)


def test_jobs_and_sensors_have_steward_names():
    from orchestration.definitions import defs

    assert defs.resolve_job_def("muat_data_pajak").description.startswith("Muat data pajak")
    assert defs.resolve_job_def("satudata_lengkap") is not None
    sensor = defs.resolve_sensor_def("berkas_baru_pajak")
    assert sensor.job_name == "muat_data_pajak"


def test_dbt_sources_are_generated_from_declarations():
    import yaml

    from satudata.dbt import sources_yaml

    doc = yaml.safe_load(sources_yaml(get_settings()))
    tables = {(s["name"], t["name"]): t for s in doc["sources"] for t in s["tables"]}
    assert set(tables) == {(d.source, d.name) for d in load_datasets(get_settings())}
    sppt = tables[("sismiop", "pbb_sppt")]
    assert sppt["meta"]["dagster"]["asset_key"] == ["bronze", "sismiop", "pbb_sppt"]
    assert "s3://lake/bronze/sismiop/pbb_sppt/*/*.parquet" in sppt["meta"]["external_location"]
    nop = next(c for c in sppt["columns"] if c["name"] == "nop")
    assert nop["meta"]["pii"] == "taxpayer" and nop["description"]
