"""DuckDB connections that read and write the lake over S3 without touching the internet.

The httpfs extension is loaded from the ``duckdb-extension-httpfs`` wheel (``INSTALL httpfs``
would download it); autoinstall/autoload from the network is switched off so nothing can reach out.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from satudata.settings import Settings


def httpfs_extension_path() -> Path:
    """The signed httpfs extension file shipped inside the pinned wheel."""
    import duckdb_extension_httpfs

    base = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path = base / "httpfs.duckdb_extension"
    if not path.exists():
        raise RuntimeError(f"httpfs extension for DuckDB {duckdb.__version__} not found at {path}")
    return path


def secret_sql(settings: Settings, name: str = "lake") -> str:
    """The CREATE SECRET statement for the configured S3 endpoint."""

    def lit(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    return (
        f"CREATE OR REPLACE TEMPORARY SECRET {name} (TYPE s3, KEY_ID {lit(settings.s3_access_key)}, "
        f"SECRET {lit(settings.s3_secret_key)}, ENDPOINT {lit(settings.s3_endpoint)}, "
        f"URL_STYLE 'path', USE_SSL {'true' if settings.s3_secure else 'false'}, "
        f"REGION {lit(settings.s3_region)})"
    )


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> duckdb.DuckDBPyConnection:
    """Offline settings, httpfs from the wheel, and the S3 secret on an open connection."""
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute(f"LOAD '{httpfs_extension_path()}'")
    con.execute(secret_sql(settings))
    return con


def connect(settings: Settings, database: str = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    return configure(duckdb.connect(database, read_only=read_only), settings)
