"""Publishing the open marts to the real local CKAN: complete metadata, idempotence, targeted
updates, deprecation, and clear failures when CKAN is down or the token is wrong."""

from __future__ import annotations

import tempfile
from pathlib import Path

import ckanapi
import pytest

from catalog.export import export
from catalog.publications import load_publications
from catalog.publisher import MAINTAINER, Portal, PortalError, publish
from satudata import objectstore
from satudata.dbt import prepare
from satudata.duck import connect

pytestmark = pytest.mark.integration

SCHEMA_FIELDS = ("walidata", "konsep", "definisi", "satuan", "frekuensi", "tingkat_penyajian", "periode_awal",
                 "periode_akhir", "sumber", "license_id", "version")


def _publish(settings, portal: Portal | None = None):
    with tempfile.TemporaryDirectory() as tmp:
        exports = [export(settings, p, Path(tmp)) for p in load_publications(prepare(settings))]
        return {o.dataset: o for o in publish(settings, exports, portal)}, exports


@pytest.fixture(scope="module")
def ckan(tax_city):
    settings = tax_city["settings"]
    return settings, ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token)


def test_first_publish_created_every_open_dataset_with_complete_metadata(tax_city, ckan):
    settings, api = ckan
    assert "katalog/portal_ckan" in tax_city["result"]["assets"]
    publications = load_publications(prepare(settings))
    assert {p.name for p in publications} <= set(api.action.package_list())
    for p in publications:
        package = api.action.package_show(id=p.name)
        assert package["organization"]["name"] == p.meta["organisasi"]
        assert {g["name"] for g in package["groups"]} == set(p.groups)
        assert all(package.get(f) for f in SCHEMA_FIELDS), {f: package.get(f) for f in SCHEMA_FIELDS}
        resources = {r["name"]: r for r in package["resources"]}
        assert set(resources) == {"Data (CSV)", "Data (Parquet)", "Kamus data"}
        csv = resources["Data (CSV)"]
        # the portal holds exactly the versioned file in the open bucket
        key = f"{p.name}/{package['version']}/{p.name}.csv"
        local = Path(tempfile.mkdtemp()) / "x.csv"
        assert objectstore.download(settings, settings.bucket_open, key, local) == csv["sha256"]
        assert csv["periode_data"] and csv["versi_sumber"] == package["version"]


def test_published_csv_matches_the_mart_and_hides_small_cells(ckan):
    settings, api = ckan
    package = api.action.package_show(id="tunggakan-pbb-kelurahan")
    url = next(r["url"] for r in package["resources"] if r["name"] == "Data (CSV)")
    con = connect(settings)
    published = con.execute(f"select count(*), sum(tunggakan) from read_csv('{url}')").fetchone()
    mart = con.execute(
        f"select count(*), sum(tunggakan) from read_parquet('{settings.lake_uri('marts/terbuka_tunggakan_pbb_kelurahan.parquet')}')"
    ).fetchone()
    assert published == mart
    leaked = con.execute(
        f"select count(*) from read_csv('{url}') where disembunyikan and (tunggakan is not null or jumlah_sppt is not null)"
    ).fetchone()[0]
    assert leaked == 0


def test_republishing_without_data_change_changes_nothing(ckan):
    settings, api = ckan
    before = {n: api.action.package_show(id=n)["metadata_modified"] for n in api.action.package_list()}
    outcomes, _ = _publish(settings)
    assert {o.status for o in outcomes.values()} == {"tetap"}, outcomes
    after = {n: api.action.package_show(id=n)["metadata_modified"] for n in api.action.package_list()}
    assert after == before


def test_a_data_change_updates_exactly_the_affected_resources(ckan):
    settings, api = ckan
    mart = settings.lake_uri("marts/terbuka_tunggakan_pbb_kelurahan.parquet")
    con = connect(settings)
    con.execute(f"create table t as select * from read_parquet('{mart}')")
    con.execute("update t set tunggakan = tunggakan + 1 where not disembunyikan and kode_kelurahan = (select min(kode_kelurahan) from t where not disembunyikan)")
    con.execute(f"copy t to '{mart}' (format parquet)")
    before = {r["name"]: r for r in api.action.package_show(id="tunggakan-pbb-kelurahan")["resources"]}
    outcomes, _ = _publish(settings)
    assert outcomes["tunggakan-pbb-kelurahan"].status == "diperbarui"
    assert {o.status for n, o in outcomes.items() if n != "tunggakan-pbb-kelurahan"} == {"tetap"}
    after = {r["name"]: r for r in api.action.package_show(id="tunggakan-pbb-kelurahan")["resources"]}
    assert after["Data (CSV)"]["sha256"] != before["Data (CSV)"]["sha256"]
    assert after["Data (CSV)"]["id"] == before["Data (CSV)"]["id"]  # updated in place
    assert after["Kamus data"]["last_modified"] == before["Kamus data"]["last_modified"]


def test_a_dataset_no_longer_produced_is_deprecated_not_deleted(ckan):
    settings, api = ckan
    api.action.package_create(name="statistik-lama", title="Statistik lama", owner_org="bapenda", notes="Data lama",
                              maintainer=MAINTAINER, license_id="cc-by", frekuensi="tahunan", tingkat_penyajian=["kota"],
                              walidata="Diskominfo", konsep="k", definisi="d", satuan="Rupiah")
    outcomes, _ = _publish(settings)
    assert outcomes["statistik-lama"].status == "usang"
    package = api.action.package_show(id="statistik-lama")
    assert package["state"] == "active" and package["title"].startswith("[USANG]")
    assert "statistik-lama" not in _publish(settings)[0]  # already marked: left alone


def test_bad_token_gives_a_clear_message(ckan):
    settings, _ = ckan
    with pytest.raises(PortalError, match="menolak token"):
        _publish(settings, Portal(settings.ckan_url, "bukan-token-yang-sah", retries=0))


def test_ckan_down_fails_clearly_after_retries_and_the_next_run_completes(ckan):
    from satudata.portal_services import CkanService

    settings, _ = ckan
    service = CkanService(settings)
    service.stop()
    try:
        waits: list[float] = []
        portal = Portal(settings.ckan_url, settings.ckan_api_token, retries=3, backoff=0.01, sleep=waits.append)
        with pytest.raises(PortalError, match="setelah 4 percobaan"):
            _publish(settings, portal)
        assert waits == [0.01, 0.02, 0.04]
    finally:
        service.start()
    outcomes, _ = _publish(settings)
    assert {o.status for o in outcomes.values()} <= {"tetap", "diperbarui"}
