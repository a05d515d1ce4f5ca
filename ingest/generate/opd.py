"""Synthetic OPD sectoral statistics, delivered the way OPD staff really send them.

Eight tables from eight OPDs (layouts declared in ``datasets/opd/*.yaml``): Disdukcapil population
by kelurahan and sex (with kecamatan subtotals), Dinas Pendidikan schools/pupils/teachers by level,
Dinas Perhubungan vehicles by type (CSV), DLH waste carried to the landfill over five years (wide
year columns), Dinas Sosial assistance beneficiaries (CSV), BPBD disaster events (mostly '-'),
Tata Pemerintahan land area per kelurahan (areas typed as text "12,35") and DKP capture fisheries
over five years (CSV, wide years).

Like real deliveries they carry a title block, merged headings, a units row, a total row,
Indonesian numbers (``1.234,5``), ``-`` for nihil and region names instead of codes, spelled every
way people write them ("Kec. Wolio", "WOLIO", "Wolio ", "Kel. Wale", "Lea Lea"). With a positive
``defect_rate`` three defects are planted — an unknown region 'Wolyo', a value typed with its unit
("1.234 KPM") and a total row that does not add up — and with ``bad_files`` two re-deliveries are
broken as a whole (a renamed heading, a title line inserted above the table).

:func:`expected_values` returns what the ingest should load (the clean cells, minus the planted
defects), so tests can reconcile the marts with what was delivered.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from ingest.generate.files import GeneratedFile, xlsx_bytes
from satudata.settings import get_settings

__all__ = ["GeneratedFile", "generate_opd", "expected_values"]

Progress = Callable[[str, int], None]
SOURCE = "opd"
UNKNOWN_NAME = "Wolyo"  # a typo of Wolio that no normalisation can rescue
WIDE_YEARS = 5

# Synthetic population shares and areas per kecamatan (two-digit Kemendagri code).
_KECAMATAN = {
    "01": (0.12, Decimal("27.89")),  # Betoambari
    "02": (0.24, Decimal("17.33")),  # Wolio
    "03": (0.05, Decimal("83.25")),  # Sorawolio
    "04": (0.06, Decimal("47.71")),  # Bungi
    "05": (0.12, Decimal("9.44")),  # Kokalukuna
    "06": (0.14, Decimal("4.90")),  # Murhum
    "07": (0.05, Decimal("58.96")),  # Lea-Lea
    "08": (0.22, Decimal("1.55")),  # Batupoaro
}
_POPULATION_2025 = 171_000
_COASTAL = {"01": 1.0, "02": 0.6, "03": 0.0, "04": 0.5, "05": 1.4, "06": 0.8, "07": 1.2, "08": 0.9}


@dataclass(frozen=True)
class _Region:
    kode: str
    nama: str  # as in the Kemendagri seed (upper case)
    induk: str
    tingkat: str

    @property
    def kec(self) -> str:
        return self.kode.split(".")[2]


@dataclass(frozen=True)
class _Column:
    top: str | None
    heading: str
    indikator: str
    rincian: str = ""
    tahun: int | None = None


@dataclass
class _Table:
    """One delivered table before formatting: region rows, aggregate rows, values per column."""

    dataset: str
    year: int
    columns: list[_Column]
    rows: list[tuple[_Region, list[Decimal]]]
    dash_zero: bool = True  # zero is written '-' (nihil)
    defect_cells: set[tuple[str, int]] = field(default_factory=set)  # (kode, column index) not loaded

    def total(self, col: int, regions: list[_Region] | None = None) -> Decimal:
        wanted = {r.kode for r in regions} if regions is not None else None
        return sum((v[col] for r, v in self.rows if wanted is None or r.kode in wanted), Decimal(0))


def _regions() -> tuple[list[_Region], list[_Region]]:
    path = get_settings().reference_dir / "wilayah_kota_baubau.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    kec = [_Region(r["kode"], r["nama"], r["kode_induk"], "kecamatan") for r in rows if r["tingkat"] == "kecamatan"]
    kel = [_Region(r["kode"], r["nama"], r["kode_induk"], "kelurahan") for r in rows if r["tingkat"] == "kelurahan"]
    return kec, kel


def _rng(seed: int, *labels: object) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(str(label).encode()) for label in labels)])


def _spelled(rng: np.random.Generator, region: _Region) -> str:
    """The region name as staff type it: prefix or not, any case, stray spaces, hyphen or space."""
    title = region.nama.title()
    if "-" in title and rng.random() < 0.5:
        title = title.replace("-", " ")
    elif " " in title and rng.random() < 0.3:
        title = title.replace(" ", "-")
    prefix = "Kec. " if region.tingkat == "kecamatan" else "Kel. "
    long = "Kecamatan " if region.tingkat == "kecamatan" else "Kelurahan "
    options = [prefix + title, region.nama, title + " ", title, long + title, title.upper() + " "]
    return options[int(rng.integers(0, len(options)))]


def _id_number(value: Decimal, decimals: int = 0) -> str:
    """Indonesian notation: 1.234.567 or 1.234,5."""
    text = f"{value:,.{decimals}f}"
    return text.translate(str.maketrans(",.", ".,"))


def _population(year: int, kel: list[_Region], seed: int) -> dict[str, tuple[int, int]]:
    rng = _rng(seed, "penduduk-basis")
    growth = 1.012 ** (year - 2025)
    out = {}
    for code, (share, _) in _KECAMATAN.items():
        members = [r for r in kel if r.kec == code]
        weights = rng.dirichlet(np.full(len(members), 6.0))
        for r, w in zip(members, weights, strict=True):
            people = int(round(_POPULATION_2025 * growth * share * w))
            male = int(round(people * rng.uniform(0.485, 0.505)))
            out[r.kode] = (male, people - male)
    return out


def _kec_population(year: int, kec: list[_Region], kel: list[_Region], seed: int) -> dict[str, int]:
    pop = _population(year, kel, seed)
    return {k.kode: sum(sum(pop[r.kode]) for r in kel if r.induk == k.kode) for k in kec}


# --------------------------------------------------------------------------- tables
def _penduduk(year: int, seed: int, kec: list[_Region], kel: list[_Region]) -> _Table:
    pop = _population(year, kel, seed)
    cols = [_Column("Jenis Kelamin", "Laki-laki", "jumlah_penduduk", "jenis_kelamin=laki-laki"),
            _Column("Jenis Kelamin", "Perempuan", "jumlah_penduduk", "jenis_kelamin=perempuan")]
    rows = [(r, [Decimal(pop[r.kode][0]), Decimal(pop[r.kode][1])]) for r in kel]
    return _Table("penduduk", year, cols, rows, dash_zero=False)


def _sekolah(year: int, seed: int, kec: list[_Region], kel: list[_Region], defects: bool) -> _Table:
    rng = _rng(seed, "sekolah", year)
    pop = _kec_population(year, kec, kel, seed)
    cols = []
    for jenjang in ("SD", "SMP"):
        for heading, indikator in (("Sekolah", "jumlah_sekolah"), ("Murid", "jumlah_murid"), ("Guru", "jumlah_guru")):
            cols.append(_Column(jenjang, heading, indikator, f"jenjang={jenjang}"))
    rows = []
    for r in kec:
        p = pop[r.kode]
        sd_murid = int(p * rng.uniform(0.11, 0.13))
        smp_murid = int(p * rng.uniform(0.05, 0.06))
        values = [max(1, round(p / 1300)), sd_murid, round(sd_murid / rng.uniform(16, 20)),
                  max(1, round(p / 5200)), smp_murid, round(smp_murid / rng.uniform(14, 18))]
        rows.append((r, [Decimal(v) for v in values]))
    table = _Table("sekolah", year, cols, rows, dash_zero=False)
    return table


def _kendaraan(year: int, seed: int, kec: list[_Region], kel: list[_Region]) -> _Table:
    rng = _rng(seed, "kendaraan", year)
    pop = _kec_population(year, kec, kel, seed)
    kinds = (("Sepeda Motor", "sepeda_motor", 0.45), ("Mobil Penumpang", "mobil_penumpang", 0.05),
             ("Mobil Barang", "mobil_barang", 0.015), ("Bus", "bus", 0.00004))
    cols = [_Column("Jenis Kendaraan", h, "jumlah_kendaraan", f"jenis_kendaraan={k}") for h, k, _ in kinds]
    rows = [(r, [Decimal(int(pop[r.kode] * rate * rng.uniform(0.8, 1.2))) for _, _, rate in kinds]) for r in kec]
    return _Table("kendaraan_bermotor", year, cols, rows)


def _sampah(year: int, seed: int, kec: list[_Region], kel: list[_Region]) -> _Table:
    rng = _rng(seed, "sampah", year)
    years = list(range(year - WIDE_YEARS + 1, year + 1))
    cols = [_Column("Volume Sampah Terangkut (ton)", str(y), "volume_sampah_terangkut", "", y) for y in years]
    rows = []
    for r in kec:
        values = []
        for y in years:
            pop = _kec_population(y, kec, kel, seed)[r.kode]
            coverage = 0.0 if r.kec == "03" and y < year - 2 else min(0.95, 0.55 + 0.06 * (y - years[0]))
            tons = pop * 0.65 * 365 / 1000 * coverage * rng.uniform(0.9, 1.1)
            values.append(Decimal(int(tons * 10)) / 10)
        rows.append((r, values))
    return _Table("volume_sampah", year, cols, rows)


def _bansos(year: int, seed: int, kec: list[_Region], kel: list[_Region]) -> _Table:
    rng = _rng(seed, "bansos", year)
    pop = _kec_population(year, kec, kel, seed)
    cols = [_Column("Program Bantuan", "PKH", "jumlah_kpm", "program=PKH"),
            _Column("Program Bantuan", "Sembako/BPNT", "jumlah_kpm", "program=Sembako")]
    rows = [(r, [Decimal(int(pop[r.kode] * rng.uniform(0.02, 0.03))), Decimal(int(pop[r.kode] * rng.uniform(0.035, 0.05)))])
            for r in kec]
    return _Table("penerima_bansos", year, cols, rows)


def _bencana(year: int, seed: int, kec: list[_Region], kel: list[_Region]) -> _Table:
    rng = _rng(seed, "bencana", year)
    kinds = (("Banjir", "banjir", 0.8), ("Tanah Longsor", "tanah_longsor", 0.6), ("Kebakaran", "kebakaran", 1.5),
             ("Cuaca Ekstrem", "cuaca_ekstrem", 0.7))
    cols = [_Column("Jenis Bencana", h, "jumlah_kejadian_bencana", f"jenis_bencana={k}") for h, k, _ in kinds]
    rows = [(r, [Decimal(int(rng.poisson(rate))) for _, _, rate in kinds]) for r in kec]
    return _Table("kejadian_bencana", year, cols, rows)


def _luas(year: int, seed: int, kec: list[_Region], kel: list[_Region]) -> _Table:
    rng = _rng(seed, "luas")  # land does not change from year to year
    rows = []
    for code, (_, area) in _KECAMATAN.items():
        members = [r for r in kel if r.kec == code]
        shares = rng.dirichlet(np.full(len(members), 4.0))
        cents = [int(area * 100 * Decimal(str(s))) for s in shares]
        cents[-1] = int(area * 100) - sum(cents[:-1])
        rows += [(r, [Decimal(c) / 100]) for r, c in zip(members, cents, strict=True)]
    return _Table("luas_wilayah", year, [_Column(None, "Luas (km²)", "luas_wilayah")], rows, dash_zero=False)


def _perikanan(year: int, seed: int, kec: list[_Region], kel: list[_Region]) -> _Table:
    rng = _rng(seed, "perikanan", year)
    years = list(range(year - WIDE_YEARS + 1, year + 1))
    cols = [_Column(None, str(y), "produksi_perikanan_tangkap", "", y) for y in years]
    rows = []
    for r in kec:
        base = 850 * _COASTAL[r.kec]
        rows.append((r, [Decimal(int(base * (1 + 0.03 * (y - years[0])) * rng.uniform(0.85, 1.15) * 10)) / 10 for y in years]))
    return _Table("produksi_perikanan", year, cols, rows)


def _tables(year: int, seed: int, defects: bool) -> dict[str, _Table]:
    kec, kel = _regions()
    tables = {
        "penduduk": _penduduk(year, seed, kec, kel),
        "sekolah": _sekolah(year, seed, kec, kel, defects),
        "kendaraan_bermotor": _kendaraan(year, seed, kec, kel),
        "volume_sampah": _sampah(year, seed, kec, kel),
        "penerima_bansos": _bansos(year, seed, kec, kel),
        "kejadian_bencana": _bencana(year, seed, kec, kel),
        "luas_wilayah": _luas(year, seed, kec, kel),
        "produksi_perikanan": _perikanan(year, seed, kec, kel),
    }
    if defects:
        wolio = "74.72.02"
        tables["volume_sampah"].defect_cells |= {(wolio, c) for c in range(WIDE_YEARS)}
        tables["penerima_bansos"].defect_cells.add((wolio, 0))
    return tables


# --------------------------------------------------------------------------- sheets
@dataclass
class _Sheet:
    rows: list[list[object]]
    merges: list[str] = field(default_factory=list)
    cells: int = 0  # long rows the ledger counts as read: region rows × value columns (+ a failing total)


def _cell(table: _Table, value: Decimal, decimals: int, as_text: bool) -> object:
    if value == 0 and table.dash_zero:
        return "-"
    if as_text:
        return _id_number(value, decimals)
    return int(value) if decimals == 0 else float(value)


def _header_cells(table: _Table, first: int, fixed: list[str], trailing: list[str]) -> tuple[list[list[object]], list[str]]:
    """Two heading rows: upper headings merged over their columns, fixed columns merged down."""
    from openpyxl.utils import get_column_letter as letter

    top: list[object] = list(fixed)
    low: list[object] = [None] * len(fixed)
    merges = [f"{letter(i + 1)}{first}:{letter(i + 1)}{first + 1}" for i in range(len(fixed))]
    col = len(fixed)
    groups: list[tuple[str | None, int, int]] = []
    for c in table.columns:
        if groups and groups[-1][0] == c.top and c.top is not None:
            groups[-1] = (c.top, groups[-1][1], groups[-1][2] + 1)
        else:
            groups.append((c.top, col, 1))
        top.append(c.top if not (len(groups) and groups[-1][2] > 1) else None)
        low.append(c.heading)
        col += 1
    for name, start, width in groups:
        if width > 1:
            merges.append(f"{letter(start + 1)}{first}:{letter(start + width)}{first}")
    for extra in trailing:
        top.append(extra)
        low.append(None)
        merges.append(f"{letter(col + 1)}{first}:{letter(col + 1)}{first + 1}")
        col += 1
    return [top, low], merges


def _units_row(width: int) -> list[object]:
    return [f"({i})" for i in range(1, width + 1)]


def _region_sheet(table: _Table, rng: np.random.Generator, title: list[str], decimals: int, with_jumlah: bool,
                  total_offset: Decimal = Decimal(0), total_col: int | None = None,
                  name_override: dict[str, str] | None = None, year_numbers: bool = False) -> _Sheet:
    """A kecamatan table: title lines, No, Kecamatan, value columns (merged headings), optional
    Jumlah column, a units row, one row per kecamatan, a total row and a source note."""
    rows: list[list[object]] = [[line] for line in title]
    heading, merges = _header_cells(table, len(rows) + 1, ["No", "Kecamatan"], ["Jumlah"] if with_jumlah else [])
    if year_numbers:  # a year typed into a heading cell is stored as a number
        heading[1] = [c if i < 2 or c is None else int(c) for i, c in enumerate(heading[1])]
    rows += heading
    rows.append(_units_row(len(heading[0])))
    for number, (region, values) in enumerate(table.rows, start=1):
        name = (name_override or {}).get(region.kode) or _spelled(rng, region)
        extra = [_cell(table, sum(values, Decimal(0)), decimals, False)] if with_jumlah else []
        rows.append([number, name, *[_cell(table, v, decimals, False) for v in values], *extra])
    totals = [table.total(c) + (total_offset if c == total_col else 0) for c in range(len(table.columns))]
    extra = [_cell(table, sum(totals, Decimal(0)), decimals, False)] if with_jumlah else []
    rows.append(["JUMLAH" if rng.random() < 0.5 else "Jumlah", None, *[_cell(table, t, decimals, False) for t in totals], *extra])
    merges.append(f"A{len(rows)}:B{len(rows)}")
    rows.append([])
    rows.append([f"Sumber: {title[0].title()}"])
    return _Sheet(rows, merges, len(table.rows) * len(table.columns) + (1 if total_offset else 0))


def _csv_bytes(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    width = max(len(r) for r in rows)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row] + [""] * (width - len(row)))
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- writers
@dataclass
class _Run:
    out_dir: Path
    year: int
    seed: int
    progress: Progress | None

    def save(self, key: str, data: bytes, dataset: str, cells: int, defects: int, kind: str = "normal") -> GeneratedFile:
        path = self.out_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if self.progress:
            self.progress(f"opd/{dataset}", cells)
        return GeneratedFile(key, dataset, cells, defects, kind)  # type: ignore[arg-type]

    def stamp(self, month: int, day: int) -> datetime:
        return datetime(self.year + 1, month, day, 9, 0)

    def key(self, dataset: str, month: int, day: int, name: str) -> str:
        return f"{SOURCE}/{dataset}/{self.year + 1}-{month:02d}-{day:02d}/{name}"


def _write_penduduk(run: _Run, table: _Table, rename: dict[str, str] | None = None) -> tuple[bytes, int]:
    """Kelurahan under kecamatan subtotal rows; "Jenis Kelamin" merged; JUMLAH at the bottom."""
    rng = _rng(run.seed, "penduduk-ejaan", run.year)
    rows: list[list[object]] = [["PEMERINTAH KOTA BAUBAU"], ["DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL"],
                                ["JUMLAH PENDUDUK MENURUT KELURAHAN DAN JENIS KELAMIN"], [f"KEADAAN 31 DESEMBER {run.year}"], []]
    laki, perempuan = ("Laki-laki", "Perempuan") if not rename else (rename.get("Laki-laki", "Laki-laki"), rename.get("Perempuan", "Perempuan"))
    rows += [["No", "Kecamatan/Kelurahan", "Jenis Kelamin", None, "Jumlah"], [None, None, laki, perempuan, None]]
    merges = ["A6:A7", "B6:B7", "C6:D6", "E6:E7"]
    rows.append(_units_row(5))
    kec, _ = _regions()
    cells = 0
    for k in kec:
        members = [(r, v) for r, v in table.rows if r.induk == k.kode]
        sub = [sum((v[c] for _, v in members), Decimal(0)) for c in range(2)]
        rows.append([None, f"KECAMATAN {k.nama}", int(sub[0]), int(sub[1]), int(sum(sub))])
        for number, (r, v) in enumerate(members, start=1):
            rows.append([number, _spelled(rng, r), int(v[0]), int(v[1]), int(v[0] + v[1])])
            cells += 2
    total = [table.total(0), table.total(1)]
    rows.append(["JUMLAH", None, int(total[0]), int(total[1]), int(sum(total))])
    merges.append(f"A{len(rows)}:B{len(rows)}")
    rows += [[], ["Sumber: Data Konsolidasi Bersih (DKB) Semester II, Disdukcapil Kota Baubau"]]
    return xlsx_bytes("Penduduk", rows, run.stamp(1, 20), merges), cells


def _write_sekolah(run: _Run, table: _Table, defects: bool) -> GeneratedFile:
    rng = _rng(run.seed, "sekolah-ejaan", run.year)
    title = ["DINAS PENDIDIKAN DAN KEBUDAYAAN KOTA BAUBAU", "JUMLAH SEKOLAH, MURID DAN GURU MENURUT JENJANG DAN KECAMATAN",
             f"TAHUN AJARAN {run.year}/{run.year + 1}", ""]
    # the planted defect: the pupils total of SD typed 100 too high
    sheet = _region_sheet(table, rng, title, 0, False, total_offset=Decimal(100) if defects else Decimal(0), total_col=1)
    data = xlsx_bytes("Pendidikan", sheet.rows, datetime(run.year, 8, 15, 9, 0), sheet.merges)
    key = f"{SOURCE}/sekolah/{run.year}-08-15/rekap_sekolah_ta_{run.year}_{run.year + 1}.xlsx"
    return run.save(key, data, "sekolah", sheet.cells, 1 if defects else 0)


def _kendaraan_rows(run: _Run, table: _Table) -> tuple[list[list[object]], int]:
    rng = _rng(run.seed, "kendaraan-ejaan", run.year)
    rows: list[list[object]] = [
        ["DINAS PERHUBUNGAN KOTA BAUBAU"],
        [f"JUMLAH KENDARAAN BERMOTOR MENURUT KECAMATAN DAN JENIS KENDARAAN TAHUN {run.year}"],
        [],
        ["No", "Kecamatan", "Jenis Kendaraan", None, None, None, "Jumlah"],
        [None, None, *[c.heading for c in table.columns], None],
    ]
    for number, (region, values) in enumerate(table.rows, start=1):
        cells = [_cell(table, v, 0, True) for v in values]
        rows.append([number, _spelled(rng, region), *cells, _id_number(sum(values, Decimal(0)))])
    totals = [table.total(c) for c in range(len(table.columns))]
    rows.append(["JUMLAH", None, *[_cell(table, t, 0, True) for t in totals], _id_number(sum(totals, Decimal(0)))])
    return rows, len(table.rows) * len(table.columns)


def _write_sampah(run: _Run, table: _Table, defects: bool) -> GeneratedFile:
    rng = _rng(run.seed, "sampah-ejaan", run.year)
    first, last = run.year - WIDE_YEARS + 1, run.year
    title = ["DINAS LINGKUNGAN HIDUP KOTA BAUBAU", "VOLUME SAMPAH TERANGKUT KE TPA MENURUT KECAMATAN (TON)",
             f"TAHUN {first}–{last}"]
    sheet = _region_sheet(table, rng, title, 1, False, year_numbers=True,
                          name_override={"74.72.02": UNKNOWN_NAME} if defects else None)
    data = xlsx_bytes("Sampah", sheet.rows, run.stamp(2, 10), sheet.merges)
    key = run.key("volume_sampah", 2, 10, f"volume_sampah_{first}-{last}.xlsx")
    return run.save(key, data, "volume_sampah", sheet.cells, WIDE_YEARS if defects else 0)


def _write_bansos(run: _Run, table: _Table, defects: bool) -> GeneratedFile:
    rng = _rng(run.seed, "bansos-ejaan", run.year)
    rows: list[list[object]] = [
        ["DINAS SOSIAL KOTA BAUBAU"],
        [f"JUMLAH KELUARGA PENERIMA MANFAAT (KPM) BANTUAN SOSIAL MENURUT KECAMATAN TAHUN {run.year}"],
        ["No", "Kecamatan", "Program Bantuan", None],
        [None, None, "PKH", "Sembako/BPNT"],
        ["(1)", "(2)", "(3)", "(4)"],
    ]
    for number, (region, values) in enumerate(table.rows, start=1):
        cells = [_cell(table, v, 0, True) for v in values]
        if (region.kode, 0) in table.defect_cells:
            cells[0] = f"{cells[0]} KPM"
        rows.append([number, _spelled(rng, region), *cells])
    rows.append(["Jumlah", None, *[_cell(table, table.total(c), 0, True) for c in range(2)]])
    rows += [[], ["Sumber: SIKS-NG Dinas Sosial Kota Baubau"]]
    key = run.key("penerima_bansos", 1, 25, f"kpm_bansos_{run.year}.csv")
    return run.save(key, _csv_bytes(rows), "penerima_bansos", len(table.rows) * 2, 1 if defects else 0)


def _write_bencana(run: _Run, table: _Table) -> GeneratedFile:
    rng = _rng(run.seed, "bencana-ejaan", run.year)
    title = ["BADAN PENANGGULANGAN BENCANA DAERAH KOTA BAUBAU",
             f"JUMLAH KEJADIAN BENCANA MENURUT JENIS DAN KECAMATAN TAHUN {run.year}", ""]
    sheet = _region_sheet(table, rng, title, 0, True)
    data = xlsx_bytes("Bencana", sheet.rows, run.stamp(1, 30), sheet.merges)
    return run.save(run.key("kejadian_bencana", 1, 30, f"rekap_bencana_{run.year}.xlsx"), data, "kejadian_bencana",
                    sheet.cells, 0)


def _write_luas(run: _Run, table: _Table) -> GeneratedFile:
    """Kecamatan merged down over its kelurahan; areas typed as text in some rows; 'Kota Baubau' total."""
    rng = _rng(run.seed, "luas-ejaan", run.year)
    rows: list[list[object]] = [
        ["BAGIAN TATA PEMERINTAHAN SETDA KOTA BAUBAU"],
        [f"LUAS WILAYAH MENURUT KECAMATAN DAN KELURAHAN TAHUN {run.year}"],
        [],
        ["No", "Kecamatan", "Kelurahan", "Luas (km²)", "Persentase (%)"],
    ]
    merges = []
    kec, _ = _regions()
    total = table.total(0)
    number = 0
    for k in kec:
        members = [(r, v) for r, v in table.rows if r.induk == k.kode]
        start = len(rows) + 1
        for i, (r, v) in enumerate(members):
            number += 1
            area = _id_number(v[0], 2) if rng.random() < 0.4 else float(v[0])
            share = float(round(v[0] / total * 100, 2))
            rows.append([number, k.nama.title() if i == 0 else None, _spelled(rng, r), area, share])
        merges.append(f"B{start}:B{len(rows)}")
    rows.append(["Kota Baubau", None, None, float(total), 100.0])
    merges.append(f"A{len(rows)}:C{len(rows)}")
    data = xlsx_bytes("Luas Wilayah", rows, run.stamp(1, 12), merges)
    return run.save(run.key("luas_wilayah", 1, 12, f"luas_wilayah_{run.year}.xlsx"), data, "luas_wilayah",
                    len(table.rows), 0)


def _write_perikanan(run: _Run, table: _Table) -> GeneratedFile:
    rng = _rng(run.seed, "perikanan-ejaan", run.year)
    first = run.year - WIDE_YEARS + 1
    rows: list[list[object]] = [
        [f"PRODUKSI PERIKANAN TANGKAP MENURUT KECAMATAN (TON) TAHUN {first}-{run.year}"],
        ["Dinas Kelautan dan Perikanan Kota Baubau"],
        ["No", "Kecamatan", *[str(c.tahun) for c in table.columns]],
    ]
    for number, (region, values) in enumerate(table.rows, start=1):
        rows.append([number, _spelled(rng, region), *[_cell(table, v, 1, True) for v in values]])
    rows.append(["", "Jumlah", *[_cell(table, table.total(c), 1, True) for c in range(len(table.columns))]])
    rows += [["Keterangan: - = nihil"]]
    key = run.key("produksi_perikanan", 2, 3, f"produksi_perikanan_tangkap_{first}_{run.year}.csv")
    return run.save(key, _csv_bytes(rows), "produksi_perikanan", len(table.rows) * WIDE_YEARS, 0)


# --------------------------------------------------------------------------- public API
def generate_opd(
    out_dir: Path,
    year: int = 2025,
    seed: int = 42,
    defect_rate: float = 0.01,
    bad_files: bool = True,
    progress: Progress | None = None,
) -> list[GeneratedFile]:
    """Write one year of OPD deliveries under ``out_dir`` as ``opd/<dataset>/<delivery date>/<file>``.

    OPD tables are small, so ``defect_rate`` is not a share of rows: any positive rate plants the
    three defects described in the module docstring (``GeneratedFile.defect_rows`` counts the long
    rows they put in quarantine), and 0 plants none. Returns the files sorted by key.
    """
    if not 0 <= defect_rate <= 1:
        raise ValueError(f"defect_rate must be between 0 and 1, got {defect_rate}")
    defects = defect_rate > 0
    run = _Run(Path(out_dir), year, seed, progress)
    tables = _tables(year, seed, defects)
    penduduk, cells = _write_penduduk(run, tables["penduduk"])
    kendaraan, kendaraan_cells = _kendaraan_rows(run, tables["kendaraan_bermotor"])
    files = [
        run.save(run.key("penduduk", 1, 20, f"penduduk_kelurahan_{year}.xlsx"), penduduk, "penduduk", cells, 0),
        _write_sekolah(run, tables["sekolah"], defects),
        run.save(run.key("kendaraan_bermotor", 1, 28, f"kendaraan_bermotor_{year}.csv"), _csv_bytes(kendaraan),
                 "kendaraan_bermotor", kendaraan_cells, 0),
        _write_sampah(run, tables["volume_sampah"], defects),
        _write_bansos(run, tables["penerima_bansos"], defects),
        _write_bencana(run, tables["kejadian_bencana"]),
        _write_luas(run, tables["luas_wilayah"]),
        _write_perikanan(run, tables["produksi_perikanan"]),
    ]
    if bad_files:
        # A re-delivery with a renamed heading: must be rejected, not replace the good year.
        broken, cells = _write_penduduk(run, tables["penduduk"], rename={"Perempuan": "Wanita"})
        files.append(run.save(run.key("penduduk", 1, 23, f"penduduk_kelurahan_{year}_revisi.xlsx"), broken, "penduduk",
                              cells, 0, "bad_file"))
        # A title line inserted above the table moves the headings down one row.
        shifted = [kendaraan[0], ["(angka sementara)"], *kendaraan[1:]]
        files.append(run.save(run.key("kendaraan_bermotor", 2, 2, f"kendaraan_bermotor_{year}_perbaikan.csv"),
                              _csv_bytes(shifted), "kendaraan_bermotor", kendaraan_cells, 0, "bad_file"))
    return sorted(files, key=lambda f: f.key)


def expected_values(year: int = 2025, seed: int = 42, defect_rate: float = 0.01) -> list[dict[str, object]]:
    """The long rows the ingest should load from :func:`generate_opd`'s good deliveries.

    One dict per (dataset, indikator, kode_wilayah, tahun, rincian) with ``nilai`` (Decimal) and
    ``status_nilai``; cells of planted row defects are left out (they go to quarantine).
    """
    out = []
    for name, table in _tables(year, seed, defect_rate > 0).items():
        for region, values in table.rows:
            for c, (column, value) in enumerate(zip(table.columns, values, strict=True)):
                if (region.kode, c) in table.defect_cells:
                    continue
                out.append({
                    "dataset": name,
                    "indikator": column.indikator,
                    "kode_wilayah": region.kode,
                    "tahun": column.tahun or year,
                    "rincian": column.rincian,
                    "nilai": value,
                    "status_nilai": "nihil" if value == 0 and table.dash_zero else "ada",
                })
    return out
