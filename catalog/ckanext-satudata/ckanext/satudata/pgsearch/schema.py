"""The PostgreSQL objects of the search backend: text search configurations and the index table.

Why two text search configurations
    PostgreSQL (12+) ships a Snowball stemmer for Indonesian (``indonesian_stem``): it strips the
    particles, possessives, prefixes and suffixes of Indonesian morphology, so *perpajakan*,
    *pajak* and *pajaknya* meet at ``pajak`` and *kesehatan* at ``sehat``. It is what makes
    "pajak" find "Realisasi Perpajakan". Stemming alone misses what a person types half of
    (*kesehat…*), codes (*PBB-P2*, *74.72*) and names the stemmer shortens oddly, so every text is
    indexed a second time with ``simple`` (lower-case, no stemming) and a query word matches either
    the stemmed form or a prefix of the plain form. Both configurations put ``unaccent`` first so
    that names written with or without diacritics (é, ñ in loan words and person names) match.
    Where the ``indonesian`` configuration is missing (PostgreSQL < 12) ``simple`` is used for both.

The objects are created on first use by any CKAN process (guarded by an advisory lock so that
several gunicorn workers starting at once do not race) and need only the rights a database owner
has: ``unaccent`` is a trusted extension since PostgreSQL 13.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from .sql import INDEX_TABLE, TS_SIMPLE, TS_STEM

log = logging.getLogger(__name__)

SCHEMA_VERSION = "satudata-pgsearch 1"
_LOCK_KEY = 74_72_2025  # any constant shared by all processes of this backend

_TABLE_DDL = f"""
CREATE TABLE {INDEX_TABLE} (
    id text PRIMARY KEY,
    site_id text NOT NULL,
    name text NOT NULL,
    title text,
    title_string text,
    state text,
    dataset_type text,
    capacity text,
    owner_org text,
    organization text,
    license_id text,
    tags text[] NOT NULL DEFAULT '{{}}',
    groups text[] NOT NULL DEFAULT '{{}}',
    res_format text[] NOT NULL DEFAULT '{{}}',
    permission_labels text[] NOT NULL DEFAULT '{{}}',
    metadata_created timestamp,
    metadata_modified timestamp,
    num_resources integer,
    num_tags integer,
    doc jsonb NOT NULL,
    data_dict text NOT NULL,
    validated_data_dict text NOT NULL,
    search_vector tsvector NOT NULL,
    indexed_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
CREATE INDEX {INDEX_TABLE}_fts ON {INDEX_TABLE} USING gin (search_vector);
CREATE INDEX {INDEX_TABLE}_tags ON {INDEX_TABLE} USING gin (tags);
CREATE INDEX {INDEX_TABLE}_groups ON {INDEX_TABLE} USING gin (groups);
CREATE INDEX {INDEX_TABLE}_res_format ON {INDEX_TABLE} USING gin (res_format);
CREATE INDEX {INDEX_TABLE}_labels ON {INDEX_TABLE} USING gin (permission_labels);
CREATE INDEX {INDEX_TABLE}_organization ON {INDEX_TABLE} (organization);
CREATE INDEX {INDEX_TABLE}_owner_org ON {INDEX_TABLE} (owner_org);
CREATE INDEX {INDEX_TABLE}_modified ON {INDEX_TABLE} (metadata_modified);
CREATE INDEX {INDEX_TABLE}_name ON {INDEX_TABLE} (name);
COMMENT ON TABLE {INDEX_TABLE} IS '{SCHEMA_VERSION}';
"""

# Weighted document: A title/name, B tags/groups/organization, C description and metadata,
# D resources. Each part is indexed stemmed and plain (see the module docstring).
# The plain part splits hyphenated words ("PBB-P2", "pajak-daerah") into their parts so that a
# phrase such as "tunggakan pbb" matches; the stemmed part keeps the compound as well.
VECTOR_SQL = " || ".join(
    f"setweight(to_tsvector('{TS_STEM}', :text_{w}) || "
    f"to_tsvector('{TS_SIMPLE}', replace(:text_{w}, '-', ' ')), '{w}')"
    for w in "ABCD"
)

_COLUMNS = (
    "id", "site_id", "name", "title", "title_string", "state", "dataset_type", "capacity",
    "owner_org", "organization", "license_id", "tags", "groups", "res_format",
    "permission_labels", "metadata_created", "metadata_modified", "num_resources", "num_tags",
    "doc", "data_dict", "validated_data_dict",
)

UPSERT_SQL = (
    f"INSERT INTO {INDEX_TABLE} ({', '.join(_COLUMNS)}, search_vector, indexed_at) VALUES ("
    + ", ".join(
        f"CAST(:{c} AS jsonb)" if c == "doc" else f"CAST(:{c} AS text[])"
        if c in ("tags", "groups", "res_format", "permission_labels") else f":{c}"
        for c in _COLUMNS
    )
    + f", {VECTOR_SQL}, now() AT TIME ZONE 'utc') ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "id")
    + ", search_vector = EXCLUDED.search_vector, indexed_at = EXCLUDED.indexed_at"
)

_ready_engines: set[int] = set()


def _exists(conn: Connection, sql: str, **params: object) -> bool:
    return conn.execute(text(sql), params).scalar() is not None


def _ensure_text_search(conn: Connection) -> None:
    has_unaccent = _exists(conn, "SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
    if not has_unaccent:
        savepoint = conn.begin_nested()
        try:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
            savepoint.commit()
            has_unaccent = True
        except Exception as exc:  # noqa: BLE001 - missing contrib package or rights: degrade
            savepoint.rollback()
            log.warning("unaccent tidak tersedia (%s); pencarian tanpa normalisasi diakritik", exc)
    has_stemmer = _exists(conn, "SELECT 1 FROM pg_ts_dict WHERE dictname = 'indonesian_stem'")
    if not has_stemmer:
        log.warning("PostgreSQL tanpa stemmer Indonesia; memakai konfigurasi 'simple'")

    for name, source, dictionary in (
        (TS_STEM, "indonesian" if has_stemmer else "simple", "indonesian_stem" if has_stemmer else "simple"),
        (TS_SIMPLE, "simple", "simple"),
    ):
        if _exists(conn, "SELECT 1 FROM pg_ts_config WHERE cfgname = :n", n=name):
            continue
        conn.execute(text(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{source})"))
        if has_unaccent:
            conn.execute(
                text(
                    f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR "
                    f"word, hword, hword_part WITH unaccent, {dictionary}"
                )
            )


def ensure_schema(engine: Engine) -> None:
    """Create the text search configurations and the index table if they are missing (idempotent)."""
    if id(engine) in _ready_engines:
        return
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        _ensure_text_search(conn)
        version = conn.execute(
            text("SELECT obj_description(to_regclass(:t), 'pg_class')"), {"t": INDEX_TABLE}
        ).scalar()
        table_exists = conn.execute(text("SELECT to_regclass(:t)"), {"t": INDEX_TABLE}).scalar() is not None
        if table_exists and version != SCHEMA_VERSION:
            log.warning(
                "indeks pencarian versi %r diganti dengan %r; jalankan 'ckan search-index rebuild'",
                version, SCHEMA_VERSION,
            )
            conn.execute(text(f"DROP TABLE {INDEX_TABLE}"))
            table_exists = False
        if not table_exists:
            conn.execute(text(_TABLE_DDL))
    _ready_engines.add(id(engine))
