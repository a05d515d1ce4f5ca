"""Declarative automation: marts follow their bronze partitions without a schedule.

A bronze partition loaded by the sensor, a schedule or a backfill makes every model downstream of
it (and then the audit ledger and the analyst warehouse) due; nothing else is rebuilt. Dagster's
``eager()`` condition is not used because it waits while *any* upstream partition is missing, and
a monthly tax dataset always has months that were never delivered (before the platform started).
"""

from dagster import AssetSelection, AutomationCondition, AutomationConditionSensorDefinition, DefaultSensorStatus

SETELAH_HULU_DIPERBARUI = (
    AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("setelah hulu diperbarui")

# The declarations' metadata changes with the code, not with data: refresh it once a day.
HARIAN = AutomationCondition.on_cron("0 5 * * *", cron_timezone="Asia/Makassar")

mart_otomatis = AutomationConditionSensorDefinition(
    "mart_otomatis",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Bangun mart, buku besar audit dan warehouse analis setelah bronze yang menjadi hulunya dimuat.",
)
