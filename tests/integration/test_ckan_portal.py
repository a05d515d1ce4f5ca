"""The open-data portal of the test stack: a real CKAN 2.12 with no Solr.

Everything here goes through CKAN's HTTP API (ckanapi, with the pipeline's API token from
stack.env) or fetches pages as a member of the public would, against the CKAN that the
``stack_settings`` fixture started: Satu Data schema, PostgreSQL full-text search, facets,
permissions, the public pages and the DCAT endpoints.
"""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from pathlib import Path

import ckanapi
import pytest
import requests

from satudata import stack
from satudata.settings import get_settings

pytestmark = pytest.mark.integration

CSV_BODY = "periode,kode_jenis_pendapatan,realisasi\n2025-01,PBB-P2,125000000\n2025-02,PBB-P2,98000000\n"


def _metadata(**overrides):
    base = {
        "notes": "Data terbuka Kota Baubau.",
        "walidata": "Dinas Komunikasi dan Informatika Kota Baubau",
        "konsep": "Konsep indikator",
        "definisi": "Definisi operasional indikator",
        "ukuran": "jumlah",
        "satuan": "Rupiah",
        "frekuensi": "bulanan",
        "tingkat_penyajian": ["kota"],
        "periode_awal": "2025-01-01",
        "periode_akhir": "2025-12-31",
        "sumber": "Sistem informasi OPD",
        "license_id": "cc-by",
    }
    base.update(overrides)
    return base


@pytest.fixture(scope="module")
def settings(stack_settings):
    # Re-read: the token is written to stack.env by `stack up`, after stack_settings was resolved.
    resolved = get_settings()
    assert resolved.ckan_api_token, "stack up did not record SATUDATA_CKAN_API_TOKEN"
    return resolved


def _client(url: str, token: str | None = None) -> ckanapi.RemoteCKAN:
    session = requests.Session()
    session.trust_env = False  # loopback: no proxy from the environment
    return ckanapi.RemoteCKAN(url, apikey=token, session=session)


@pytest.fixture(scope="module")
def admin(settings):
    return _client(settings.ckan_url, settings.ckan_api_token)


@pytest.fixture(scope="module")
def anon(settings):
    return _client(settings.ckan_url)


@pytest.fixture(scope="module")
def catalog(admin, tmp_path_factory):
    """Two OPDs, two topic groups, three public datasets and one private one."""
    admin.action.organization_create(name="bapenda", title="Badan Pendapatan Daerah")
    admin.action.organization_create(name="dinkes", title="Dinas Kesehatan")
    admin.action.group_create(name="keuangan-daerah", title="Keuangan Daerah")
    admin.action.group_create(name="kesehatan", title="Kesehatan")

    csv_file = Path(tmp_path_factory.mktemp("ckan")) / "realisasi_pad_bulanan.csv"
    csv_file.write_text(CSV_BODY)
    digest = hashlib.sha256(CSV_BODY.encode()).hexdigest()

    realisasi = admin.action.package_create(
        name="realisasi-pad-bulanan",
        title="Realisasi Pendapatan Asli Daerah Bulanan",
        owner_org="bapenda",
        groups=[{"name": "keuangan-daerah"}],
        tags=[{"name": "pajak-daerah"}, {"name": "pad"}],
        **_metadata(
            notes="Realisasi penerimaan perpajakan dan retribusi daerah Kota Baubau per bulan.",
            konsep="Pendapatan Asli Daerah (PAD)",
            definisi="Jumlah pokok pajak dan retribusi daerah yang diterima kas daerah",
            tingkat_penyajian=["kota", "kecamatan"],
            sumber="SISMIOP dan SIMPATDA Bapenda",
        ),
        resources=[
            {"url": "http://127.0.0.1/kamus.csv", "name": "Kamus data", "format": "CSV"},
            {"url": "http://127.0.0.1/data.parquet", "name": "Parquet", "format": "Parquet",
             "periode_data": "2025", "versi_sumber": "bronze@2025-12-31"},
        ],
    )
    upload = admin.action.resource_create(
        package_id=realisasi["id"], name="Data CSV", format="CSV", periode_data="2025-01 s.d. 2025-02",
        versi_sumber="bronze@2025-02-28", sha256=digest, upload=csv_file.open("rb"),
    )
    admin.action.package_create(
        name="tunggakan-pbb",
        title="Tunggakan PBB-P2 per Kelurahan",
        owner_org="bapenda",
        groups=[{"name": "keuangan-daerah"}],
        tags=[{"name": "pbb"}, {"name": "pajak-daerah"}],
        resources=[{"url": "http://127.0.0.1/tunggakan.csv", "name": "CSV", "format": "CSV"}],
        **_metadata(frekuensi="tahunan", tingkat_penyajian=["kelurahan"],
                    notes="Ketetapan, pembayaran dan tunggakan PBB-P2 menurut kelurahan."),
    )
    admin.action.package_create(
        name="kunjungan-puskesmas",
        title="Kunjungan Pasien Puskesmas",
        owner_org="dinkes",
        groups=[{"name": "kesehatan"}],
        tags=[{"name": "layanan-kesehatan"}],
        resources=[{"url": "http://127.0.0.1/kunjungan.json", "name": "JSON", "format": "JSON"}],
        **_metadata(satuan="kunjungan", tingkat_penyajian=["kecamatan"], license_id="odc-by",
                    notes="Jumlah kunjungan rawat jalan ke fasilitas kesehatan tingkat pertama."),
    )
    admin.action.package_create(
        name="imunisasi-dasar-rinci",
        title="Imunisasi Dasar Lengkap (internal)",
        owner_org="dinkes",
        private=True,
        tags=[{"name": "layanan-kesehatan"}],
        resources=[{"url": "http://127.0.0.1/imunisasi.csv", "name": "CSV", "format": "CSV"}],
        **_metadata(satuan="anak", notes="Rekap imunisasi dasar untuk pemakaian internal Dinas Kesehatan."),
    )
    return {"realisasi": realisasi, "upload": upload, "sha256": digest}


def _names(result):
    return {d["name"] for d in result["results"]}


def _get(url: str):
    """(status, body, headers); headers look up names case-insensitively."""
    try:
        with _OPENER.open(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace"), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), exc.headers


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

PUBLIC = {"realisasi-pad-bulanan", "tunggakan-pbb", "kunjungan-puskesmas"}


# --------------------------------------------------------------------------- the stack
def test_stack_status_reports_the_portal(settings):
    rows = {r["service"]: r for r in stack.status(settings)}
    assert [r for r in rows] == ["s3", "postgres", "redis", "ckan"]
    assert all(r["running"] for r in rows.values())
    assert rows["ckan"]["url"] == f"http://127.0.0.1:{settings.ckan_port}"
    assert rows["postgres"]["url"].endswith(f":{settings.pg_port}")
    # The cluster runs as postgres, not root, and only on loopback.
    status, _, _ = _get(f"http://127.0.0.1:{settings.ckan_port}/api/3/action/status_show")
    assert status == 200


def test_pipeline_token_belongs_to_a_sysadmin(admin, settings):
    me = admin.action.user_show(id="satudata")
    assert me["sysadmin"] is True
    assert "SATUDATA_CKAN_API_TOKEN=" in settings.stack_env_file.read_text()


# --------------------------------------------------------------------------- schema
def test_datasets_carry_the_satu_data_metadata(admin, catalog):
    d = admin.action.package_show(id="realisasi-pad-bulanan")
    assert d["konsep"] == "Pendapatan Asli Daerah (PAD)"
    assert d["definisi"].startswith("Jumlah pokok pajak")
    assert (d["satuan"], d["ukuran"], d["frekuensi"]) == ("Rupiah", "jumlah", "bulanan")
    assert d["tingkat_penyajian"] == ["kota", "kecamatan"]
    assert (d["periode_awal"], d["periode_akhir"]) == ("2025-01-01", "2025-12-31")
    assert d["walidata"].startswith("Dinas Komunikasi")
    assert d["organization"]["title"] == "Badan Pendapatan Daerah"
    assert d["license_id"] == "cc-by"
    uploaded = next(r for r in d["resources"] if r["name"] == "Data CSV")
    assert uploaded["periode_data"] == "2025-01 s.d. 2025-02"
    assert uploaded["versi_sumber"] == "bronze@2025-02-28"
    assert uploaded["sha256"] == catalog["sha256"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"konsep": ""}, "konsep"),
        ({"frekuensi": "mingguan"}, "frekuensi"),
        ({"periode_awal": "2025-06-01", "periode_akhir": "2025-01-01"}, "periode_akhir"),
        ({"walidata": ""}, "walidata"),
    ],
)
def test_schema_refuses_incomplete_or_wrong_metadata(admin, catalog, change, field):
    with pytest.raises(ckanapi.ValidationError) as excinfo:
        admin.action.package_create(name=f"tidak-lengkap-{field}", title="Tidak lengkap", owner_org="bapenda",
                                    **_metadata(**change))
    assert field in excinfo.value.error_dict


def test_resource_sha256_must_be_a_digest(admin, catalog):
    with pytest.raises(ckanapi.ValidationError) as excinfo:
        admin.action.resource_create(package_id="tunggakan-pbb", url="http://127.0.0.1/x.csv", sha256="abc")
    assert "sha256" in excinfo.value.error_dict


# --------------------------------------------------------------------------- search
def test_indonesian_words_match_across_affixes(anon, catalog):
    # realisasi says "perpajakan" (description), tunggakan only "pajak" (its tag pajak-daerah): the
    # Indonesian stemmer brings pajak / perpajakan / pajaknya together.
    both = {"realisasi-pad-bulanan", "tunggakan-pbb"}
    assert _names(anon.action.package_search(q="perpajakan")) == both
    assert _names(anon.action.package_search(q="pajaknya")) == both
    assert _names(anon.action.package_search(q="retribusi")) == {"realisasi-pad-bulanan"}
    # "kesehatan" is in the description of kunjungan-puskesmas; "sehat" is its stem.
    assert _names(anon.action.package_search(q="sehat")) == {"kunjungan-puskesmas"}
    # A word typed half-way matches as a prefix; codes with a hyphen are searchable.
    assert _names(anon.action.package_search(q="puskes")) == {"kunjungan-puskesmas"}
    assert _names(anon.action.package_search(q="PBB-P2")) == {"tunggakan-pbb"}
    # Organization titles are searchable; words match without diacritics or case.
    assert _names(anon.action.package_search(q="Badan Pendapatan")) == {"realisasi-pad-bulanan", "tunggakan-pbb"}
    assert anon.action.package_search(q="tidakadadatanya")["count"] == 0


def test_query_syntax_phrases_exclusions_and_fields(anon, catalog):
    assert _names(anon.action.package_search(q='"tunggakan pbb"')) == {"tunggakan-pbb"}
    assert _names(anon.action.package_search(q="daerah -retribusi")) == {"tunggakan-pbb"}
    assert _names(anon.action.package_search(q="tags:pbb")) == {"tunggakan-pbb"}
    assert _names(anon.action.package_search(q="name:tunggakan*")) == {"tunggakan-pbb"}


def test_ranking_puts_title_matches_first(anon, catalog):
    # "daerah" is in realisasi's title and description, but only in tunggakan's organization and
    # group names; tunggakan is newer, so only the rank can put realisasi first.
    result = anon.action.package_search(q="daerah")
    assert [d["name"] for d in result["results"]] == ["realisasi-pad-bulanan", "tunggakan-pbb"]


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ("organization:bapenda", {"realisasi-pad-bulanan", "tunggakan-pbb"}),
        ('organization:"dinkes"', {"kunjungan-puskesmas"}),
        ("tags:pajak-daerah", {"realisasi-pad-bulanan", "tunggakan-pbb"}),
        ("res_format:CSV", {"realisasi-pad-bulanan", "tunggakan-pbb"}),
        ("res_format:JSON OR res_format:Parquet", {"realisasi-pad-bulanan", "kunjungan-puskesmas"}),
        ("groups:kesehatan", {"kunjungan-puskesmas"}),
        ("license_id:odc-by", {"kunjungan-puskesmas"}),
        ("-organization:bapenda", {"kunjungan-puskesmas"}),
        ("organization:bapenda +tags:pbb", {"tunggakan-pbb"}),
        ("frekuensi:tahunan", {"tunggakan-pbb"}),
        ("tingkat_penyajian:kecamatan", {"realisasi-pad-bulanan", "kunjungan-puskesmas"}),
        ("name:(tunggakan-pbb OR kunjungan-puskesmas)", {"tunggakan-pbb", "kunjungan-puskesmas"}),
        ("dataset_type:dataset", PUBLIC),
        ("metadata_modified:[2000-01-01T00:00:00Z TO NOW]", PUBLIC),
        ("metadata_modified:[NOW+1DAY TO *]", set()),
    ],
)
def test_filter_queries(anon, catalog, fq, expected):
    assert _names(anon.action.package_search(fq=fq, rows=50)) == expected


def test_facets_count_datasets(anon, admin, catalog):
    fields = ["organization", "groups", "tags", "res_format", "license_id"]
    facets = anon.action.package_search(**{"facet.field": fields, "rows": 0})["facets"]
    assert facets["organization"] == {"bapenda": 2, "dinkes": 1}
    assert facets["groups"] == {"keuangan-daerah": 2, "kesehatan": 1}
    assert facets["tags"] == {"pajak-daerah": 2, "pad": 1, "pbb": 1, "layanan-kesehatan": 1}
    # realisasi has two CSV resources: a dataset is counted once per value, as Solr does.
    assert facets["res_format"] == {"CSV": 2, "Parquet": 1, "JSON": 1}
    assert facets["license_id"] == {"cc-by": 2, "odc-by": 1}

    # Facets follow the query, and the private dataset counts for those allowed to see it.
    narrowed = anon.action.package_search(q="kesehatan", **{"facet.field": ["organization", "tags"]})["facets"]
    assert narrowed == {"organization": {"dinkes": 1}, "tags": {"layanan-kesehatan": 1}}
    with_private = admin.action.package_search(include_private=True, **{"facet.field": ["organization"]})
    assert with_private["facets"]["organization"] == {"bapenda": 2, "dinkes": 2}

    # search_facets carries display names (organization titles) for the UI.
    items = anon.action.package_search(**{"facet.field": ["organization"]})["search_facets"]["organization"]["items"]
    assert {i["name"]: i["display_name"] for i in items} == {"bapenda": "Badan Pendapatan Daerah",
                                                           "dinkes": "Dinas Kesehatan"}
    limited = anon.action.package_search(**{"facet.field": ["tags"], "facet.limit": 1})["facets"]["tags"]
    assert limited == {"pajak-daerah": 2}


def test_sort_and_paging(anon, admin, catalog):
    by_title = anon.action.package_search(sort="title_string asc")
    assert [d["name"] for d in by_title["results"]] == ["kunjungan-puskesmas", "realisasi-pad-bulanan", "tunggakan-pbb"]
    by_name = anon.action.package_search(sort="name desc")
    assert [d["name"] for d in by_name["results"]] == ["tunggakan-pbb", "realisasi-pad-bulanan", "kunjungan-puskesmas"]

    admin.action.package_patch(id="kunjungan-puskesmas", version="1.1")
    newest = anon.action.package_search(sort="metadata_modified desc", rows=1)
    assert newest["results"][0]["name"] == "kunjungan-puskesmas"
    assert newest["count"] == 3

    pages = [anon.action.package_search(sort="name asc", rows=1, start=i) for i in range(4)]
    assert [p["count"] for p in pages] == [3, 3, 3, 3]
    assert [[d["name"] for d in p["results"]] for p in pages] == [
        ["kunjungan-puskesmas"], ["realisasi-pad-bulanan"], ["tunggakan-pbb"], []]


def test_private_dataset_visibility_is_enforced(anon, admin, settings, catalog):
    assert "imunisasi-dasar-rinci" not in _names(anon.action.package_search(include_private=True, rows=50))
    with pytest.raises(ckanapi.NotAuthorized):
        anon.action.package_show(id="imunisasi-dasar-rinci")
    assert "imunisasi-dasar-rinci" in _names(admin.action.package_search(include_private=True, rows=50))
    # Without include_private even a sysadmin sees only public datasets (CKAN's contract).
    assert "imunisasi-dasar-rinci" not in _names(admin.action.package_search(rows=50))

    # A logged-in user outside the organization does not see it; as a member of dinkes they do.
    admin.action.user_create(name="warga", email="warga@example.org", password="kata-sandi-warga-2025")
    token = admin.action.api_token_create(user="warga", name="uji")["token"]
    warga = _client(settings.ckan_url, token)
    assert "imunisasi-dasar-rinci" not in _names(warga.action.package_search(include_private=True, rows=50))
    admin.action.organization_member_create(id="dinkes", username="warga", role="member")
    seen = warga.action.package_search(include_private=True, rows=50)
    assert "imunisasi-dasar-rinci" in _names(seen)
    assert seen["count"] == 4
    # Membership of dinkes does not open other organizations' private datasets.
    admin.action.package_create(name="rahasia-bapenda", title="Data internal Bapenda", owner_org="bapenda",
                                private=True, **_metadata())
    assert "rahasia-bapenda" not in _names(warga.action.package_search(include_private=True, rows=50))
    admin.action.dataset_purge(id="rahasia-bapenda")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"sort": "judul asc"}, ckanapi.SearchQueryError),
        ({"sort": "name sideways"}, ckanapi.SearchQueryError),
        ({"sort": "name"}, ckanapi.SearchQueryError),
        ({"rows": "banyak"}, ckanapi.ValidationError),
        ({"start": -1}, ckanapi.ValidationError),
        ({"facet.limit": "x"}, ckanapi.ValidationError),
        ({"kolom_asing": "x"}, ckanapi.SearchQueryError),
        ({"fq": "organization:(bapenda"}, ckanapi.SearchQueryError),
        ({"q": "{!lucene}pajak"}, ckanapi.SearchError),
        ({"q": "_query_:pajak"}, ckanapi.SearchError),
    ],
)
def test_invalid_search_parameters_are_refused(anon, catalog, params, error):
    with pytest.raises(error):
        anon.action.package_search(**params)


def test_index_follows_changes(admin, anon, catalog):
    admin.action.package_patch(id="tunggakan-pbb", notes="Piutang PBB-P2 menurut kelurahan (tunggakan).")
    assert _names(anon.action.package_search(q="piutang")) == {"tunggakan-pbb"}
    # Adding to a group re-indexes after the commit (member_create); the index sees it.
    admin.action.member_create(id="kesehatan", object="tunggakan-pbb", object_type="package", capacity="public")
    assert "tunggakan-pbb" in _names(anon.action.package_search(fq="groups:kesehatan"))
    admin.action.member_delete(id="kesehatan", object="tunggakan-pbb", object_type="package")
    assert "tunggakan-pbb" not in _names(anon.action.package_search(fq="groups:kesehatan"))

    admin.action.package_create(name="sementara", title="Dataset sementara", owner_org="bapenda", **_metadata())
    assert _names(anon.action.package_search(q="sementara")) == {"sementara"}
    admin.action.package_delete(id="sementara")
    assert anon.action.package_search(q="sementara")["count"] == 0
    admin.action.dataset_purge(id="sementara")


def test_organization_and_group_counts(anon, catalog):
    orgs = {o["name"]: o["package_count"] for o in anon.action.organization_list(all_fields=True)}
    assert orgs == {"bapenda": 2, "dinkes": 1}
    assert anon.action.group_show(id="kesehatan")["package_count"] == 1


# --------------------------------------------------------------------------- public pages
def test_public_pages_work_without_solr(settings, catalog):
    base = settings.ckan_url
    realisasi = catalog["realisasi"]
    upload = catalog["upload"]
    pages = {
        "/": "Satu Data Kota Baubau",
        "/dataset": "Tunggakan PBB-P2 per Kelurahan",
        "/dataset/?q=perpajakan": "Realisasi Pendapatan Asli Daerah Bulanan",
        "/dataset/?tags=pbb&res_format=CSV": "Tunggakan PBB-P2 per Kelurahan",
        "/dataset/realisasi-pad-bulanan": "Pendapatan Asli Daerah (PAD)",
        f"/dataset/realisasi-pad-bulanan/resource/{upload['id']}": "bronze@2025-02-28",
        "/organization": "Badan Pendapatan Daerah",
        "/organization/bapenda": "Tunggakan PBB-P2 per Kelurahan",
        "/group": "Keuangan Daerah",
        "/group/kesehatan": "Kunjungan Pasien Puskesmas",
    }
    for path, expected in pages.items():
        status, body, _ = _get(base + path)
        assert status == 200, f"{path} answered {status}"
        assert expected in body, f"{path} lacks {expected!r}"
        assert "Imunisasi Dasar Lengkap" not in body, f"{path} shows a private dataset"
    # The UI speaks Indonesian by default.
    _, home, _ = _get(base + "/")
    assert re.search(r'<html[^>]*lang="id"', home)
    # A search that matches nothing says so rather than failing.
    status, body, _ = _get(base + "/dataset/?q=tidakadadatanya")
    assert status == 200 and "Kunjungan Pasien Puskesmas" not in body
    # Organization page facets are computed too (filtering within an organization).
    status, body, _ = _get(base + "/organization/bapenda?tags=pbb")
    assert status == 200 and "Tunggakan PBB-P2" in body and "Realisasi Pendapatan" not in body
    assert realisasi["name"] == "realisasi-pad-bulanan"


def test_resource_download_returns_the_uploaded_file(settings, catalog):
    upload = catalog["upload"]
    assert upload["url"].startswith(settings.ckan_url)
    with _OPENER.open(upload["url"], timeout=30) as response:
        body = response.read()
    assert body.decode() == CSV_BODY
    assert hashlib.sha256(body).hexdigest() == catalog["sha256"]


# --------------------------------------------------------------------------- DCAT
def test_dcat_catalog_and_dataset_endpoints(settings, catalog):
    status, turtle, headers = _get(settings.ckan_url + "/catalog.ttl")
    assert status == 200
    assert "turtle" in headers.get("Content-Type", "")
    assert "dcat:Catalog" in turtle
    for title in ("Realisasi Pendapatan Asli Daerah Bulanan", "Kunjungan Pasien Puskesmas"):
        assert title in turtle
    assert "Imunisasi Dasar Lengkap" not in turtle

    status, rdf, _ = _get(settings.ckan_url + "/dataset/realisasi-pad-bulanan.rdf")
    assert status == 200
    assert "<dct:title>Realisasi Pendapatan Asli Daerah Bulanan</dct:title>" in rdf
    assert "dcat:Distribution" in rdf

    # Satu Data fields in the DCAT terms harvesters read: frequency, period covered, checksum.
    status, ttl, _ = _get(settings.ckan_url + "/dataset/realisasi-pad-bulanan.ttl")
    assert status == 200
    assert re.search(r"dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/MONTHLY>", ttl)
    assert '"2025-01-01"^^xsd:date' in ttl and '"2025-12-31"^^xsd:date' in ttl
    assert catalog["sha256"] in ttl and "checksumAlgorithm_sha256" in ttl
