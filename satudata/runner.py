"""Run a Dagster job headless, recorded in the local instance so stewards see it in the UI."""

from __future__ import annotations

import os
from typing import Any

from satudata.instance import ensure_dagster_home
from satudata.settings import Settings


def _summary(metadata: dict[str, Any]) -> str:
    def val(key: str) -> Any:
        entry = metadata.get(key)
        return getattr(entry, "value", entry)

    if "berkas_dimuat" in metadata:
        parts = [f"{val('berkas_dimuat')} berkas dimuat"]
        if val("berkas_ditolak"):
            parts.append(f"{val('berkas_ditolak')} ditolak")
        if val("berkas_duplikat"):
            parts.append(f"{val('berkas_duplikat')} duplikat")
        parts.append(f"{val('baris_dimuat'):,} baris, {val('baris_karantina'):,} karantina")
        return "; ".join(parts)
    if "tabel" in metadata:
        return f"{len(val('tabel'))} tabel"
    return "dibangun"


def run_job(settings: Settings, job_name: str) -> dict[str, Any]:
    """Execute ``job_name`` in-process against the instance in ``DAGSTER_HOME``; summarise it."""
    ensure_dagster_home(settings)
    os.environ["SATUDATA_HOME"] = str(settings.home)
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def(job_name)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        assets: dict[str, str] = {}
        checks: list[dict[str, Any]] = []
        error = None
        for event in result.all_events:
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                mat = event.event_specific_data.materialization
                assets[mat.asset_key.to_user_string()] = _summary(dict(mat.metadata))
            elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                ev = event.event_specific_data
                checks.append(
                    {
                        "asset": ev.asset_key.to_user_string(),
                        "check": ev.check_name,
                        "passed": ev.passed,
                        "severity": ev.severity.value,
                    }
                )
            elif event.event_type == DagsterEventType.STEP_FAILURE and error is None:
                error = f"{event.step_key}: {event.event_specific_data.error.message.strip().splitlines()[0]}"
        return {"job": job_name, "success": result.success, "assets": assets, "checks": checks, "error": error, "run_id": result.run_id}
