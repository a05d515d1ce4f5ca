"""Readers that stream a delivered file into Arrow batches of raw text, one per format.

Every reader yields :class:`RawBatch` objects whose columns are the declared *delivered* headers
(``Column.source``) as strings, plus ``_baris``: the row's line (CSV/JSONL) or sheet row (XLSX)
number in the file, so that every reject can name its row. Rows that cannot even be split into
columns are returned as :class:`MalformedRow` instead. A file that cannot be read at all raises
:class:`FileRejected` with a message for the OPD/steward; nothing is written in that case.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from satudata.contracts import Dataset

ROW_COLUMN = "_baris"
BATCH_ROWS = 200_000


class FileRejected(Exception):
    """The whole file is unreadable (format, encoding, header, truncation)."""


@dataclass(frozen=True)
class MalformedRow:
    line: int
    reason: str
    text: str


@dataclass
class RawBatch:
    table: pa.Table
    malformed: list[MalformedRow] = field(default_factory=list)


def _sniff(path: Path, expected: str) -> None:
    """Reject files whose first bytes show they are not text of the declared kind."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head:
        raise FileRejected("berkas kosong (0 byte)")
    if head.startswith(b"%PDF"):
        raise FileRejected(f"berkas adalah PDF, bukan {expected}")
    if head.startswith(b"PK\x03\x04") and expected != "XLSX":
        raise FileRejected(f"berkas adalah XLSX/ZIP, bukan {expected}; ekspor ulang sebagai {expected}")
    if expected == "XLSX":
        return
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4096]:
        raise FileRejected(
            "berkas berenkode UTF-16 (atau biner), bukan UTF-8; simpan ulang sebagai CSV UTF-8"
        )


def _check_utf8(path: Path) -> None:
    """Validate the whole file as UTF-8 in chunks, naming the line of the first bad byte."""
    decoder_line = 1
    with open(path, "rb") as fh:
        pending = b""
        while chunk := fh.read(1 << 22):
            data = pending + chunk
            try:
                data.decode("utf-8")
                pending = b""
            except UnicodeDecodeError as exc:
                if exc.end >= len(data) - 3 and exc.reason == "unexpected end of data":
                    pending = data[exc.start :]
                    data = data[: exc.start]
                else:
                    line = decoder_line + data[: exc.start].count(b"\n")
                    raise FileRejected(
                        f"bukan UTF-8 yang valid (baris {line}: byte {data[exc.start:exc.end]!r}); "
                        "simpan ulang sebagai UTF-8"
                    ) from None
            decoder_line += data.count(b"\n")
        if pending:
            raise FileRejected("bukan UTF-8 yang valid (berkas berakhir di tengah karakter)")


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return False
        fh.seek(-1, 2)
        return fh.read(1) in (b"\n", b"\r")


def _require_headers(dataset: Dataset, present: list[str], where: str) -> None:
    wanted = [c.source for c in dataset.delivered_columns]
    missing = [h for h in wanted if h not in present]
    if missing:
        raise FileRejected(
            f"{where}: kolom {', '.join(missing)} tidak ada; kolom yang ditemukan: "
            f"{', '.join(present) or '(tidak ada)'}"
        )


def _string_table(columns: dict[str, list[str | None]], rows: list[int], names: list[str]) -> pa.Table:
    arrays = {name: pa.array(columns[name], type=pa.string()) for name in names}
    arrays[ROW_COLUMN] = pa.array(rows, type=pa.int64())
    return pa.table(arrays)


def read_csv(path: Path, dataset: Dataset) -> Iterator[RawBatch]:
    """Stream a delimited file with pyarrow; wrong column counts become malformed rows."""
    _sniff(path, "CSV")
    _check_utf8(path)
    fmt = dataset.format
    with open(path, encoding="utf-8-sig") as fh:
        header = [h.strip() for h in fh.readline().rstrip("\r\n").split(fmt.delimiter)]
    _require_headers(dataset, header, "baris 1 (header)")
    truncated = not _ends_with_newline(path)
    bad: list[MalformedRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(
            MalformedRow(
                line=row.number if row.number is not None else -1,
                reason=f"baris memiliki {row.actual_columns} kolom, seharusnya {row.expected_columns}",
                text=row.text,
            )
        )
        return "skip"

    names = [c.source for c in dataset.delivered_columns]
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=16 << 20, encoding="utf8"),
        parse_options=pacsv.ParseOptions(
            delimiter=fmt.delimiter, invalid_row_handler=on_invalid, newlines_in_values=False
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={h: pa.string() for h in header},
            include_columns=names,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    next_line = 2  # physical line of the next data row; line 1 is the header
    reported = 0
    skipped: set[int] = set()
    for batch in reader:
        skipped.update(b.line for b in bad[reported:])
        n = batch.num_rows
        lines = _assign_lines(next_line, n, skipped)
        next_line = int(lines[-1]) + 1 if n else next_line
        new_bad = [b for b in bad[reported:] if b.line < next_line]
        reported += len(new_bad)
        table = pa.Table.from_batches([batch]).append_column(ROW_COLUMN, pa.array(lines, pa.int64()))
        yield RawBatch(table.select(names + [ROW_COLUMN]), new_bad)
    rest = bad[reported:]
    if truncated and (rest or bad) and (rest or bad)[-1].line >= next_line - 1:
        last = (rest or bad)[-1]
        raise FileRejected(
            f"berkas terpotong: baris terakhir ({last.line}) tidak lengkap dan tidak diakhiri "
            "baris baru; kirim ulang berkas yang lengkap"
        )
    if rest:
        yield RawBatch(_string_table({n: [] for n in names}, [], names), rest)


def _assign_lines(start: int, n: int, skipped: set[int]) -> np.ndarray:
    """Physical line numbers of ``n`` parsed rows starting at ``start``, skipping rejected lines."""
    if n == 0:
        return np.empty(0, dtype=np.int64)
    in_range = sorted(s for s in skipped if s >= start)
    candidates = np.arange(start, start + n + len(in_range), dtype=np.int64)
    if in_range:
        candidates = candidates[~np.isin(candidates, np.array(in_range, dtype=np.int64))]
    return candidates[:n]


def read_jsonl(path: Path, dataset: Dataset) -> Iterator[RawBatch]:
    """Stream JSON lines one record at a time; invalid lines become malformed rows."""
    _sniff(path, "JSON lines")
    _check_utf8(path)
    names = [c.source for c in dataset.delivered_columns]
    truncated = not _ends_with_newline(path)
    seen_keys: set[str] = set()
    good_lines = 0
    columns: dict[str, list[str | None]] = {n: [] for n in names}
    rows: list[int] = []
    malformed: list[MalformedRow] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                is_last_partial = truncated and not line.endswith("\n")
                if is_last_partial:
                    raise FileRejected(
                        f"berkas terpotong: baris terakhir ({number}) bukan JSON lengkap; "
                        "kirim ulang berkas yang lengkap"
                    ) from None
                malformed.append(MalformedRow(number, f"JSON tidak valid: {exc.msg} (kolom {exc.colno})", text[:500]))
                continue
            if not isinstance(record, dict):
                malformed.append(MalformedRow(number, "baris JSON bukan objek", text[:500]))
                continue
            good_lines += 1
            seen_keys.update(record)
            for name in names:
                columns[name].append(_to_text(record.get(name)))
            rows.append(number)
            if len(rows) >= BATCH_ROWS:
                yield RawBatch(_string_table(columns, rows, names), malformed)
                columns = {n: [] for n in names}
                rows, malformed = [], []
    if good_lines == 0 and malformed:
        raise FileRejected(f"bukan JSON lines: tidak ada satu baris pun yang berupa objek JSON ({malformed[0].reason})")
    if good_lines:
        _require_headers(dataset, [n for n in names if n in seen_keys], "kunci JSON")
    yield RawBatch(_string_table(columns, rows, names), malformed)


def _to_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def read_xlsx(path: Path, dataset: Dataset) -> Iterator[RawBatch]:
    """Stream an XLSX sheet row by row (openpyxl read-only), header on the declared row."""
    import openpyxl  # imported here: only XLSX deliveries pay its import cost

    _sniff(path, "XLSX")
    if not zipfile.is_zipfile(path):
        raise FileRejected("bukan berkas XLSX yang valid (bukan arsip ZIP/Office Open XML)")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any openpyxl failure means an unreadable workbook
        raise FileRejected(f"XLSX tidak dapat dibuka: {exc}") from None
    try:
        fmt = dataset.format
        sheet_name = fmt.sheet or workbook.sheetnames[0]
        if sheet_name not in workbook.sheetnames:
            raise FileRejected(
                f"sheet '{sheet_name}' tidak ada; sheet yang ada: {', '.join(workbook.sheetnames)}"
            )
        sheet = workbook[sheet_name]
        names = [c.source for c in dataset.delivered_columns]
        positions: dict[str, int] = {}
        columns: dict[str, list[str | None]] = {n: [] for n in names}
        rows: list[int] = []
        total_row = re.compile(fmt.total_row, re.IGNORECASE) if fmt.total_row else None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number < fmt.header_row:
                continue
            if total_row and number > fmt.header_row and any(
                isinstance(v, str) and total_row.search(v.strip()) for v in values
            ):
                break  # the total row ends the table; below it come notes and signatures
            if number == fmt.header_row:
                header = [str(v).strip() if v is not None else "" for v in values]
                _require_headers(dataset, [h for h in header if h], f"sheet '{sheet_name}' baris {number} (header)")
                positions = {h: header.index(h) for h in names}
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            for name in names:
                pos = positions[name]
                columns[name].append(_cell_text(values[pos]) if pos < len(values) else None)
            rows.append(number)
        if not positions:
            raise FileRejected(f"sheet '{sheet_name}' tidak memiliki baris header ke-{fmt.header_row}")
        yield RawBatch(_string_table(columns, rows, names))
    finally:
        workbook.close()


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if not isinstance(value, str) else value


READERS = {"csv": read_csv, "jsonl": read_jsonl, "xlsx": read_xlsx}


def read_file(path: Path, dataset: Dataset) -> Iterator[RawBatch]:
    """Dispatch on the declared format; a period declared from the file name becomes a column."""
    batches = READERS[dataset.format.type](path, dataset)
    if not dataset.period.filename:
        return batches
    match = re.search(dataset.period.filename, path.name, re.IGNORECASE)
    if match is None:
        raise FileRejected(
            f"nama berkas '{path.name}' tidak memuat periode (pola {dataset.period.filename}); "
            "kirim ulang dengan nama berkas sesuai kesepakatan"
        )
    source = dataset.column(dataset.period.column).source
    return (
        RawBatch(b.table.append_column(source, pa.array([match.group(1)] * b.table.num_rows, pa.string())), b.malformed)
        for b in batches
    )
