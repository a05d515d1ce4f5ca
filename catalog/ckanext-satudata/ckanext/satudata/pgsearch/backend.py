"""CKAN's package search index and query, answered by PostgreSQL instead of Solr.

These classes take the places CKAN 2.12 looks up through ``ckan.lib.search.index_for`` and
``ckan.lib.search.query_for`` (see :mod:`.plugin`). Everything around them stays CKAN's own:
``package_search`` still validates its parameters with CKAN's schema, applies auth, turns
``include_private``/``include_drafts`` into ``+capacity``/``+state`` filters, asks the permission
labels plugin for the user's labels, and dictizes the results. Only ``PackageSearchQuery.run`` (the
call that used to go to Solr) and ``PackageSearchIndex.index_package`` (the call that used to
post to Solr) are different.

Index writes use their own short transaction, as a Solr post did: CKAN also re-indexes after
its commit in places (``member_create``, ``tag_delete``), and a write in the request's session
there would be rolled back with it. The query joins CKAN's ``package`` table so that a dataset
whose creation was rolled back after indexing never appears.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from sqlalchemy import text

import ckan.lib.navl.dictization_functions as dictization_functions
import ckan.lib.plugins as lib_plugins
import ckan.logic as logic
import ckan.model as model
from ckan.common import config
from ckan.lib.search.common import SearchError, SearchQueryError
from ckan.lib.search.index import PackageSearchIndex
from ckan.lib.search.query import (
    MAGIC_FIELD_RE,
    QUERY_PARSER_RE,
    VALID_SOLR_PARAMETERS,
    PackageSearchQuery,
)
from ckan.plugins import IPackageController, PluginImplementations

from . import document
from .lucene import QuerySyntaxError
from .schema import UPSERT_SQL, ensure_schema
from .sql import INDEX_TABLE, SearchRequest, SortError, compile_search

log = logging.getLogger(__name__)

_FL_SPLIT = re.compile(r"[\s,]+")


def _engine():
    engine = model.meta.engine
    if engine is None:
        raise SearchError("database engine is not initialised")
    ensure_schema(engine)
    return engine


def _site_id() -> str:
    return config.get("ckan.site_id") or "default"


class PgPackageSearchIndex(PackageSearchIndex):
    """Writes each dataset's search document into ``satudata_search_index``."""

    def index_package(self, pkg_dict: dict[str, Any] | None, defer_commit: bool = False) -> None:
        if pkg_dict is None:
            return
        pkg_dict = dict(pkg_dict)
        assert "with_custom_schema" in pkg_dict, "both default and custom schema data must be passed"
        validated = pkg_dict.pop("with_custom_schema")

        if config.get("ckan.search.remove_deleted_packages") and pkg_dict.get("state") in (None, "deleted"):
            self.delete_package(pkg_dict)
            return

        doc = document.flatten(
            pkg_dict,
            validated,
            site_id=_site_id(),
            vocabulary_name=_vocabulary_name,
            resource_extra_columns=model.Resource.get_extra_columns(),
        )
        for plugin in PluginImplementations(IPackageController):
            doc = plugin.before_dataset_index(doc)
        assert doc, "Plugin must return non empty package dict on index"

        # Visibility is decided by CKAN's permission labels (IPermissionLabels), as with Solr; the
        # query matches them against the user's labels in SQL.
        dataset = model.Package.get(doc["id"])
        doc["permission_labels"] = (
            lib_plugins.get_permission_labels().get_dataset_labels(dataset) if dataset else []
        )

        params = document.row(
            doc,
            pkg_dict,
            json.dumps(validated, cls=dictization_functions.MissingNullEncoder),
        )
        for weight, body in document.text_by_weight(doc, validated).items():
            params[f"text_{weight}"] = body
        with _engine().begin() as conn:
            conn.execute(text(UPSERT_SQL), params)
        log.debug("Updated search index for %s", doc.get("name"))

    def delete_package(self, pkg_dict: dict[str, Any]) -> None:
        with _engine().begin() as conn:
            conn.execute(
                text(f"DELETE FROM {INDEX_TABLE} WHERE site_id = :site AND (id = :ref OR name = :ref)"),
                {"site": _site_id(), "ref": pkg_dict.get("id")},
            )

    def clear(self) -> None:
        with _engine().begin() as conn:
            conn.execute(text(f"DELETE FROM {INDEX_TABLE} WHERE site_id = :site"), {"site": _site_id()})

    def commit(self) -> None:
        """Each write commits on its own; nothing is pending."""


def _vocabulary_name(vocabulary_id: str) -> str:
    vocab = logic.get_action("vocabulary_show")({}, {"id": vocabulary_id})
    return vocab["name"]


def _check_query_parser(param: str, value: Any) -> None:
    """Reject Solr local parameters and magic fields, as CKAN's Solr query does.

    No query parser can be enabled for the PostgreSQL backend, so ``{!…}`` is always refused.
    """
    values = value if isinstance(value, list) else [value]
    for item in values:
        if not isinstance(item, str):
            continue
        item = item.strip()
        if re.search(MAGIC_FIELD_RE, item):
            raise SearchError(f"Magic fields are not supported in param '{param}'.")
        if QUERY_PARSER_RE.findall(item):
            raise SearchError(f"Local parameters are not supported in param '{param}'.")


def _as_int(value: Any, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SearchQueryError(f"Parameter {name!r} must be an integer") from None


class PgPackageSearchQuery(PackageSearchQuery):
    """Answers ``package_search`` from ``satudata_search_index`` with the Solr call's contract."""

    def run(self, query: dict[str, Any], permission_labels: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        if not set(query.keys()) <= VALID_SOLR_PARAMETERS:
            invalid = sorted(set(query.keys()) - VALID_SOLR_PARAMETERS)
            raise SearchQueryError(f"Invalid search parameters: {invalid}")
        for param, value in query.items():
            _check_query_parser(param, value)

        fq: list[str] = []
        if query.get("fq"):
            fq.extend(query["fq"] if isinstance(query["fq"], list) else [query["fq"]])
        fq.extend(query.get("fq_list") or [])

        facet_fields = query.get("facet.field") or []
        if isinstance(facet_fields, str):
            facet_fields = [facet_fields]
        request = SearchRequest(
            q=query.get("q") or "",
            fq=[str(f) for f in fq],
            sort=query.get("sort"),
            rows=max(_as_int(query.get("rows"), "rows", 10), 0),
            start=max(_as_int(query.get("start"), "start", 0), 0),
            facet=str(query.get("facet", "true")).lower() != "false",
            facet_fields=list(facet_fields),
            facet_limit=_as_int(query.get("facet.limit"), "facet.limit", int(config.get("search.facets.limit") or 50)),
            facet_mincount=_as_int(query.get("facet.mincount"), "facet.mincount", 1),
            permission_labels=permission_labels,
            site_id=_site_id(),
        )
        try:
            compiled = compile_search(request)
        except SortError:
            # The same error CKAN raises when Solr refuses a sort.
            raise SearchQueryError('Invalid "sort" parameter') from None
        except QuerySyntaxError as exc:
            raise SearchQueryError(f"Invalid search query: {exc}") from None

        _engine()
        session = model.Session
        self.count = int(session.execute(text(compiled.count_sql()), compiled.params).scalar() or 0)

        fl = query.get("fl") or "name"
        fields = [f for f in _FL_SPLIT.split(fl if isinstance(fl, str) else " ".join(fl)) if f]
        columns = ["id", "name"]
        for big in ("data_dict", "validated_data_dict"):
            if big in fields:
                columns.append(big)
        if any(f not in ("id", "name", "data_dict", "validated_data_dict") for f in fields):
            columns.append("doc")
        rows = []
        if request.rows > 0:
            rows = session.execute(
                text(compiled.page_sql(columns)),
                {**compiled.params, "_rows": request.rows, "_start": request.start},
            ).mappings().all()
        self.results = [_result(row, fields) for row in rows]
        if fields in (["id"], ["name"]):
            self.results = [r.get(fields[0]) for r in self.results]

        self.facets = {}
        if request.facet and request.facet_fields:
            sql, facet_params = compiled.facets_sql(request.facet_fields, request.facet_limit, request.facet_mincount)
            for name in request.facet_fields:
                self.facets.setdefault(name, {})
            if sql:
                for facet, value, count in session.execute(text(sql), {**compiled.params, **facet_params}):
                    self.facets[facet][value] = int(count)
        return {"results": self.results, "count": self.count}

    def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
        _engine()
        rows = model.Session.execute(
            text(f"SELECT id FROM {INDEX_TABLE} WHERE site_id = :site AND state = 'active' LIMIT :n"),
            {"site": _site_id(), "n": max_results},
        )
        return [r[0] for r in rows]

    def get_index(self, reference: str) -> dict[str, Any]:
        _engine()
        row = model.Session.execute(
            text(
                f"SELECT doc, data_dict, validated_data_dict FROM {INDEX_TABLE} "
                "WHERE site_id = :site AND (id = :ref OR name = :ref) LIMIT 1"
            ),
            {"site": _site_id(), "ref": reference},
        ).mappings().first()
        if row is None:
            raise SearchError(f"Dataset not found in the search index: {reference}")
        # package_show uses the stored dicts as a cache when metadata_modified still matches.
        return {**row["doc"], "data_dict": row["data_dict"], "validated_data_dict": row["validated_data_dict"]}


def _result(row: Any, fields: list[str]) -> dict[str, Any]:
    """One result in the shape Solr returned: requested fields, ``extras_*`` gathered under extras."""
    doc = row.get("doc") or {}
    if "*" in fields:
        out = dict(doc)
    else:
        out = {}
        for name in fields:
            if name in ("data_dict", "validated_data_dict", "id", "name"):
                out[name] = row[name]
            elif name in doc:
                out[name] = doc[name]
    out.setdefault("id", row["id"])
    extras = {k[len("extras_"):]: out.pop(k) for k in [k for k in out if k.startswith("extras_")]}
    if extras:
        out["extras"] = extras
    return out
