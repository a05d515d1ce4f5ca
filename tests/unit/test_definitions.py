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
    declared = {(d.source, d.name) for d in load_datasets(get_settings())}
    assert declared <= set(tables)
    # besides the declarations, only the platform's own tables (audit ledger, dataset metadata) and the
    # FHIR bronze tables, whose columns come from ingest.fhir.SCHEMAS
    assert {s for s, _ in set(tables) - declared} <= {"audit", "metadata", "fhir"}
    assert tables[("metadata", "dataset")]["meta"]["dagster"]["asset_key"] == ["metadata", "dataset"]
    sppt = tables[("sismiop", "pbb_sppt")]
    assert sppt["meta"]["dagster"]["asset_key"] == ["bronze", "sismiop", "pbb_sppt"]
    assert "s3://lake/bronze/sismiop/pbb_sppt/*/*.parquet" in sppt["meta"]["external_location"]
    nop = next(c for c in sppt["columns"] if c["name"] == "nop")
    assert nop["meta"]["pii"] == "taxpayer" and nop["description"]


def test_opd_domain_is_wired_from_declarations():
    from orchestration.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    opd = load_datasets(get_settings(), "opd")
    assert len(opd) >= 8
    for mart in ("fct_statistik_sektoral", "dim_dataset", "fct_pad_per_kapita"):
        assert f"marts/{mart}" in keys
    assert "metadata/dataset" in keys
    job = defs.resolve_job_def("muat_data_opd")
    assert job.description.startswith("Muat data statistik sektoral OPD")
    assert defs.resolve_sensor_def("berkas_baru_opd").job_name == "muat_data_opd"
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(AssetKey(["staging", "stg_opd__statistik"])).parent_keys}
    assert parents == {f"bronze/opd/{d.name}" for d in opd}


def test_statistic_macro_lists_every_declared_table():
    from satudata.dbt import statistic_macros

    text = statistic_macros(get_settings())
    for d in load_datasets(get_settings(), "opd"):
        assert f'"name": "{d.name}"' in text and f"bronze/opd/{d.name}/*/*.parquet" in text
    assert "pbb_sppt" not in text
