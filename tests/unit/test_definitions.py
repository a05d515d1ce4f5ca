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


def test_load_jobs_are_partitioned_by_grain_and_sensors_target_them():
    from orchestration.definitions import defs

    monthly = defs.resolve_job_def("muat_pajak_bulanan")
    assert monthly.description.startswith("Muat data pajak")
    assert monthly.partitions_def.get_partition_keys()[0] == "2020-01"
    assert defs.resolve_job_def("muat_opd_tahunan").partitions_def.get_partition_keys()[0] == "2015"
    assert defs.resolve_job_def("muat_kesehatan_harian").partitions_def.get_partition_keys()[0] == "2024-01-01"
    # every bronze asset is partitioned by its declaration's grain; marts are not
    graph = defs.resolve_asset_graph()
    for d in load_datasets(get_settings()):
        fmt = graph.get(AssetKey(["bronze", d.source, d.name])).partitions_def.fmt
        assert fmt == {"month": "%Y-%m", "year": "%Y", "day": "%Y-%m-%d"}[d.period.grain]
    assert graph.get(AssetKey(["marts", "fct_realisasi_pad_bulanan"])).partitions_def is None
    sensor = defs.resolve_sensor_def("berkas_baru_pajak")
    assert {j.name for j in sensor.jobs} == {"muat_pajak_bulanan", "muat_pajak_tahunan"}
    assert defs.resolve_job_def("bangun_mart").partitions_def is None
    # marts follow their bronze partitions through declarative automation, run by a sensor that is on
    assert graph.get(AssetKey(["marts", "fct_realisasi_pad_bulanan"])).automation_condition is not None
    assert defs.resolve_sensor_def("mart_otomatis").default_status.value == "RUNNING"


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
    job = defs.resolve_job_def("muat_opd_tahunan")
    assert job.description.startswith("Muat statistik sektoral OPD")
    assert defs.resolve_sensor_def("berkas_baru_opd").job_name == "muat_opd_tahunan"
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(AssetKey(["staging", "stg_opd__statistik"])).parent_keys}
    assert parents == {f"bronze/opd/{d.name}" for d in opd}


def test_statistic_macro_lists_every_declared_table():
    from satudata.dbt import statistic_macros

    text = statistic_macros(get_settings())
    for d in load_datasets(get_settings(), "opd"):
        assert f'"name": "{d.name}"' in text and f"bronze/opd/{d.name}/*/*.parquet" in text
    assert "pbb_sppt" not in text
