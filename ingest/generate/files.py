"""Writing generated deliveries byte-for-byte reproducibly, in the formats source systems export.

Every writer here produces identical bytes for identical input: no wall-clock time leaks into
file contents or archive metadata, so a generated landing set can be checked by hash.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import polars as pl
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter


@dataclass(frozen=True)
class GeneratedFile:
    """One delivered file: where it lands, what it holds, and what the ingest should make of it.

    ``key`` is relative to the output directory and doubles as the landing object key
    (``<source>/<dataset>/<YYYY-MM-DD>/<file>``). ``defect_rows`` counts rows planted to fail
    row-level checks; a ``bad_file`` is rejected whole, so its rows are not counted as defects; a
    ``selisih_rekap`` file loads but lost rows its source's recap counts (its defects are not counted).
    """

    key: str
    dataset: str
    rows: int
    defect_rows: int
    kind: Literal["normal", "bad_file", "selisih_rekap"] = "normal"


def write_csv(path: Path, frames: Iterable[pl.DataFrame]) -> int:
    """Write frames as one ``;``-separated, decimal-comma CSV (the SISMIOP/e-retribusi export style).

    Frames are appended one after another so a large file never has to exist as one frame.
    Returns the number of data rows written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with path.open("wb") as out:
        for number, frame in enumerate(frames):
            frame.write_csv(
                out,
                include_header=number == 0,
                separator=";",
                decimal_comma=True,
                float_precision=2,
            )
            rows += frame.height
    return rows


def write_jsonl(path: Path, frames: Iterable[pl.DataFrame]) -> int:
    """Write frames as JSON lines (the payment-gateway export style); returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with path.open("wb") as out:
        for frame in frames:
            frame.write_ndjson(out)
            rows += frame.height
    return rows


def xlsx_bytes(sheet: str, rows: Iterable[Sequence[object]], stamp: datetime, merges: Sequence[str] = ()) -> bytes:
    """An XLSX workbook with one sheet, reproducible to the byte.

    openpyxl's ``save`` stamps the current time into ``docProps/core.xml`` and every zip entry, so
    the workbook is written through ``ExcelWriter`` (which keeps our document properties) and the
    archive is then re-packed with ``stamp`` as every entry's time. ``merges`` are cell ranges such
    as ``"C6:D6"`` merged after the rows are written (as OPD staff merge headings and totals).
    """
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    for cells in merges:
        worksheet.merge_cells(cells)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    buffer = io.BytesIO()
    ExcelWriter(workbook, ZipFile(buffer, "w", ZIP_DEFLATED)).save()
    return _restamp_zip(buffer.getvalue(), stamp)


def _restamp_zip(data: bytes, stamp: datetime) -> bytes:
    """Re-pack a zip archive with one fixed timestamp on every entry, keeping entry order."""
    out = io.BytesIO()
    with ZipFile(io.BytesIO(data)) as source, ZipFile(out, "w", ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = ZipInfo(entry.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = ZIP_DEFLATED
            target.writestr(info, source.read(entry))
    return out.getvalue()
