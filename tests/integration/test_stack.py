"""The local stack: idempotent start, status, signed requests only, local credentials."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

from satudata import objectstore, stack


def test_up_is_idempotent_and_status_reports_urls(stack_settings):
    before = stack.status(stack_settings)
    after = stack.up(stack_settings)
    assert [r["pid"] for r in after] == [r["pid"] for r in before]
    assert all(r["running"] for r in after)
    assert after[0]["url"] == f"http://127.0.0.1:{stack_settings.s3_port}"


def test_status_json_from_the_cli(stack_settings):
    out = subprocess.run(
        [sys.executable, "-m", "satudata.cli", "stack", "status", "--json"], capture_output=True, text=True, check=True
    )
    rows = json.loads(out.stdout)
    assert rows[0]["service"] == "s3" and rows[0]["running"] is True


def test_buckets_exist_and_unsigned_requests_are_refused(stack_settings):
    names = {b.name for b in objectstore.client(stack_settings).list_buckets()}
    assert {"landing", "lake", "open"} <= names
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{stack_settings.s3_port}/landing", timeout=5)
        raise AssertionError("anonymous request was allowed")
    except urllib.error.HTTPError as exc:
        assert exc.code == 403


def test_credentials_are_generated_locally_and_private(stack_settings):
    env_file = stack_settings.stack_env_file
    assert env_file.stat().st_mode & 0o077 == 0
    text = env_file.read_text()
    assert stack_settings.s3_secret_key in text and len(stack_settings.s3_secret_key) >= 30
    ignored = subprocess.run(["git", "check-ignore", "-q", str(env_file)], cwd=env_file.parents[2])
    assert ignored.returncode == 0
