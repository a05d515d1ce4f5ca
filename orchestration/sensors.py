"""Sensors that notice new landing files and run only the bronze assets they belong to."""


import hashlib

from dagster import AssetKey, DefaultSensorStatus, RunRequest, SensorDefinition, SensorEvaluationContext, SkipReason, sensor

from ingest import ledger
from orchestration.resources import SatuDataResource
from satudata.contracts import Dataset
from satudata.dbt import bronze_asset_key


def landing_sensor(domain: str, datasets: list[Dataset], job_name: str,
                   asset_keys: dict[str, list[AssetKey]] | None = None) -> SensorDefinition:
    """One sensor per domain: pending deliveries (landing files with no ledger entry) → a run.

    The run key is a hash of the pending keys, so the same set of new files never starts two runs,
    while a file that arrives later produces a new key and a new run. ``asset_keys`` maps a landing
    prefix to the assets to run for it when they are not the dataset's own bronze asset (FHIR feeds).
    """

    @sensor(
        name=f"berkas_baru_{domain}",
        job_name=job_name,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Memantau bucket landing untuk berkas baru domain {domain} dan memuatnya.",
    )
    def _sensor(context: SensorEvaluationContext, satudata: SatuDataResource):
        settings = satudata.settings()
        pending = [(d, ledger.pending(settings, d)) for d in datasets]
        pending = [(d, keys) for d, keys in pending if keys]
        if not pending:
            return SkipReason("Tidak ada berkas baru di landing.")
        all_keys = sorted(k for _, keys in pending for k in keys)
        run_key = hashlib.sha256("\n".join(all_keys).encode()).hexdigest()[:16]
        return RunRequest(
            run_key=run_key,
            asset_selection=sorted(
                {k for d, _ in pending for k in (asset_keys or {}).get(d.landing_prefix, [AssetKey(bronze_asset_key(d))])},
                key=lambda k: k.to_user_string(),
            ),
            tags={"satudata/berkas_baru": str(len(all_keys))},
        )

    return _sensor
