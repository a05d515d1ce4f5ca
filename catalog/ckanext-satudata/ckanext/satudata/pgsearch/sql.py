"""Compile a parsed ``package_search`` request into PostgreSQL.

The search index is one table (:data:`INDEX_TABLE`, created by :mod:`.schema`) with a row per
dataset: dedicated columns for the fields CKAN filters, facets and sorts on, the flattened index
document as ``jsonb`` for every other field (scheming fields, extras, ``res_*`` lists), and a
weighted ``tsvector`` for full text. Every value from the request is a bind parameter; field names
are either mapped through :data:`COLUMNS` or used as a bound ``jsonb`` key, never spliced into SQL.

Pure Python (no CKAN, no database) so that the SQL a query turns into can be unit-tested.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .lucene import (
    And,
    DismaxQuery,
    Exists,
    MatchAll,
    Node,
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

INDEX_TABLE = "satudata_search_index"

# Text search configurations created by .schema: Indonesian Snowball stemming and a plain
# ("simple") one, both behind unaccent. See schema.py for why both exist.
TS_STEM = "satudata_id"
TS_SIMPLE = "satudata_simple"

# Alias of the index table in every statement; ``p`` is CKAN's package table (joined so that a row
# left behind by a rolled-back transaction can never surface).
A = "s"


@dataclass(frozen=True)
class Column:
    sql: str
    kind: str  # "scalar" | "array" | "timestamp" | "fulltext" | "textfield"


COLUMNS: dict[str, Column] = {
    "id": Column(f"{A}.id", "scalar"),
    "name": Column(f"{A}.name", "scalar"),
    "site_id": Column(f"{A}.site_id", "scalar"),
    "state": Column(f"{A}.state", "scalar"),
    "dataset_type": Column(f"{A}.dataset_type", "scalar"),
    "type": Column(f"{A}.dataset_type", "scalar"),
    "capacity": Column(f"{A}.capacity", "scalar"),
    "owner_org": Column(f"{A}.owner_org", "scalar"),
    "organization": Column(f"{A}.organization", "scalar"),
    "license_id": Column(f"{A}.license_id", "scalar"),
    "title_string": Column(f"{A}.title_string", "scalar"),
    "tags": Column(f"{A}.tags", "array"),
    "groups": Column(f"{A}.groups", "array"),
    "res_format": Column(f"{A}.res_format", "array"),
    "permission_labels": Column(f"{A}.permission_labels", "array"),
    "metadata_created": Column(f"{A}.metadata_created", "timestamp"),
    "metadata_modified": Column(f"{A}.metadata_modified", "timestamp"),
    "text": Column(f"{A}.search_vector", "fulltext"),
    "title": Column(f"coalesce({A}.title, '')", "textfield"),
    "notes": Column(f"coalesce({A}.doc ->> 'notes', '')", "textfield"),
}

# Sortable fields (Solr sorts on string/date/number fields; ``title`` is tokenized there, so CKAN
# sorts by ``title_string``). ``score`` is the full-text rank.
SORT_FIELDS: dict[str, str] = {
    "metadata_modified": f"{A}.metadata_modified",
    "metadata_created": f"{A}.metadata_created",
    "title_string": f"lower(coalesce({A}.title_string, {A}.name))",
    "name": f"{A}.name",
    "id": f"{A}.id",
    "num_resources": f"{A}.num_resources",
    "num_tags": f"{A}.num_tags",
}
# Page views come from the tracking plugin's before_dataset_index (0 when tracking is off). The
# home page sorts by ``view_recent`` (sic), which Solr accepts through its catch-all field.
for _views in ("views_recent", "views_total", "view_recent"):
    _key = "views_recent" if _views == "view_recent" else _views
    SORT_FIELDS[_views] = (
        f"(CASE WHEN ({A}.doc ->> '{_key}') ~ '^[0-9]+$' THEN ({A}.doc ->> '{_key}')::bigint ELSE 0 END)"
    )

_WORD_RE = re.compile(r"[^\W_]+")
_NOW_RE = re.compile(r"^NOW((?:[+-]\d+[A-Z]+|/[A-Z]+)*)$")
_MATH_RE = re.compile(r"([+-])(\d+)([A-Z]+)|/([A-Z]+)")


class SortError(ValueError):
    """The ``sort`` parameter names a field or direction the index cannot sort by."""


def parse_sort(sort: str | None) -> list[tuple[str, str]]:
    """``"score desc, metadata_modified desc"`` → ``[("score", "desc"), ("metadata_modified", "desc")]``.

    Like Solr, a direction is required and only known fields are accepted.
    """
    if sort is None or not sort.strip():
        return [("score", "desc")]
    out: list[tuple[str, str]] = []
    for clause in sort.split(","):
        parts = clause.split()
        if len(parts) != 2:
            raise SortError(f"urutan tidak valid: {clause.strip()!r}")
        name, direction = parts[0], parts[1].lower()
        if direction not in ("asc", "desc"):
            raise SortError(f"arah urutan tidak valid: {parts[1]!r}")
        if name not in SORT_FIELDS and name != "score":
            raise SortError(f"tidak bisa mengurutkan menurut {name!r}")
        out.append((name, direction))
    return out


def order_by(sorts: list[tuple[str, str]], rank_sql: str | None) -> str:
    parts: list[str] = []
    for name, direction in sorts:
        if name == "score":
            if rank_sql is not None:
                parts.append(f"{rank_sql} {direction.upper()}")
            continue
        parts.append(f"{SORT_FIELDS[name]} {direction.upper()}")
    # Deterministic pages: equal keys never swap between page 1 and page 2.
    if not any(name == "metadata_modified" for name, _ in sorts):
        parts.append(f"{A}.metadata_modified DESC")
    parts.append(f"{A}.id ASC")
    return ", ".join(parts)


def parse_solr_date(value: str, now: dt.datetime) -> dt.datetime:
    """ISO dates and Solr date math (``NOW``, ``NOW-7DAYS``, ``NOW/DAY``) as naive UTC."""
    value = value.strip()
    match = _NOW_RE.match(value.upper())
    if match:
        result = now
        for sign, amount, unit, round_unit in _MATH_RE.findall(match.group(1)):
            if round_unit:
                result = _round_down(result, round_unit)
            else:
                result = _shift(result, int(amount) * (1 if sign == "+" else -1), unit)
        return result
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QuerySyntaxError(f"tanggal tidak valid: {value!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed


def _unit(unit: str) -> str:
    unit = unit[:-1] if unit.endswith("S") else unit
    return {"DATE": "DAY"}.get(unit, unit)


def _shift(value: dt.datetime, amount: int, unit: str) -> dt.datetime:
    unit = _unit(unit)
    if unit in ("YEAR", "MONTH"):
        months = value.month - 1 + amount * (12 if unit == "YEAR" else 1)
        year, month = value.year + months // 12, months % 12 + 1
        day = min(value.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                              31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
        return value.replace(year=year, month=month, day=day)
    seconds = {"DAY": 86400, "HOUR": 3600, "MINUTE": 60, "SECOND": 1}.get(unit)
    if seconds is None:
        raise QuerySyntaxError(f"satuan waktu tidak dikenal: {unit}")
    return value + dt.timedelta(seconds=amount * seconds)


def _round_down(value: dt.datetime, unit: str) -> dt.datetime:
    unit = _unit(unit)
    fields = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]
    if unit not in fields:
        raise QuerySyntaxError(f"satuan waktu tidak dikenal: {unit}")
    keep = fields.index(unit)
    replace: dict[str, int] = {"microsecond": 0}
    for i, name in enumerate(["month", "day", "hour", "minute", "second"], start=1):
        if i > keep:
            replace[name] = 1 if name in ("month", "day") else 0
    return value.replace(**replace)


def _like_pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


@dataclass
class Compiler:
    """Turns query trees into SQL conditions, collecting bind parameters and rank queries."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    params: dict[str, Any] = field(default_factory=dict)
    rank_queries: list[str] = field(default_factory=list)

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    # -- full text ------------------------------------------------------------------------
    def tsquery(self, value: str, phrase: bool) -> str | None:
        """A tsquery matching ``value`` stemmed (Indonesian) or, word by word, as a prefix."""
        words = [w.lower() for w in _WORD_RE.findall(value)]
        if not words:
            return None
        if phrase:
            stem, plain = self.bind(value), self.bind(value.replace("-", " "))
            return f"(phraseto_tsquery('{TS_STEM}', {stem}) || phraseto_tsquery('{TS_SIMPLE}', {plain}))"
        stemmed = self.bind(value)
        prefixes = self.bind(" & ".join(f"{w}:*" for w in words))
        return f"(plainto_tsquery('{TS_STEM}', {stemmed}) || to_tsquery('{TS_SIMPLE}', {prefixes}))"

    def text(self, value: str, phrase: bool, positive: bool, vector: str | None = None) -> str:
        query = self.tsquery(value, phrase)
        if query is None:  # nothing searchable (punctuation only): matches everything, like Solr
            return "TRUE"
        if vector is None:
            vector = f"{A}.search_vector"
            if positive:
                self.rank_queries.append(query)
        return f"({vector} @@ {query})"

    def rank(self) -> str | None:
        if not self.rank_queries:
            return None
        return f"ts_rank_cd({A}.search_vector, ({' || '.join(self.rank_queries)}))"

    # -- trees ----------------------------------------------------------------------------
    def where(self, node: Node, positive: bool = True) -> str:
        if isinstance(node, MatchAll):
            return "TRUE"
        if isinstance(node, And):
            return "(" + " AND ".join(self.where(c, positive) for c in node.children) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.where(c, positive) for c in node.children) + ")"
        if isinstance(node, Not):
            # NULL-safe: "-organization:x" keeps datasets without an organization, as Solr does.
            return f"(NOT COALESCE({self.where(node.child, not positive)}, FALSE))"
        if isinstance(node, Text):
            return self.text(node.value, node.phrase, positive)
        if isinstance(node, Term):
            return self.term(node, positive)
        if isinstance(node, Exists):
            return self.exists(node.field)
        if isinstance(node, Range):
            return self.range(node)
        raise TypeError(f"unknown node {node!r}")

    def dismax(self, query: DismaxQuery) -> str:
        conditions: list[str] = []
        optional = [self.text(t.value, t.phrase, True) for t in query.optional]
        optional = [c for c in optional if c != "TRUE"]
        if optional:
            needed = minimum_should_match(len(optional))
            if needed >= len(optional):
                conditions.extend(optional)
            else:
                conditions.append("((" + " + ".join(f"({c})::int" for c in optional) + f") >= {needed})")
        conditions.extend(self.text(t.value, t.phrase, True) for t in query.required)
        conditions.extend(f"(NOT {self.text(t.value, t.phrase, False)})" for t in query.excluded)
        return "(" + " AND ".join(conditions) + ")" if conditions else "TRUE"

    # -- fields ---------------------------------------------------------------------------
    def _generic_values(self, fieldname: str) -> str:
        """The values of a field from the jsonb document, as text rows (scalars and lists alike)."""
        key = self.bind(fieldname)
        return (
            f"jsonb_array_elements_text(CASE WHEN jsonb_typeof({A}.doc -> {key}) = 'array' "
            f"THEN {A}.doc -> {key} ELSE jsonb_build_array({A}.doc -> {key}) END)"
        )

    def term(self, node: Term, positive: bool) -> str:
        column = COLUMNS.get(node.field)
        if column is not None and column.kind == "fulltext":
            return self.text(node.value, False, positive)
        if column is not None and column.kind == "textfield":
            vector = f"(to_tsvector('{TS_STEM}', {column.sql}) || to_tsvector('{TS_SIMPLE}', {column.sql}))"
            return self.text(node.value, False, positive, vector=vector)
        if node.wildcard and node.value.strip("*") == "":
            return self.exists(node.field)
        if column is not None and column.kind == "timestamp":
            return f"({column.sql} = {self.bind(parse_solr_date(node.value, self.now))})"
        if node.wildcard:
            pattern = self.bind(_like_pattern(node.value))
            if column is None:
                return f"EXISTS (SELECT 1 FROM {self._generic_values(node.field)} AS e(v) WHERE e.v LIKE {pattern})"
            if column.kind == "array":
                return f"EXISTS (SELECT 1 FROM unnest({column.sql}) AS e(v) WHERE e.v LIKE {pattern})"
            return f"({column.sql} LIKE {pattern})"
        value = self.bind(node.value)
        if column is None:
            return f"EXISTS (SELECT 1 FROM {self._generic_values(node.field)} AS e(v) WHERE e.v = {value})"
        if column.kind == "array":
            return f"({value} = ANY({column.sql}))"
        return f"({column.sql} = {value})"

    def exists(self, fieldname: str) -> str:
        column = COLUMNS.get(fieldname)
        if column is None:
            return f"EXISTS (SELECT 1 FROM {self._generic_values(fieldname)} AS e(v) WHERE e.v <> '')"
        if column.kind == "array":
            return f"(cardinality({column.sql}) > 0)"
        if column.kind in ("timestamp", "fulltext"):
            return "TRUE" if column.kind == "fulltext" else f"({column.sql} IS NOT NULL)"
        return f"(coalesce({column.sql}, '') <> '')"

    def range(self, node: Range) -> str:
        column = COLUMNS.get(node.field)
        is_time = column is not None and column.kind == "timestamp"

        def bound(value: str | None) -> Any:
            if value is None:
                return None
            return parse_solr_date(value, self.now) if is_time else value

        low, high = bound(node.low), bound(node.high)
        if column is not None and column.kind in ("fulltext", "textfield"):
            raise QuerySyntaxError(f"rentang tidak didukung untuk field {node.field!r}")

        def conditions(expr: str) -> str:
            parts = []
            if low is not None:
                parts.append(f"{expr} {'>=' if node.include_low else '>'} {self.bind(low)}")
            if high is not None:
                parts.append(f"{expr} {'<=' if node.include_high else '<'} {self.bind(high)}")
            return " AND ".join(parts) or "TRUE"

        if column is None:
            return f"EXISTS (SELECT 1 FROM {self._generic_values(node.field)} AS e(v) WHERE {conditions('e.v')})"
        if column.kind == "array":
            return f"EXISTS (SELECT 1 FROM unnest({column.sql}) AS e(v) WHERE {conditions('e.v')})"
        return f"({conditions(column.sql)})"


@dataclass
class SearchRequest:
    """What ``PackageSearchQuery.run`` was asked, already validated by CKAN's schema."""

    q: str = ""
    fq: list[str] = field(default_factory=list)
    sort: str | None = None
    rows: int = 10
    start: int = 0
    facet: bool = True
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50
    facet_mincount: int = 1
    permission_labels: list[str] | None = None
    site_id: str = "default"


@dataclass
class CompiledSearch:
    where: str
    params: dict[str, Any]
    order_by: str
    rank: str | None
    from_clause: str = f"{INDEX_TABLE} AS {A} JOIN package AS p ON p.id = {A}.id"

    def count_sql(self) -> str:
        return f"SELECT count(*) FROM {self.from_clause} WHERE {self.where}"

    def page_sql(self, columns: list[str]) -> str:
        cols = ", ".join(f"{A}.{c}" for c in columns)
        return (
            f"SELECT {cols} FROM {self.from_clause} WHERE {self.where} "
            f"ORDER BY {self.order_by} LIMIT :_rows OFFSET :_start"
        )

    def facets_sql(self, fields: list[str], limit: int, mincount: int) -> tuple[str, dict[str, Any]]:
        """One statement with a UNION ALL branch per facet field: (facet, value, count) rows."""
        params: dict[str, Any] = {"_mincount": max(int(mincount), 1)}
        branches = []
        for i, name in enumerate(fields):
            params[f"_f{i}"] = name
            column = COLUMNS.get(name)
            if column is not None and column.kind == "array":
                values = f"(SELECT DISTINCT unnest({column.sql})) AS x(v)"
            elif column is not None and column.kind == "scalar":
                values = f"(SELECT {column.sql}) AS x(v)"
            elif column is not None:
                continue  # dates and full text are not facetable
            else:
                values = (
                    f"(SELECT DISTINCT jsonb_array_elements_text(CASE WHEN jsonb_typeof({A}.doc -> :_f{i}) = 'array' "
                    f"THEN {A}.doc -> :_f{i} ELSE jsonb_build_array({A}.doc -> :_f{i}) END)) AS x(v)"
                )
            limit_sql = "" if limit < 0 else f" LIMIT {int(limit)}"
            branches.append(
                f"(SELECT CAST(:_f{i} AS text) AS facet, x.v AS value, count(*) AS n "
                f"FROM {self.from_clause} CROSS JOIN LATERAL {values} "
                f"WHERE {self.where} AND x.v IS NOT NULL AND x.v <> '' "
                f"GROUP BY x.v HAVING count(*) >= :_mincount ORDER BY n DESC, x.v{limit_sql})"
            )
        return " UNION ALL ".join(branches), params


def compile_search(request: SearchRequest, now: dt.datetime | None = None) -> CompiledSearch:
    """Build the WHERE/ORDER BY of a package search. Raises QuerySyntaxError or SortError."""
    compiler = Compiler(now=now) if now is not None else Compiler()
    conditions = [f"{A}.site_id = {compiler.bind(request.site_id)}"]

    fq = [f for f in request.fq if f and f.strip()]
    # CKAN's Solr query adds +state:active unless the caller filtered on state itself.
    if not any("+state:" in f for f in fq):
        conditions.append(f"{A}.state = 'active'")
    for item in fq:
        conditions.append(compiler.where(parse_lucene(item), positive=False))

    if request.permission_labels is not None:
        conditions.append(f"{A}.permission_labels && CAST({compiler.bind(list(request.permission_labels))} AS text[])")

    q = (request.q or "").strip()
    if q and q not in ("*:*", '""', "''"):
        # CKAN uses Solr's standard parser when the query contains a colon, dismax otherwise. Text
        # typed into the search box that is not valid syntax is searched as words rather than
        # failing the page.
        tree = None
        if ":" in q:
            try:
                tree = parse_lucene(q)
            except QuerySyntaxError:
                tree = None
        conditions.append(compiler.where(tree) if tree is not None else compiler.dismax(parse_dismax(q)))

    sorts = parse_sort(request.sort)
    rank = compiler.rank()
    return CompiledSearch(
        where=" AND ".join(conditions),
        params=compiler.params,
        order_by=order_by(sorts, rank),
        rank=rank,
    )
