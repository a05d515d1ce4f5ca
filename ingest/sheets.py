"""Read statistical tables as OPD staff deliver them (XLSX or CSV) into long raw rows.

An OPD table is a grid: a title block, one or more header rows (upper headings merged across the
columns they cover), one row per region, often a units row ``(1) (2) (3)``, a total row and notes.
:func:`read_table` finds the declared columns by their header *path* (headings top to bottom,
merged cells filled from their top-left cell), then emits one raw text row per (sheet row × value
column) — the long shape — with where it came from (file, sheet, row, column letter and heading),
so that every later message can name the cell. Typing, region matching and total checks happen in
DuckDB (:mod:`ingest.statistik`); this module only reads.

A declared column that cannot be found, or is found twice, rejects the whole file
(:class:`~ingest.readers.FileRejected`) with the headings that *were* found, because guessing
which column holds what would load wrong numbers under the right names.
"""

from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from ingest.readers import ROW_COLUMN, FileRejected, _sniff
from satudata.contracts import YEAR_SLOT, Dataset, SheetLayout, ValueColumn

RAW_COLUMNS = ("lokasi", "kolom_wilayah", "kolom", "wilayah", "indikator", "rincian", "periode", "nilai")
YEAR_HEADING = re.compile(r"^(?:tahun\s*)?((?:19|20)\d{2})$")
UNITS_ROW_CELL = re.compile(r"^\(\s*\d+\s*\)$")
NOTE_ROW = re.compile(r"^(sumber|keterangan|catatan|ket\s*[.:]|\*|note)", re.IGNORECASE)
MAX_HINT_ROWS = 40  # how far down the sheet to look for a heading that moved


@dataclass
class Grid:
    """A sheet (or CSV) as text cells, merged cells filled; ``rows[0]`` is sheet row 1."""

    file: str
    sheet: str | None
    rows: list[list[str | None]]

    def where(self, row: int) -> str:
        sheet = f", sheet '{self.sheet}'" if self.sheet else ""
        return f"berkas {self.file}{sheet}, baris {row}"

    def cell(self, row: int, col: int) -> str | None:
        cells = self.rows[row - 1] if 0 < row <= len(self.rows) else []
        return cells[col] if col < len(cells) else None


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (as a spreadsheet user sees the column, also for CSV)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _norm(text: str | None) -> str:
    return " ".join(str(text).split()).casefold() if text is not None else ""


def _cell_text(value: object, decimal: str) -> str | None:
    """A cell as text; numeric cells in the declared decimal notation without thousands marks."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = format(Decimal(repr(value)), "f")
        return text.replace(".", decimal)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


# --------------------------------------------------------------------------- grids
def read_grid(path: Path, dataset: Dataset) -> Grid:
    """The delivered file as a grid of text cells (XLSX: the declared sheet, merges filled)."""
    if dataset.format.type == "xlsx":
        return _xlsx_grid(path, dataset)
    return _csv_grid(path, dataset)


def _xlsx_grid(path: Path, dataset: Dataset) -> Grid:
    import openpyxl  # only spreadsheet deliveries pay its import cost

    _sniff(path, "XLSX")
    if not zipfile.is_zipfile(path):
        raise FileRejected("bukan berkas XLSX yang valid (bukan arsip ZIP/Office Open XML)")
    try:
        # Not read-only: merged cell ranges are only available on a fully loaded sheet (OPD sheets are small).
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any openpyxl failure means an unreadable workbook
        raise FileRejected(f"XLSX tidak dapat dibuka: {exc}") from None
    try:
        name = dataset.format.sheet or workbook.sheetnames[0]
        if name not in workbook.sheetnames:
            raise FileRejected(f"sheet '{name}' tidak ada; sheet yang ada: {', '.join(workbook.sheetnames)}")
        sheet = workbook[name]
        decimal = dataset.format.decimal
        rows = [[_cell_text(v, decimal) for v in values] for values in sheet.iter_rows(values_only=True)]
        for merged in sheet.merged_cells.ranges:
            top_left = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
            for r in range(merged.min_row, min(merged.max_row, len(rows)) + 1):
                row = rows[r - 1]
                row.extend([None] * (merged.max_col - len(row)))
                for c in range(merged.min_col, merged.max_col + 1):
                    row[c - 1] = top_left
        return Grid(path.name, name, rows)
    finally:
        workbook.close()


def _csv_grid(path: Path, dataset: Dataset) -> Grid:
    _sniff(path, "CSV")
    encoding = dataset.format.encoding.lower()
    encoding = "utf-8-sig" if encoding in ("utf-8", "utf8") else encoding
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        with open(path, "rb") as fh:
            line = fh.read()[: exc.start].count(b"\n") + 1
        raise FileRejected(
            f"bukan {dataset.format.encoding} yang valid (baris {line}); simpan ulang sebagai CSV {dataset.format.encoding}"
        ) from None
    reader = csv.reader(text.splitlines(), delimiter=dataset.format.delimiter)
    rows = [[cell if cell.strip() else None for cell in row] for row in reader]
    return Grid(path.name, None, rows)


# --------------------------------------------------------------------------- headers
@dataclass(frozen=True)
class HeaderColumn:
    index: int
    path: tuple[str, ...]  # normalised headings, top to bottom
    label: str  # as shown to people: "D (Jenis Kelamin / Laki-laki)"


def header_columns(grid: Grid, layout: SheetLayout) -> list[HeaderColumn]:
    """Every column that has a heading, with its heading path.

    Merged cells are already filled (XLSX). A CSV cannot say that a heading was merged, so an
    empty upper heading is filled from the left when a lower heading sits below it — which is how
    a merged heading looks once Excel has saved the sheet as CSV.
    """
    header = [list(grid.rows[r - 1]) if r <= len(grid.rows) else [] for r in layout.header_rows]
    width = max((len(r) for r in header), default=0)
    for row in header:
        row.extend([None] * (width - len(row)))
    for level in range(len(header) - 1):
        row = header[level]
        for col in range(1, width):
            below = any(header[lower][col] for lower in range(level + 1, len(header)))
            if row[col] is None and below and row[col - 1] is not None:
                row[col] = row[col - 1]
    columns = []
    for col in range(width):
        texts: list[str] = []
        for row in header:
            text = " ".join(str(row[col]).split()) if row[col] is not None else ""
            if text and (not texts or _norm(texts[-1]) != _norm(text)):
                texts.append(text)
        if texts:
            columns.append(HeaderColumn(col, tuple(_norm(t) for t in texts), f"{column_letter(col)} ({' / '.join(texts)})"))
    return columns


def _matches(declared: tuple[str, ...], path: tuple[str, ...]) -> str | None:
    """'' (or the year for a {tahun} slot) when ``declared`` is a suffix of ``path``; else None."""
    if len(declared) > len(path):
        return None
    year = ""
    for want, have in zip(declared, path[len(path) - len(declared):]):
        if want == YEAR_SLOT:
            found = YEAR_HEADING.match(have)
            if not found:
                return None
            year = found.group(1)
        elif _norm(want) != have:
            return None
    return year


@dataclass(frozen=True)
class BoundColumn:
    column: HeaderColumn
    spec: ValueColumn
    year: str  # '' unless the spec has a {tahun} slot


def _describe(columns: list[HeaderColumn]) -> str:
    return "; ".join(c.label for c in columns) or "(tidak ada judul kolom)"


def bind_columns(grid: Grid, layout: SheetLayout) -> tuple[HeaderColumn, list[BoundColumn]]:
    """The region column and every value column, or :class:`FileRejected` naming what is wrong."""
    columns = header_columns(grid, layout)
    first, last = layout.header_rows[0], layout.header_rows[-1]
    rows_text = f"baris {first}" if first == last else f"baris {first}–{last}"
    where = f"{grid.where(first).rsplit(', baris', 1)[0]}, {rows_text} (judul kolom)"

    def missing(declared: tuple[str, ...], what: str) -> FileRejected:
        hint = _moved_hint(grid, layout, declared)
        return FileRejected(
            f"{where}: kolom {what} '{' / '.join(declared)}' tidak ditemukan{hint}; kolom yang ada: {_describe(columns)}"
        )

    region = [c for c in columns if _matches(layout.region.header, c.path) is not None]
    if not region:
        raise missing(layout.region.header, "wilayah")
    if len(region) > 1:
        raise FileRejected(f"{where}: kolom wilayah '{' / '.join(layout.region.header)}' muncul lebih dari sekali: {_describe(region)}")
    bound: list[BoundColumn] = []
    for spec in layout.values:
        found = [(c, _matches(spec.header, c.path)) for c in columns if c.index != region[0].index]
        found = [(c, y) for c, y in found if y is not None]
        if not found:
            raise missing(spec.header, "nilai")
        if spec.year_level is None and len(found) > 1:
            raise FileRejected(
                f"{where}: kolom '{' / '.join(spec.header)}' cocok dengan lebih dari satu kolom ({_describe([c for c, _ in found])}); "
                "tulis judul kolom bertingkat lengkap di deklarasi"
            )
        bound.extend(BoundColumn(c, spec, y) for c, y in found)
    seen: dict[int, BoundColumn] = {}
    for b in bound:
        if b.column.index in seen:
            raise FileRejected(f"{where}: kolom {b.column.label} cocok dengan dua deklarasi nilai; perjelas judul kolomnya")
        seen[b.column.index] = b
    return region[0], sorted(bound, key=lambda b: b.column.index)


def _moved_hint(grid: Grid, layout: SheetLayout, declared: tuple[str, ...]) -> str:
    """Where a heading is, if it sits on another row (a row inserted above the table is common)."""
    wanted = [_norm(h) for h in declared if h != YEAR_SLOT]
    if not wanted:
        return ""
    for number in range(1, min(len(grid.rows), MAX_HINT_ROWS) + 1):
        if number in layout.header_rows:
            continue
        for col, value in enumerate(grid.rows[number - 1]):
            if _norm(value) == wanted[-1]:
                return (
                    f" di baris {', '.join(map(str, layout.header_rows))} (judul '{' / '.join(declared)}' ada di baris "
                    f"{number} kolom {column_letter(col)}: apakah ada baris yang disisipkan atau dihapus di atas tabel?)"
                )
    return ""


# --------------------------------------------------------------------------- period
def title_period(grid: Grid, dataset: Dataset) -> str | None:
    """The year of a single-period table, from the title block or the file name."""
    layout = dataset.layout
    assert layout is not None
    if layout.period_title:
        pattern = re.compile(layout.period_title, re.IGNORECASE)
        title_rows = grid.rows[: layout.header_rows[0] - 1]
        for row in title_rows:
            text = " ".join(" ".join(str(c).split()) for c in row if c is not None)
            found = pattern.search(text)
            if found:
                return found.group(1)
    if layout.period_filename:
        found = re.search(layout.period_filename, grid.file, re.IGNORECASE)
        if found:
            return found.group(1)
    return None


# --------------------------------------------------------------------------- rows
def read_table(path: Path, dataset: Dataset) -> pa.Table:
    """The delivered table as long raw rows (:data:`RAW_COLUMNS` as text, plus ``_baris``)."""
    layout = dataset.layout
    if layout is None:
        raise ValueError(f"{dataset.name} has no table layout")
    grid = read_grid(path, dataset)
    if len(grid.rows) < layout.header_rows[-1]:
        raise FileRejected(
            f"{grid.where(layout.header_rows[0]).rsplit(', baris', 1)[0]}: lembar hanya {len(grid.rows)} baris, "
            f"judul kolom seharusnya di baris {', '.join(map(str, layout.header_rows))}"
        )
    region, bound = bind_columns(grid, layout)
    period = None
    if any(b.year == "" for b in bound):
        period = title_period(grid, dataset)
        if period is None:
            sources = []
            if layout.period_title:
                sources.append(f"judul tabel (baris 1–{layout.header_rows[0] - 1}) dengan pola '{layout.period_title}'")
            if layout.period_filename:
                sources.append(f"nama berkas dengan pola '{layout.period_filename}'")
            raise FileRejected(
                f"{grid.where(1).rsplit(', baris', 1)[0]}: tahun data tidak ditemukan di {' maupun '.join(sources)}"
            )
    total_row = re.compile(layout.total_row, re.IGNORECASE)
    out: dict[str, list] = {name: [] for name in RAW_COLUMNS}
    out[ROW_COLUMN] = []
    skip = set(layout.skip_rows)
    for number in range(layout.header_rows[-1] + 1, len(grid.rows) + 1):
        if number in skip:
            continue
        cells = grid.rows[number - 1]
        filled = [c for c in cells if c is not None and str(c).strip()]
        if not filled or all(UNITS_ROW_CELL.match(str(c).strip()) for c in filled):
            continue  # blank line or the column-number row under the headings
        name = grid.cell(number, region.index)
        name = name if name is not None and str(name).strip() else None
        if name is None:
            # "Jumlah" merged across No and the region column keeps its text in the left cell only
            # once saved as CSV: take it from there.
            left = (grid.cell(number, c) for c in range(region.index))
            name = next((t for t in left if t and total_row.search(t.strip())), None)
        values = [grid.cell(number, b.column.index) for b in bound]
        no_values = all(v is None or not str(v).strip() for v in values)
        if no_values and (name is None or NOTE_ROW.match(name.strip())):
            continue  # notes under the table ("Sumber: …") or a stray label
        for b, value in zip(bound, values):
            out["lokasi"].append(grid.where(number))
            out["kolom_wilayah"].append(region.label)
            out["kolom"].append(b.column.label)
            out["wilayah"].append(name)
            out["indikator"].append(b.spec.indicator)
            out["rincian"].append(b.spec.breakdown_text)
            out["periode"].append(b.year or period)
            out["nilai"].append(value)
            out[ROW_COLUMN].append(number)
    arrays = {name: pa.array(out[name], pa.string()) for name in RAW_COLUMNS}
    arrays[ROW_COLUMN] = pa.array(out[ROW_COLUMN], pa.int64())
    return pa.table(arrays)
