"""Runtime configuration, read from the environment.

Everything the platform needs to know about where things live comes from environment variables
(``SATUDATA_*``) so that the same code runs against the embedded local stack, a CI stack and a
production MinIO. The local stack writes its generated credentials to ``<home>/stack.env``; values
there are used only when the environment does not set them, so a deployment's own variables
always win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _read_env_file(path: Path) -> dict[str, str]:
    """Parse a KEY=VALUE file (the local stack's generated credentials)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Build with :func:`get_settings`; never mutate."""

    home: Path
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_region: str
    s3_secure: bool
    bucket_landing: str
    bucket_lake: str
    bucket_open: str
    s3_port: int
    datasets_dirs: tuple[Path, ...]
    reference_dir: Path
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    # The open-data portal (CKAN) and the services it needs in the local stack.
    pg_port: int = 8432
    redis_port: int = 8379
    ckan_port: int = 5000
    ckan_url: str = "http://127.0.0.1:5000"
    ckan_api_token: str = field(default="", repr=False)
    # The Command Center board (Streamlit) in the local stack.
    board_port: int = 8501
    # Key of the HMAC pseudonyms of person identifiers in health data (ingest.pseudonym).
    pseudonym_key: str = field(default="", repr=False)

    @property
    def stack_env_file(self) -> Path:
        return self.home / "stack.env"

    @property
    def warehouse_path(self) -> Path:
        """The analysts' DuckDB file (marts as tables, replaced atomically on each build)."""
        return Path(self.extra.get("SATUDATA_WAREHOUSE", self.home / "warehouse.duckdb"))

    @property
    def dagster_home(self) -> Path:
        return Path(self.extra.get("DAGSTER_HOME", self.home / "dagster"))

    @property
    def dbt_target_path(self) -> Path:
        return self.home / "dbt"

    @property
    def ckan_venv(self) -> Path:
        """CKAN's own virtualenv (``make install``), shared by the demo and test stacks."""
        return Path(self.extra.get("SATUDATA_CKAN_VENV", PROJECT_ROOT / ".state" / "tools" / "ckan-venv"))

    @cached_property
    def s3_url(self) -> str:
        scheme = "https" if self.s3_secure else "http"
        return f"{scheme}://{self.s3_endpoint}"

    def lake_uri(self, key: str = "") -> str:
        return f"s3://{self.bucket_lake}/{key}"

    def env_for_children(self) -> dict[str, str]:
        """Environment for subprocesses (dbt, dagster) so they resolve the same settings."""
        env = dict(os.environ)
        env.update(
            {
                "SATUDATA_HOME": str(self.home),
                "SATUDATA_S3_ENDPOINT": self.s3_endpoint,
                "SATUDATA_S3_ACCESS_KEY": self.s3_access_key,
                "SATUDATA_S3_SECRET_KEY": self.s3_secret_key,
                "SATUDATA_S3_REGION": self.s3_region,
                "SATUDATA_S3_SECURE": "true" if self.s3_secure else "false",
                "SATUDATA_BUCKET_LANDING": self.bucket_landing,
                "SATUDATA_BUCKET_LAKE": self.bucket_lake,
                "SATUDATA_BUCKET_OPEN": self.bucket_open,
                "DAGSTER_HOME": str(self.dagster_home),
                "SATUDATA_PG_PORT": str(self.pg_port),
                "SATUDATA_REDIS_PORT": str(self.redis_port),
                "SATUDATA_CKAN_PORT": str(self.ckan_port),
                "SATUDATA_CKAN_URL": self.ckan_url,
                "SATUDATA_BOARD_PORT": str(self.board_port),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
                "DO_NOT_TRACK": "1",
            }
        )
        # Only when known: an empty value would shadow the token that stack.env provides later.
        if self.ckan_api_token:
            env["SATUDATA_CKAN_API_TOKEN"] = self.ckan_api_token
        if self.pseudonym_key:
            env["SATUDATA_PSEUDONYM_KEY"] = self.pseudonym_key
        return env


def get_settings(environ: dict[str, str] | None = None) -> Settings:
    """Resolve settings from the environment, falling back to the local stack's env file."""
    env = dict(os.environ if environ is None else environ)
    home = Path(env.get("SATUDATA_HOME", PROJECT_ROOT / ".state")).resolve()
    merged = {**_read_env_file(home / "stack.env"), **env}
    s3_port = int(merged.get("SATUDATA_S3_PORT", "8333"))
    ckan_port = int(merged.get("SATUDATA_CKAN_PORT", "5000"))
    dirs = merged.get("SATUDATA_DATASETS_DIRS", str(PROJECT_ROOT / "datasets"))
    return Settings(
        home=home,
        s3_endpoint=merged.get("SATUDATA_S3_ENDPOINT", f"127.0.0.1:{s3_port}"),
        s3_access_key=merged.get("SATUDATA_S3_ACCESS_KEY", ""),
        s3_secret_key=merged.get("SATUDATA_S3_SECRET_KEY", ""),
        s3_region=merged.get("SATUDATA_S3_REGION", "us-east-1"),
        s3_secure=merged.get("SATUDATA_S3_SECURE", "false").lower() in ("1", "true", "yes"),
        bucket_landing=merged.get("SATUDATA_BUCKET_LANDING", "landing"),
        bucket_lake=merged.get("SATUDATA_BUCKET_LAKE", "lake"),
        bucket_open=merged.get("SATUDATA_BUCKET_OPEN", "open"),
        s3_port=s3_port,
        datasets_dirs=tuple(Path(p).resolve() for p in dirs.split(os.pathsep) if p),
        reference_dir=Path(merged.get("SATUDATA_REFERENCE_DIR", PROJECT_ROOT / "dbt_project" / "seeds")),
        extra={k: v for k, v in merged.items() if k in ("SATUDATA_WAREHOUSE", "DAGSTER_HOME", "SATUDATA_CKAN_VENV")},
        pg_port=int(merged.get("SATUDATA_PG_PORT", "8432")),
        redis_port=int(merged.get("SATUDATA_REDIS_PORT", "8379")),
        ckan_port=ckan_port,
        ckan_url=merged.get("SATUDATA_CKAN_URL", f"http://127.0.0.1:{ckan_port}").rstrip("/"),
        ckan_api_token=merged.get("SATUDATA_CKAN_API_TOKEN", ""),
        board_port=int(merged.get("SATUDATA_BOARD_PORT", "8501")),
        pseudonym_key=merged.get("SATUDATA_PSEUDONYM_KEY", ""),
    )
