"""Test configuration: the suite runs its own local stack, never the demo's.

The environment is pointed at ``.state/test`` (its own data folder, credentials and ports) before
any project module reads settings, so the Dagster definitions the tests load resolve to the test
stack as well.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Overridable so that two suites (e.g. two developers' work trees on one machine) never collide.
# Defaults sit below Linux's ephemeral port range (32768+) even for SeaweedFS's port+10000 gRPC
# listeners, so a client socket in TIME_WAIT can never keep the test stack from starting.
TEST_HOME = Path(os.environ.get("SATUDATA_TEST_HOME", ROOT / ".state" / "test"))
os.environ["SATUDATA_HOME"] = str(TEST_HOME)
os.environ["SATUDATA_S3_PORT"] = os.environ.get("SATUDATA_TEST_S3_PORT", "19333")
os.environ["SATUDATA_PG_PORT"] = os.environ.get("SATUDATA_TEST_PG_PORT", "19432")
os.environ["SATUDATA_REDIS_PORT"] = os.environ.get("SATUDATA_TEST_REDIS_PORT", "19379")
os.environ["SATUDATA_CKAN_PORT"] = os.environ.get("SATUDATA_TEST_CKAN_PORT", "19500")
os.environ["SATUDATA_BOARD_PORT"] = os.environ.get("SATUDATA_TEST_BOARD_PORT", "19501")
os.environ.pop("SATUDATA_CKAN_URL", None)
os.environ.pop("SATUDATA_WAREHOUSE", None)
os.environ.pop("SATUDATA_CKAN_API_TOKEN", None)
os.environ.pop("SATUDATA_S3_ENDPOINT", None)
os.environ.pop("SATUDATA_S3_ACCESS_KEY", None)
os.environ.pop("SATUDATA_S3_SECRET_KEY", None)
os.environ["DAGSTER_HOME"] = str(TEST_HOME / "dagster")
os.environ["DO_NOT_TRACK"] = "1"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"


@pytest.fixture(scope="session")
def stack_settings() -> Iterator["Settings"]:  # noqa: F821 - imported lazily
    """A fresh test stack for the session (own data dir and ports), stopped at the end."""
    from satudata import stack
    from satudata.instance import ensure_dagster_home
    from satudata.settings import get_settings

    settings = get_settings()
    stack.down(settings)
    shutil.rmtree(TEST_HOME, ignore_errors=True)
    settings = stack.ensure_credentials(get_settings())
    stack.up(settings)
    settings = get_settings()  # `up` recorded the portal's API token in stack.env
    ensure_dagster_home(settings)
    yield settings
    stack.down(settings)


@pytest.fixture(scope="session")
def tax_city(stack_settings) -> dict:
    """A small generated city-year of tax extracts, loaded once by the full job for the session."""
    from ingest.generate.landing import generate_to_landing
    from satudata.runner import run_job

    files = generate_to_landing(stack_settings, scale=0.05, seed=7, defect_rate=0.01, bad_files=True)
    result = run_job(stack_settings, "satudata_lengkap")
    return {"settings": stack_settings, "files": files, "result": result}
