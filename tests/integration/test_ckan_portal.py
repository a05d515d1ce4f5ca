"""The open-data portal of the test stack: a real CKAN 2.12 with no Solr.

Everything here goes through CKAN's HTTP API (ckanapi, with the pipeline's API token from
stack.env) or fetches pages as a member of the public would, against the CKAN that the
``stack_settings`` fixture started: Satu Data schema, PostgreSQL full-text search, facets,
permissions, the public pages and the DCAT endpoints.

The test portal is shared by the whole session (the publisher's tests put the real open datasets
there too), so this module's organizations, groups and datasets have their own ``uji-`` names and
every search is narrowed to the datasets carrying the tag :data:`MARK`.
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

MARK = "uji-portal"
ORG_PAD, ORG_KES = "uji-bapenda", "uji-dinkes"
GROUP_KEU, GROUP_KES = "uji-keuangan-daerah", "uji-kesehatan"
REALISASI, TUNGGAKAN, KUNJUNGAN = "uji-realisasi-pad", "uji-tunggakan-pbb", "uji-kunjungan-puskesmas"
PRIVATE = "uji-imunisasi-internal"
PUBLIC = {REALISASI, TUNGGAKAN, KUNJUNGAN}

CSV_BODY = "periode,kode_jenis_pendapatan,realisasi\n2025-01,PBB-P2,125000000\n2025-02,PBB-P2,98000000\n"

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


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


def _tags(*names):
    return [{"name": n} for n in (*names, MARK)]


def _client(url: str, token: str | None = None) -> ckanapi.RemoteCKAN:
    session = requests.Session()
    session.trust_env = False  # loopback: no proxy from the environment
    return ckanapi.RemoteCKAN(url, apikey=token, session=session)


def search(client, fq: str = "", **params):
    """package_search narrowed to this module's datasets."""
    return client.action.package_search(fq=f"tags:{MARK} {fq}".strip(), **params)


def _names(result):
    return {d["name"] for d in result["results"]}


def _get(url: str):
    """(status, body, headers); headers look names up case-insensitively."""
    try:
        with _OPENER.open(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace"), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), exc.headers


@pytest.fixture(scope="module")
def settings(stack_settings):
    # Re-read: the token is written to stack.env by `stack up`, after stack_settings was resolved.
    resolved = get_settings()
    assert resolved.ckan_api_token, "stack up did not record SATUDATA_CKAN_API_TOKEN"
    return resolved


@pytest.fixture(scope="module")
def admin(settings):
    return _client(settings.ckan_url, settings.ckan_api_token)


@pytest.fixture(scope="module")
def anon(settings):
    return _client(settings.ckan_url)


@pytest.fixture(scope="module")
def catalog(admin, tmp_path_factory):
    """Two OPDs, two topic groups, three public datasets and one private one."""
    admin.action.organization_create(name=ORG_PAD, title="Badan Pendapatan Daerah Uji")
    admin.action.organization_create(name=ORG_KES, title="Dinas Kesehatan Uji")
    admin.action.group_create(name=GROUP_KEU, title="Keuangan Daerah Uji")
    admin.action.group_create(name=GROUP_KES, title="Kesehatan Uji")

    csv_file = Path(tmp_path_factory.mktemp("ckan")) / "realisasi_pad_bulanan.csv"
    csv_file.write_text(CSV_BODY)
    digest = hashlib.sha256(CSV_BODY.encode()).hexdigest()

    realisasi = admin.action.package_create(
        name=REALISASI,
        title="Realisasi Pendapatan Asli Daerah Bulanan",
        owner_org=ORG_PAD,
        groups=[{"name": GROUP_KEU}],
        tags=_tags("pajak-daerah", "pad"),
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
        name=TUNGGAKAN,
        title="Tunggakan PBB-P2 per Kelurahan",
        owner_org=ORG_PAD,
        groups=[{"name": GROUP_KEU}],
        tags=_tags("pbb", "pajak-daerah"),
        resources=[{"url": "http://127.0.0.1/tunggakan.csv", "name": "CSV", "format": "CSV"}],
        **_metadata(frekuensi="tahunan", tingkat_penyajian=["kelurahan"],
                    notes="Ketetapan, pembayaran dan tunggakan PBB-P2 menurut kelurahan."),
    )
    admin.action.package_create(
        name=KUNJUNGAN,
        title="Kunjungan Pasien Puskesmas",
        owner_org=ORG_KES,
        groups=[{"name": GROUP_KES}],
        tags=_tags("layanan-kesehatan"),
        resources=[{"url": "http://127.0.0.1/kunjungan.json", "name": "JSON", "format": "JSON"}],
        **_metadata(satuan="kunjungan", tingkat_penyajian=["kecamatan"], license_id="odc-by",
                    notes="Jumlah kunjungan rawat jalan ke fasilitas kesehatan tingkat pertama."),
    )
    admin.action.package_create(
        name=PRIVATE,
        title="Imunisasi Dasar Lengkap (internal)",
        owner_org=ORG_KES,
        private=True,
        tags=_tags("layanan-kesehatan"),
        resources=[{"url": "http://127.0.0.1/imunisasi.csv", "name": "CSV", "format": "CSV"}],
        **_metadata(satuan="anak", notes="Rekap imunisasi dasar untuk pemakaian internal Dinas Kesehatan."),
    )
    return {"realisasi": realisasi, "upload": upload, "sha256": digest}


# --------------------------------------------------------------------------- the stack
def test_stack_status_reports_the_portal(settings):
    rows = {r["service"]: r for r in stack.status(settings)}
    assert list(rows) == ["s3", "postgres", "redis", "ckan", "board"]
    assert all(r["running"] for r in rows.values())
    assert rows["ckan"]["url"] == f"http://127.0.0.1:{settings.ckan_port}"
    assert rows["postgres"]["url"].endswith(f":{settings.pg_port}")
    assert _get(f"{rows['ckan']['url']}/api/3/action/status_show")[0] == 200


def test_pipeline_token_belongs_to_a_sysadmin(admin, settings):
    assert admin.action.user_show(id="satudata")["sysadmin"] is True
    assert "SATUDATA_CKAN_API_TOKEN=" in settings.stack_env_file.read_text()


# --------------------------------------------------------------------------- schema
def test_datasets_carry_the_satu_data_metadata(admin, catalog):
    d = admin.action.package_show(id=REALISASI)
    assert d["konsep"] == "Pendapatan Asli Daerah (PAD)"
    assert d["definisi"].startswith("Jumlah pokok pajak")
    assert (d["satuan"], d["ukuran"], d["frekuensi"]) == ("Rupiah", "jumlah", "bulanan")
    assert d["tingkat_penyajian"] == ["kota", "kecamatan"]
    assert (d["periode_awal"], d["periode_akhir"]) == ("2025-01-01", "2025-12-31")
    assert d["walidata"].startswith("Dinas Komunikasi")
    assert d["organization"]["title"] == "Badan Pendapatan Daerah Uji"
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
        admin.action.package_create(name=f"uji-tidak-lengkap-{field}", title="Tidak lengkap", owner_org=ORG_PAD,
                                    **_metadata(**change))
    assert field in excinfo.value.error_dict


def test_resource_sha256_must_be_a_digest(admin, catalog):
    with pytest.raises(ckanapi.ValidationError) as excinfo:
        admin.action.resource_create(package_id=TUNGGAKAN, url="http://127.0.0.1/x.csv", sha256="abc")
    assert "sha256" in excinfo.value.error_dict


# --------------------------------------------------------------------------- search
def test_indonesian_words_match_across_affixes(anon, catalog):
    # realisasi says "perpajakan" (description), tunggakan only "pajak" (its tag pajak-daerah): the
    # Indonesian stemmer brings pajak / perpajakan / pajaknya together.
    assert _names(search(anon, q="perpajakan")) == {REALISASI, TUNGGAKAN}
    assert _names(search(anon, q="pajaknya")) == {REALISASI, TUNGGAKAN}
    assert _names(search(anon, q="retribusi")) == {REALISASI}
    # "kesehatan" is in the description of kunjungan; "sehat" is its stem.
    assert _names(search(anon, q="sehat")) == {KUNJUNGAN}
    # A word typed half-way matches as a prefix; codes with a hyphen are searchable.
    assert _names(search(anon, q="puskes")) == {KUNJUNGAN}
    assert _names(search(anon, q="PBB-P2")) == {TUNGGAKAN}
    # Organization titles are searchable; case does not matter.
    assert _names(search(anon, q="badan PENDAPATAN")) == {REALISASI, TUNGGAKAN}
    assert search(anon, q="tidakadadatanya")["count"] == 0


def test_query_syntax_phrases_exclusions_and_fields(anon, catalog):
    assert _names(search(anon, q='"tunggakan pbb"')) == {TUNGGAKAN}
    assert _names(search(anon, q="daerah -retribusi")) == {TUNGGAKAN}
    assert _names(search(anon, q="tags:pbb")) == {TUNGGAKAN}
    assert _names(search(anon, q="name:uji-tunggakan*")) == {TUNGGAKAN}


def test_ranking_puts_title_matches_first(anon, catalog):
    # "daerah" is in realisasi's title and description, but only in tunggakan's organization, group
    # and tag; tunggakan is newer, so only the rank can put realisasi first.
    result = search(anon, q="daerah")
    assert [d["name"] for d in result["results"]] == [REALISASI, TUNGGAKAN]


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        (f"organization:{ORG_PAD}", {REALISASI, TUNGGAKAN}),
        (f'organization:"{ORG_KES}"', {KUNJUNGAN}),
        ("tags:pajak-daerah", {REALISASI, TUNGGAKAN}),
        ("res_format:CSV", {REALISASI, TUNGGAKAN}),
        ("(res_format:JSON OR res_format:Parquet)", {REALISASI, KUNJUNGAN}),
        (f"groups:{GROUP_KES}", {KUNJUNGAN}),
        ("license_id:odc-by", {KUNJUNGAN}),
        (f"-organization:{ORG_PAD}", {KUNJUNGAN}),
        (f"organization:{ORG_PAD} +tags:pbb", {TUNGGAKAN}),
        ("frekuensi:tahunan", {TUNGGAKAN}),
        ("tingkat_penyajian:kecamatan", {REALISASI, KUNJUNGAN}),
        (f"name:({TUNGGAKAN} OR {KUNJUNGAN})", {TUNGGAKAN, KUNJUNGAN}),
        ("dataset_type:dataset", PUBLIC),
        ("metadata_modified:[2000-01-01T00:00:00Z TO NOW]", PUBLIC),
        ("metadata_modified:[NOW+1DAY TO *]", set()),
    ],
)
def test_filter_queries(anon, catalog, fq, expected):
    assert _names(search(anon, fq, rows=50)) == expected


def test_facets_count_datasets(anon, admin, catalog):
    fields = ["organization", "groups", "tags", "res_format", "license_id"]
    facets = search(anon, **{"facet.field": fields, "rows": 0})["facets"]
    assert facets["organization"] == {ORG_PAD: 2, ORG_KES: 1}
    assert facets["groups"] == {GROUP_KEU: 2, GROUP_KES: 1}
    assert facets["tags"] == {MARK: 3, "pajak-daerah": 2, "pad": 1, "pbb": 1, "layanan-kesehatan": 1}
    # realisasi has two CSV resources: a dataset is counted once per value, as Solr does.
    assert facets["res_format"] == {"CSV": 2, "Parquet": 1, "JSON": 1}
    assert facets["license_id"] == {"cc-by": 2, "odc-by": 1}

    # Facets follow the query, and the private dataset counts for those allowed to see it.
    narrowed = search(anon, q="kesehatan", **{"facet.field": ["organization", "tags"]})["facets"]
    assert narrowed == {"organization": {ORG_KES: 1}, "tags": {MARK: 1, "layanan-kesehatan": 1}}
    with_private = search(admin, include_private=True, **{"facet.field": ["organization"]})
    assert with_private["facets"]["organization"] == {ORG_PAD: 2, ORG_KES: 2}

    # search_facets carries display names (organization titles) for the UI.
    items = search(anon, **{"facet.field": ["organization"]})["search_facets"]["organization"]["items"]
    assert {i["name"]: i["display_name"] for i in items} == {ORG_PAD: "Badan Pendapatan Daerah Uji",
                                                           ORG_KES: "Dinas Kesehatan Uji"}
    limited = search(anon, **{"facet.field": ["tags"], "facet.limit": 2})["facets"]["tags"]
    assert limited == {MARK: 3, "pajak-daerah": 2}


def test_sort_and_paging(anon, admin, catalog):
    by_title = search(anon, sort="title_string asc")
    assert [d["name"] for d in by_title["results"]] == [KUNJUNGAN, REALISASI, TUNGGAKAN]
    by_name = search(anon, sort="name desc")
    assert [d["name"] for d in by_name["results"]] == [TUNGGAKAN, REALISASI, KUNJUNGAN]

    admin.action.package_patch(id=KUNJUNGAN, version="1.1")
    newest = search(anon, sort="metadata_modified desc", rows=1)
    assert newest["results"][0]["name"] == KUNJUNGAN
    assert newest["count"] == 3

    pages = [search(anon, sort="name asc", rows=1, start=i) for i in range(4)]
    assert [p["count"] for p in pages] == [3, 3, 3, 3]
    assert [[d["name"] for d in p["results"]] for p in pages] == [[KUNJUNGAN], [REALISASI], [TUNGGAKAN], []]


def test_private_dataset_visibility_is_enforced(anon, admin, settings, catalog):
    assert PRIVATE not in _names(search(anon, include_private=True, rows=50))
    with pytest.raises(ckanapi.NotAuthorized):
        anon.action.package_show(id=PRIVATE)
    assert PRIVATE in _names(search(admin, include_private=True, rows=50))
    # Without include_private even a sysadmin sees only public datasets (CKAN's contract).
    assert PRIVATE not in _names(search(admin, rows=50))

    # A logged-in user outside the organization does not see it; as a member of it they do.
    admin.action.user_create(name="uji-warga", email="warga@example.org", password="kata-sandi-warga-2025")
    token = admin.action.api_token_create(user="uji-warga", name="uji")["token"]
    warga = _client(settings.ckan_url, token)
    assert PRIVATE not in _names(search(warga, include_private=True, rows=50))
    admin.action.organization_member_create(id=ORG_KES, username="uji-warga", role="member")
    seen = search(warga, include_private=True, rows=50)
    assert PRIVATE in _names(seen)
    assert seen["count"] == 4
    # Membership of one organization does not open another's private datasets.
    admin.action.package_create(name="uji-rahasia-bapenda", title="Data internal Bapenda", owner_org=ORG_PAD,
                                private=True, tags=_tags(), **_metadata())
    assert "uji-rahasia-bapenda" not in _names(search(warga, include_private=True, rows=50))
    assert "uji-rahasia-bapenda" in _names(search(admin, include_private=True, rows=50))
    admin.action.dataset_purge(id="uji-rahasia-bapenda")


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
        ({"fq": f"organization:({ORG_PAD}"}, ckanapi.SearchQueryError),
        ({"q": "{!lucene}pajak"}, ckanapi.SearchError),
        ({"q": "_query_:pajak"}, ckanapi.SearchError),
    ],
)
def test_invalid_search_parameters_are_refused(anon, catalog, params, error):
    with pytest.raises(error):
        anon.action.package_search(**params)


def test_index_follows_changes(admin, anon, catalog):
    admin.action.package_patch(id=TUNGGAKAN, notes="Piutang PBB-P2 menurut kelurahan (tunggakan).")
    assert _names(search(anon, q="piutang")) == {TUNGGAKAN}
    # Adding to a group re-indexes after the commit (member_create); the index sees it.
    admin.action.member_create(id=GROUP_KES, object=TUNGGAKAN, object_type="package", capacity="public")
    assert TUNGGAKAN in _names(search(anon, f"groups:{GROUP_KES}"))
    admin.action.member_delete(id=GROUP_KES, object=TUNGGAKAN, object_type="package")
    assert TUNGGAKAN not in _names(search(anon, f"groups:{GROUP_KES}"))

    admin.action.package_create(name="uji-sementara", title="Dataset sementara", owner_org=ORG_PAD,
                                tags=_tags(), **_metadata())
    assert _names(search(anon, q="sementara")) == {"uji-sementara"}
    admin.action.package_delete(id="uji-sementara")
    assert search(anon, q="sementara")["count"] == 0
    admin.action.dataset_purge(id="uji-sementara")


def test_organization_and_group_counts(anon, catalog):
    orgs = {o["name"]: o["package_count"] for o in anon.action.organization_list(all_fields=True)}
    assert (orgs[ORG_PAD], orgs[ORG_KES]) == (2, 1)
    assert anon.action.group_show(id=GROUP_KES)["package_count"] == 1


# --------------------------------------------------------------------------- public pages
def test_public_pages_work_without_solr(settings, catalog):
    base = settings.ckan_url
    upload = catalog["upload"]
    pages = {
        "/": "Satu Data Kota Baubau",
        "/dataset": "Kumpulan data",
        f"/dataset/?tags={MARK}": "Tunggakan PBB-P2 per Kelurahan",
        f"/dataset/?q=perpajakan&tags={MARK}": "Realisasi Pendapatan Asli Daerah Bulanan",
        f"/dataset/?tags=pbb&tags={MARK}&res_format=CSV": "Tunggakan PBB-P2 per Kelurahan",
        f"/dataset/{REALISASI}": "Pendapatan Asli Daerah (PAD)",
        f"/dataset/{REALISASI}/resource/{upload['id']}": "bronze@2025-02-28",
        "/organization": "Badan Pendapatan Daerah Uji",
        f"/organization/{ORG_PAD}": "Tunggakan PBB-P2 per Kelurahan",
        "/group": "Keuangan Daerah Uji",
        f"/group/{GROUP_KES}": "Kunjungan Pasien Puskesmas",
    }
    for path, expected in pages.items():
        status, body, _ = _get(base + path)
        assert status == 200, f"{path} answered {status}"
        assert expected in body, f"{path} lacks {expected!r}"
        assert "Imunisasi Dasar Lengkap" not in body, f"{path} shows a private dataset"
    # The UI speaks Indonesian by default.
    _, home, _ = _get(base + "/")
    assert re.search(r'<html[^>]*lang="id"', home)
    # The search page shows the matches only.
    _, body, _ = _get(base + f"/dataset/?q=perpajakan&tags={MARK}")
    assert "Kunjungan Pasien Puskesmas" not in body
    status, body, _ = _get(base + "/dataset/?q=tidakadadatanya")
    assert status == 200 and "Kunjungan Pasien Puskesmas" not in body
    # Filtering within an organization's page.
    status, body, _ = _get(base + f"/organization/{ORG_PAD}?tags=pbb")
    assert status == 200 and "Tunggakan PBB-P2" in body and "Realisasi Pendapatan" not in body


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

    status, rdf, _ = _get(settings.ckan_url + f"/dataset/{REALISASI}.rdf")
    assert status == 200
    assert "<dct:title>Realisasi Pendapatan Asli Daerah Bulanan</dct:title>" in rdf
    assert "dcat:Distribution" in rdf

    # Satu Data fields in the DCAT terms harvesters read: frequency, period covered, checksum.
    status, ttl, _ = _get(settings.ckan_url + f"/dataset/{REALISASI}.ttl")
    assert status == 200
    assert re.search(r"dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/MONTHLY>", ttl)
    assert '"2025-01-01"^^xsd:date' in ttl and '"2025-12-31"^^xsd:date' in ttl
    assert catalog["sha256"] in ttl and "checksumAlgorithm_sha256" in ttl
