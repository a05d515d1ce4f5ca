"""Per-domain load jobs (one per partition grain), the sensor that starts them for new files, and
the schedules that close a period."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition  # not re-exported

from ingest.periods import previous_period
from orchestration.partitions import GRAIN_LABEL, PARTITIONS, WITA, pending_partitions
from orchestration.resources import SatuDataResource
from satudata.contracts import Dataset
from satudata.dbt import bronze_asset_key
from satudata.settings import Settings


@dataclass(frozen=True)
class Feed:
    """Landing prefixes loaded by the same bronze assets, and the grain of their partitions.

    The FHIR feeds of the RSUD and the Puskesmas share one multi-asset: they are one feed, so a
    day's files of both never start two runs that would load the same files.
    """

    name: str
    domain: str
    datasets: tuple[Dataset, ...]
    grain: str
    asset_keys: tuple[AssetKey, ...]

    @classmethod
    def of(cls, dataset: Dataset) -> Feed:
        return cls(dataset.landing_prefix, dataset.domain, (dataset,), dataset.period.grain,
                   (AssetKey(bronze_asset_key(dataset)),))

    @property
    def job_name(self) -> str:
        return f"muat_{self.domain}_{GRAIN_LABEL[self.grain]}"

    def pending(self, settings: Settings) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for dataset in self.datasets:
            for partition, keys in pending_partitions(settings, dataset, self.grain).items():
                out.setdefault(partition, []).extend(keys)
        return out


def load_jobs(domain: str, feeds: list[Feed], description: str) -> dict[str, UnresolvedAssetJobDefinition]:
    """One partitioned job per grain of the domain, e.g. ``muat_pajak_bulanan`` (a job has one grain)."""
    jobs = {}
    for grain in sorted({f.grain for f in feeds}):
        keys = [k for f in feeds if f.grain == grain for k in f.asset_keys]
        jobs[grain] = define_asset_job(
            name=next(f.job_name for f in feeds if f.grain == grain),
            selection=AssetSelection.assets(*keys),
            description=f"{description} Partisi {GRAIN_LABEL[grain]}: satu run per periode; backfill memuat ulang periodenya.",
        )
    return jobs


def run_requests(settings: Settings, domain: str, feeds: list[Feed], jobs: dict[str, UnresolvedAssetJobDefinition]) -> Iterator[RunRequest]:
    """One run per (feed, partition) with new files; the run key makes the same files start one run only."""
    for feed in feeds:
        for partition, keys in sorted(feed.pending(settings).items()):
            digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
            yield RunRequest(
                run_key=f"{feed.name}:{partition}:{digest}",
                job_name=jobs[feed.grain].name,
                partition_key=partition,
                asset_selection=list(feed.asset_keys),
                # The instance queues runs of the same feed one at a time (satudata.instance).
                tags={"satudata/berkas_baru": str(len(keys)), "satudata/domain": domain, "satudata/muat": feed.name},
            )


def landing_sensor(domain: str, feeds: list[Feed], jobs: dict[str, UnresolvedAssetJobDefinition]) -> SensorDefinition:
    """One sensor per domain: new landing files → a run of exactly the partitions they feed.

    A late file for an old month requests that month only; its downstream marts follow through
    declarative automation (``orchestration.dbt``), so nothing else is rebuilt.
    """

    @sensor(
        name=f"berkas_baru_{domain}",
        jobs=list(jobs.values()),
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Memantau bucket landing untuk berkas baru domain {domain} dan memuat periode yang dikirimnya.",
    )
    def _sensor(context: SensorEvaluationContext, satudata: SatuDataResource):
        requests = list(run_requests(satudata.settings(), domain, feeds, jobs))
        if not requests:
            return SkipReason("Tidak ada berkas baru di landing.")
        return requests

    return _sensor


def closing_schedule(job: UnresolvedAssetJobDefinition, grain: str, name: str, cron: str, description: str) -> ScheduleDefinition:
    """At each tick (WITA), run the period that just closed: yesterday, last month or last year.

    Dagster's own partitioned-job schedules target the latest partition, which with ``end_offset=1``
    is the period still open; a close must load the one before it.
    """

    @schedule(name=name, job=job, cron_schedule=cron, execution_timezone=WITA, description=description)
    def _schedule(context: ScheduleEvaluationContext) -> RunRequest:
        day = context.scheduled_execution_time.astimezone(ZoneInfo(WITA)).date()
        partition = previous_period(day, grain)
        return RunRequest(run_key=f"{name}:{partition}", partition_key=partition)

    return _schedule
