"""The portal's PostgreSQL search: Solr-syntax parsing, SQL compilation and index documents.

These modules of ckanext-satudata are pure Python (no CKAN, no database), so they are imported
straight from catalog/ckanext-satudata; the behaviour against a real CKAN is covered in
tests/integration/test_ckan_portal.py.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "catalog" / "ckanext-satudata"))

from ckanext.satudata.pgsearch import document  # noqa: E402
from ckanext.satudata.pgsearch.lucene import (  # noqa: E402
    And,
    Exists,
    MatchAll,
    Not,
    Or,
    QuerySyntaxError,
    Range,
    Term,
    Text,
    minimum_should_match,
    parse_dismax,
    parse_lucene,
)
from ckanext.satudata.pgsearch.sql import (  # noqa: E402
    SearchRequest,
    SortError,
    compile_search,
    parse_solr_date,
    parse_sort,
)

NOW = dt.datetime(2025, 7, 15, 10, 30, 45)


# --------------------------------------------------------------------------- parsing
def test_ckan_dataset_page_filter_query():
    # What ckan/views/dataset.py and package_search build for /dataset/?organization=bapenda&tags=x
    tree = parse_lucene('organization:"bapenda" tags:"pajak daerah" +dataset_type:dataset +capacity:public +state:(active)')
    assert tree == And((
        Term("organization", "bapenda"),
        Term("tags", "pajak daerah"),
        Term("dataset_type", "dataset"),
        Term("capacity", "public"),
        Term("state", "active"),
    ))


def test_or_not_groups_ranges_and_wildcards():
    assert parse_lucene("+state:(active OR draft)") == Or((Term("state", "active"), Term("state", "draft")))
    assert parse_lucene("-dataset_type:harvest") == Not(Term("dataset_type", "harvest"))
    assert parse_lucene("res_format:CSV OR res_format:JSON") == Or((Term("res_format", "CSV"), Term("res_format", "JSON")))
    assert parse_lucene("metadata_modified:[2025-01-01T00:00:00Z TO NOW]") == Range(
        "metadata_modified", "2025-01-01T00:00:00Z", "NOW", True, True)
    assert parse_lucene("metadata_modified:{* TO NOW]") == Range("metadata_modified", None, "NOW", False, True)
    assert parse_lucene("name:pajak*") == Term("name", "pajak*", wildcard=True)
    assert parse_lucene("extras_konsep:*") == Exists("extras_konsep")
    assert parse_lucene("frekuensi:[* TO *]") == Exists("frekuensi")
    # feed.py writes `tags: "x"` with a space after the colon.
    assert parse_lucene('tags: "pbb"') == Term("tags", "pbb")
    assert parse_lucene('name:a\\:b') == Term("name", "a:b")
    assert parse_lucene("*:*") == MatchAll()
    assert parse_lucene("") == MatchAll()


def test_operator_precedence_and_not_keyword():
    assert parse_lucene("a OR b c") == Or((Text("a"), And((Text("b"), Text("c")))))
    assert parse_lucene("tags:x AND NOT tags:y") == And((Term("tags", "x"), Not(Term("tags", "y"))))
    assert parse_lucene("(tags:x OR tags:y) organization:o") == And((
        Or((Term("tags", "x"), Term("tags", "y"))), Term("organization", "o")))
    assert parse_lucene("tags:(x -y)") == And((Term("tags", "x"), Not(Term("tags", "y"))))


@pytest.mark.parametrize("bad", ['tags:"unterminated', "organization:(bapenda", "tags:x)", "name:[a TO", "tags:"])
def test_syntax_errors_are_reported(bad):
    with pytest.raises(QuerySyntaxError):
        parse_lucene(bad)


def test_dismax_search_box_text_never_fails():
    parsed = parse_dismax('realisasi "pajak daerah" -retribusi +kota (2025 foo"')
    assert parsed.optional == (Text("realisasi"), Text("pajak daerah", phrase=True), Text("(2025"), Text("foo"))
    assert parsed.required == (Text("kota"),)
    assert parsed.excluded == (Text("retribusi"),)
    assert parse_dismax("AND OR *").optional == ()


@pytest.mark.parametrize(("words", "needed"), [(1, 1), (2, 2), (3, 2), (5, 4), (6, 4), (10, 8)])
def test_minimum_should_match_is_ckans_default(words, needed):
    assert minimum_should_match(words) == needed


# --------------------------------------------------------------------------- compiling
def test_values_are_bound_never_spliced_into_sql():
    hostile = "x') OR 1=1; DROP TABLE package; --"
    compiled = compile_search(SearchRequest(q=hostile, fq=[f'organization:"{hostile}" frekuensi:"{hostile}"']), now=NOW)
    assert "DROP TABLE" not in compiled.where
    assert "1=1" not in compiled.where
    assert compiled.params and hostile in compiled.params.values()
    # Unknown field names are bound jsonb keys, not identifiers.
    compiled = compile_search(SearchRequest(fq=['"nama; DROP":x']), now=NOW)
    assert "DROP" not in compiled.where


def test_state_site_and_permission_filters():
    compiled = compile_search(SearchRequest(fq=["+capacity:public"], permission_labels=["public", "member-1"],
                                            site_id="satudata"), now=NOW)
    assert "s.state = 'active'" in compiled.where
    assert "s.permission_labels && CAST(" in compiled.where
    assert ["public", "member-1"] in compiled.params.values()
    assert "satudata" in compiled.params.values()
    # A caller's own +state filter replaces the default, as in CKAN's Solr query.
    drafts = compile_search(SearchRequest(fq=["+state:(active OR draft)"]), now=NOW)
    assert "s.state = 'active'" not in drafts.where
    # Sysadmins (labels None) are not filtered.
    assert "permission_labels" not in compile_search(SearchRequest(), now=NOW).where


def test_fields_map_to_columns_arrays_and_the_document():
    compiled = compile_search(SearchRequest(fq=["tags:pbb res_format:CSV organization:bapenda tingkat_penyajian:kota"]), now=NOW)
    assert "= ANY(s.tags)" in compiled.where
    assert "= ANY(s.res_format)" in compiled.where
    assert "(s.organization = " in compiled.where
    assert "jsonb_array_elements_text" in compiled.where  # scheming field from the jsonb document


def test_negation_keeps_rows_without_the_field():
    compiled = compile_search(SearchRequest(fq=["-organization:bapenda"]), now=NOW)
    assert "NOT COALESCE(" in compiled.where


def test_text_terms_rank_and_match_stemmed_or_prefix():
    compiled = compile_search(SearchRequest(q="Kesehatan PBB-P2", sort="score desc, metadata_modified desc"), now=NOW)
    assert "plainto_tsquery('satudata_id'" in compiled.where
    assert "to_tsquery('satudata_simple'" in compiled.where
    assert "kesehatan:*" in compiled.params.values()
    assert "pbb:* & p2:*" in compiled.params.values()
    assert compiled.rank is not None and compiled.order_by.startswith("ts_rank_cd(")
    # Filter queries narrow results but do not score them.
    filtered = compile_search(SearchRequest(fq=["kesehatan"]), now=NOW)
    assert filtered.rank is None


def test_dismax_minimum_should_match_in_sql():
    compiled = compile_search(SearchRequest(q="jumlah penduduk kota baubau"), now=NOW)
    assert ">= 3)" in compiled.where


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, [("score", "desc")]),
        ("score desc, metadata_modified desc", [("score", "desc"), ("metadata_modified", "desc")]),
        ("title_string ASC", [("title_string", "asc")]),
        ("name desc", [("name", "desc")]),
        ("view_recent desc", [("view_recent", "desc")]),
    ],
)
def test_sort_parsing(sort, expected):
    assert parse_sort(sort) == expected


@pytest.mark.parametrize("bad", ["judul asc", "name", "name sideways", "name asc extra", "title_string asc, ,"])
def test_bad_sorts_are_refused(bad):
    with pytest.raises(SortError):
        parse_sort(bad)


def test_order_is_deterministic_for_paging():
    compiled = compile_search(SearchRequest(sort="name asc"), now=NOW)
    assert compiled.order_by == "s.name ASC, s.metadata_modified DESC, s.id ASC"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NOW", NOW),
        ("NOW-7DAYS", NOW - dt.timedelta(days=7)),
        ("NOW/DAY", dt.datetime(2025, 7, 15)),
        ("NOW/DAY-1MONTH", dt.datetime(2025, 6, 15)),
        ("NOW-1YEAR", NOW.replace(year=2024)),
        ("2025-01-01T00:00:00Z", dt.datetime(2025, 1, 1)),
        ("2025-01-01T08:00:00+08:00", dt.datetime(2025, 1, 1)),
        ("2025-03-31", dt.datetime(2025, 3, 31)),
    ],
)
def test_solr_dates(value, expected):
    assert parse_solr_date(value, NOW) == expected


def test_bad_date_is_a_syntax_error():
    with pytest.raises(QuerySyntaxError):
        compile_search(SearchRequest(fq=["metadata_modified:[kemarin TO NOW]"]), now=NOW)


def test_facet_statement_has_a_branch_per_field():
    compiled = compile_search(SearchRequest(), now=NOW)
    sql, params = compiled.facets_sql(["organization", "tags", "frekuensi", "metadata_modified"], 10, 1)
    assert sql.count("UNION ALL") == 2  # dates are not facetable
    assert "SELECT DISTINCT unnest(s.tags)" in sql
    assert "LIMIT 10" in sql
    assert params["_mincount"] == 1
    unlimited, _ = compiled.facets_sql(["tags"], -1, 1)
    assert "LIMIT" not in unlimited


# --------------------------------------------------------------------------- documents
def _package():
    return {
        "id": "d1", "name": "realisasi-pad", "title": "Realisasi PAD", "notes": "Perpajakan daerah",
        "type": "dataset", "state": "active", "private": False, "owner_org": "o1", "license_id": "cc-by",
        "metadata_created": "2025-01-01T00:00:00", "metadata_modified": "2025-01-02T00:00:00",
        "organization": {"name": "bapenda", "title": "Badan Pendapatan Daerah"},
        "groups": [{"name": "keuangan-daerah", "title": "Keuangan Daerah"}],
        "tags": [{"name": "pajak"}, {"name": "kota", "vocabulary_id": "v1"}],
        "extras": [{"key": "konsep", "value": "Pendapatan asli daerah"},
                   {"key": "tingkat_penyajian", "value": '["kota", "kecamatan"]'}],
        "resources": [{"name": "CSV", "format": "CSV", "url": "http://x/a.csv", "description": "Berkas"},
                      {"name": "Kamus", "format": "CSV", "url": "http://x/b.csv"}],
        "num_resources": 2, "num_tags": 2,
    }


def test_document_flattens_like_ckans_solr_indexer():
    pkg = _package()
    validated = {**pkg, "konsep": "Pendapatan asli daerah", "tingkat_penyajian": ["kota", "kecamatan"]}
    doc = document.flatten(pkg, validated, site_id="satudata", vocabulary_name=lambda vid: "wilayah")
    assert doc["organization"] == "bapenda"
    assert doc["groups"] == ["keuangan-daerah"]
    assert doc["tags"] == ["pajak"] and doc["vocab_wilayah"] == ["kota"]
    assert doc["capacity"] == "public" and doc["dataset_type"] == "dataset"
    assert doc["res_format"] == ["CSV", "CSV"] and doc["res_name"] == ["CSV", "Kamus"]
    assert doc["extras_konsep"] == "Pendapatan asli daerah" and doc["konsep"] == "Pendapatan asli daerah"
    # List-valued scheming fields stay lists (filterable and facetable value by value).
    assert doc["tingkat_penyajian"] == ["kota", "kecamatan"]
    assert doc["site_id"] == "satudata" and doc["title_string"] == "Realisasi PAD"

    row = document.row(doc, pkg, "{}")
    assert row["res_format"] == ["CSV"]  # one value per dataset for facet counts

    text = document.text_by_weight(doc, validated)
    assert "Realisasi PAD" in text["A"] and "realisasi pad" in text["A"]
    assert "Badan Pendapatan Daerah" in text["B"] and "Keuangan Daerah" in text["B"]
    assert "Perpajakan daerah" in text["C"] and "Pendapatan asli daerah" in text["C"]
    assert "Kamus" in text["D"]
    assert "http://" not in "".join(text.values())
