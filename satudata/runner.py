"""Run the platform headless, recorded in the local instance so stewards see every run in the UI.

Bronze assets are partitioned by period and a Dagster run covers one partition, so a headless
"load everything new" is a plan of runs: one per (feed, partition) with new landing files, then
one run of the unpartitioned assets downstream (marts, audit ledger, warehouse, portal). The names
stewards know from the CLI (``satudata_lengkap``, ``muat_data_<domain>``) are such plans; any job
defined in Dagster (``bangun_mart``, ``terbitkan_ke_portal``) runs as itself. A backfill reloads a
range of partitions and rebuilds what is downstream of them, and nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from satudata.instance import ensure_dagster_home
from satudata.settings import Settings

# CLI names of the load plans: None = every domain.
PLANS = {
    "satudata_lengkap": None,
    "muat_data_pajak": "pajak",
    "muat_data_opd": "opd",
    "muat_data_kesehatan": "kesehatan",
}


class RunPlanError(ValueError):
    """A job or partition range the platform does not have; the message lists what it has."""


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


class _Runs:
    """Executes runs in-process against the instance in ``DAGSTER_HOME`` and merges their outcome."""

    def __init__(self, settings: Settings, name: str) -> None:
        ensure_dagster_home(settings)
        os.environ["SATUDATA_HOME"] = str(settings.home)
        from dagster import DagsterInstance

        from orchestration import definitions

        self.definitions = definitions
        self.instance = DagsterInstance.get()
        self.summary: dict[str, Any] = {"job": name, "success": True, "assets": {}, "checks": [], "error": None,
                                        "run_ids": [], "partitions": []}

    def execute(self, job_name: str | None, asset_keys: Iterable[Any] | None = None, partition: str | None = None,
                tags: dict[str, str] | None = None) -> None:
        from dagster import DagsterEventType

        defs = self.definitions.defs
        job = defs.resolve_job_def(job_name) if job_name else defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(
            instance=self.instance,
            raise_on_error=False,
            partition_key=partition,
            asset_selection=sorted(asset_keys, key=lambda k: k.to_user_string()) if asset_keys is not None else None,
            tags=tags,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        s = self.summary
        s["success"] = s["success"] and result.success
        s["run_ids"].append(result.run_id)
        if partition:
            s["partitions"].append(f"{job_name}:{partition}")
        for event in result.all_events:
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                mat = event.event_specific_data.materialization
                label = mat.asset_key.to_user_string() + (f"[{mat.partition}]" if mat.partition else "")
                s["assets"][label] = _summary(dict(mat.metadata))
                if mat.partition:
                    s["assets"][mat.asset_key.to_user_string()] = s["assets"][label]
            elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                ev = event.event_specific_data
                s["checks"].append({"asset": ev.asset_key.to_user_string(), "check": ev.check_name,
                                    "passed": ev.passed, "severity": ev.severity.value, "partition": partition})
            elif event.event_type == DagsterEventType.STEP_FAILURE and s["error"] is None:
                s["error"] = f"{event.step_key}: {event.event_specific_data.error.message.strip().splitlines()[0]}"

    def feeds_in_order(self) -> list[Any]:
        """Feeds whose bronze another feed's bronze reads (a recap behind a control total) first."""
        graph = self.definitions.defs.resolve_asset_graph()
        feeds = self.definitions.FEEDS
        read = {p for f in feeds for k in f.asset_keys for p in graph.get(k).parent_keys}
        return sorted(feeds, key=lambda f: not read & set(f.asset_keys))

    def downstream(self, roots: set[Any] | None, domain: str | None = None) -> None:
        """One run of the unpartitioned assets downstream of ``roots`` (or of a domain, or all)."""
        from dagster import AssetSelection

        graph = self.definitions.defs.resolve_asset_graph()
        if roots is not None:
            selection = AssetSelection.assets(*roots).downstream()
        elif domain is not None:
            selection = AssetSelection.groups(domain).materializable().downstream()
        else:
            selection = AssetSelection.all().materializable()
        keys = {k for k in selection.resolve(graph) if graph.get(k).is_materializable and not graph.get(k).partitions_def}
        if keys:
            self.execute(None, keys)

    def close(self) -> dict[str, Any]:
        self.instance.dispose()
        self.summary["run_id"] = self.summary["run_ids"][-1] if self.summary["run_ids"] else None
        return self.summary


def run_job(settings: Settings, job_name: str) -> dict[str, Any]:
    """Run a load plan (``satudata_lengkap``, ``muat_data_<domain>``) or a Dagster job; summarise it."""
    runs = _Runs(settings, job_name)
    try:
        if job_name in PLANS:
            domain = PLANS[job_name]
            for feed in runs.feeds_in_order():
                if domain is None or feed.domain == domain:
                    for partition in sorted(feed.pending(settings)):
                        runs.execute(feed.job_name, feed.asset_keys, partition)
            runs.downstream(None, domain)
        else:
            defs = runs.definitions.defs
            names = sorted({j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")} | set(PLANS))
            if job_name not in names:
                raise RunPlanError(f"job '{job_name}' tidak ada; pilih salah satu: {', '.join(names)}")
            job = defs.resolve_job_def(job_name)
            if job.partitions_def is not None:
                raise RunPlanError(f"job '{job_name}' berpartisi; gunakan 'satudata backfill {job_name} --dari … --sampai …'")
            runs.execute(job_name)
    finally:
        summary = runs.close()
    return summary


def backfill(settings: Settings, job_name: str, start: str, end: str) -> dict[str, Any]:
    """Reload partitions ``start``..``end`` of a partitioned load job, then rebuild what is downstream."""
    from dagster import PartitionKeyRange

    from orchestration.bronze import RELOAD_TAG

    runs = _Runs(settings, f"backfill {job_name} {start}..{end}")
    try:
        feeds = [f for f in runs.definitions.FEEDS if f.job_name == job_name]
        if not feeds:
            names = sorted({f.job_name for f in runs.definitions.FEEDS})
            raise RunPlanError(f"job muat '{job_name}' tidak ada; pilih salah satu: {', '.join(names)}")
        partitions_def = runs.definitions.defs.resolve_job_def(job_name).partitions_def
        try:
            keys = partitions_def.get_partition_keys_in_range(PartitionKeyRange(start, end))
        except Exception as exc:  # noqa: BLE001 - dagster raises several kinds for a bad key
            raise RunPlanError(f"rentang partisi {start}..{end} tidak valid untuk {job_name}: {exc}") from None
        asset_keys = {k for f in feeds for k in f.asset_keys}
        for key in keys:
            runs.execute(job_name, asset_keys, key, tags={RELOAD_TAG: "true"})
        runs.downstream(asset_keys)
    finally:
        summary = runs.close()
    return summary
