"""The period a delivery belongs to, read from its landing key before the file is opened.

Sensors and backfills need to know which partition (masa pajak, service day, statistical year) a
file feeds without downloading it. The landing contract gives two clues: the delivery date folder
(``<source>/<dataset>/<YYYY-MM-DD>/<file>``) and the period that source systems put in their export
names (``pembayaran_pbb_2025-03.csv``, ``penduduk_kelurahan_2025.xlsx``). The name wins when it
carries a period of the dataset's grain; otherwise a monthly or yearly delivery is taken to state
the period before the one it was delivered in (the tax close: March arrives in early April), and
a daily feed (SIMRS) is the day it was delivered. Ingest still reads the real period from the
rows; when it differs, the ledger says so and the rows go where they belong.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_](0[1-9]|1[0-2])(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def delivery_date(landing_key: str) -> dt.date | None:
    """The ``YYYY-MM-DD`` folder of a landing key, if the key follows the landing layout."""
    for part in PurePosixPath(landing_key).parts[:-1]:
        if _DAY.match(part):
            try:
                return dt.date.fromisoformat(part)
            except ValueError:
                return None
    return None


def previous_period(day: dt.date, grain: str) -> str:
    """The period before the one ``day`` falls in (yesterday, last month, last year)."""
    if grain == "day":
        return (day - dt.timedelta(days=1)).isoformat()
    if grain == "year":
        return str(day.year - 1)
    first = day.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def delivery_period(landing_key: str, grain: str, received: dt.date | None = None) -> str:
    """The partition key (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) a delivery feeds.

    ``received`` (the object's upload date) stands in for a missing delivery-date folder.
    """
    delivered = delivery_date(landing_key) or received or dt.date.today()
    name = PurePosixPath(landing_key).name
    if grain == "day":
        return delivered.isoformat()
    if grain == "month":
        months = [f"{y}-{m}" for y, m in _MONTH.findall(name)]
        return months[-1] if months else previous_period(delivered, "month")
    if grain == "year":
        # A name may span years ("2021_2025", "ta_2025_2026"): the latest year already begun.
        years = [int(y) for y in _YEAR.findall(name) if int(y) <= delivered.year]
        return str(max(years)) if years else previous_period(delivered, "year")
    raise ValueError(f"grain tidak dikenal: {grain}")
