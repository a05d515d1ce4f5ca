"""Time partitions that match how data arrives, and which of them new landing files feed.

Tax extracts arrive per masa pajak (monthly), SIMRS/SATUSEHAT deliveries per day, OPD statistics
per year: a bronze asset is partitioned by its declaration's period grain, in WITA. The partition
of a file comes from its landing key (``ingest.periods``), so a sensor can request exactly the
partitions new files feed and a steward can backfill a range from the UI or ``satudata backfill``.
The current period is included (``end_offset=1``): a preliminary delivery of this month is valid.
"""

from __future__ import annotations

from dagster import DailyPartitionsDefinition, MonthlyPartitionsDefinition, TimeWindowPartitionsDefinition

from ingest import ledger
from ingest.periods import delivery_period
from satudata.contracts import Dataset
from satudata.settings import Settings

WITA = "Asia/Makassar"

PARTITIONS: dict[str, TimeWindowPartitionsDefinition] = {
    "month": MonthlyPartitionsDefinition(start_date="2020-01", fmt="%Y-%m", timezone=WITA, end_offset=1),
    "day": DailyPartitionsDefinition(start_date="2024-01-01", timezone=WITA, end_offset=1),
    "year": TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", start="2015", fmt="%Y", timezone=WITA, end_offset=1),
}

# How a steward names each grain (job names, UI labels).
GRAIN_LABEL = {"month": "bulanan", "day": "harian", "year": "tahunan"}


def partition_key(landing_key: str, grain: str) -> str:
    """The partition a landing file feeds, kept inside the partitions that exist.

    A name or folder outside the range (a typo such as ``2205``, a file from before the platform's
    history) falls back to the delivery's own period so the file is still loaded and accounted for.
    """
    partitions = PARTITIONS[grain]
    key = delivery_period(landing_key, grain)
    # The keys' formats (YYYY, YYYY-MM, YYYY-MM-DD) sort as their periods do.
    return max(partitions.get_first_partition_key(), min(partitions.get_last_partition_key(), key))


def pending_partitions(settings: Settings, dataset: Dataset, grain: str) -> dict[str, list[str]]:
    """Landing files without a ledger entry, grouped by the partition they feed."""
    out: dict[str, list[str]] = {}
    for key in ledger.pending(settings, dataset):
        out.setdefault(partition_key(key, grain), []).append(key)
    return out


def deliveries_of(settings: Settings, dataset: Dataset, grain: str, partition: str, reload: bool) -> list[str]:
    """The landing files a run of ``partition`` processes: its pending ones, or all of them to reload."""
    keys = ledger.landed(settings, dataset) if reload else ledger.pending(settings, dataset)
    return [k for k in keys if partition_key(k, grain) == partition]
