"""The analysts' DuckDB warehouse: every mart as a table in one file, replaced atomically.

dbt writes marts as Parquet under ``lake/marts/``. This module copies them into a fresh DuckDB
file next to the old one and renames it into place, so an analyst (``satudata sql``, DuckDB's
Python API or CLI) who has the warehouse open read-only never meets a write lock and never sees a
half-built warehouse: their session keeps the previous file until they reconnect.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb

from satudata import objectstore
from satudata.duck import connect
from satudata.settings import Settings

MARTS_PREFIX = "marts/"


def mart_names(settings: Settings) -> list[str]:
    """Mart tables present in the lake (one ``<name>.parquet`` each)."""
    names = []
    for key, _ in objectstore.list_keys(settings, settings.bucket_lake, MARTS_PREFIX):
        name = key[len(MARTS_PREFIX) :]
        if name.endswith(".parquet") and "/" not in name:
            names.append(name[: -len(".parquet")])
    return sorted(names)


def build(settings: Settings) -> dict[str, int]:
    """Rebuild the warehouse from the lake's marts; returns row counts per table."""
    target = settings.warehouse_path
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(f".building-{os.getpid()}.duckdb")
    staging.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = connect(settings, str(staging))
    try:
        for name in mart_names(settings):
            uri = settings.lake_uri(f"{MARTS_PREFIX}{name}.parquet")
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM read_parquet(\'{uri}\')')
            counts[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        con.execute(
            "CREATE TABLE _info_warehouse AS SELECT ?::TIMESTAMPTZ AS dibangun_pada, ? AS sumber",
            [dt.datetime.now(dt.timezone.utc), settings.lake_uri(MARTS_PREFIX)],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(staging, target)
    return counts


def open_readonly(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only session on the warehouse (no S3 credentials needed: the tables are local)."""
    path: Path = settings.warehouse_path
    if not path.exists():
        raise FileNotFoundError(
            f"warehouse {path} belum ada; jalankan 'make demo' atau 'satudata run' terlebih dahulu"
        )
    return duckdb.connect(str(path), read_only=True, config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
