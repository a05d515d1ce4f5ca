"""Synthetic extracts of Kota Baubau's regional revenue office (Bapenda), as its systems deliver them.

Five source systems, seven datasets (layouts declared in ``datasets/pajak/*.yaml``):

- SISMIOP: PBB-P2 SPPT once a year, PBB-P2 payments one CSV per payment month, delivered with
  that month's recap (rekap pembayaran per tempat bayar: transactions, total pokok, total denda);
- BPHTB: validated and paid SSPD, one CSV per payment month;
- SIMPATDA: self-assessed PBJT/MBLB returns (SPTPD) from the payment gateway, JSON lines per masa;
- e-retribusi: levy receipts, one CSV per month;
- SIPD: APBD revenue targets, one XLSX per budget year.

Every (dataset, month) draws from its own generator seeded from ``seed`` and fixed labels, and
rows are written month by month, so the same arguments give byte-identical files at any scale in
bounded memory. A share of rows carries planted defects (see :mod:`ingest.generate.defects`) and,
optionally, some deliveries are broken as a whole, to exercise quarantine and rejection. A recap is
computed from the rows of the extract as written, typos included (the source system's recap is a
query over the same data), so it disagrees with the extract only when rows go missing between the
system and the landing bucket — which ``rekap_selisih`` plants once.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from ingest.generate.defects import Defect, draw_kinds, impossible_dates, negative, plant, replaced
from ingest.generate.files import GeneratedFile, write_csv, write_jsonl, xlsx_bytes
from ingest.generate.names import business_names, company_names, person_names, pick
from satudata.settings import get_settings

__all__ = ["GeneratedFile", "generate_tax", "scale_for_rows"]

Progress = Callable[[str, int], None]

UNKNOWN_KELURAHAN = "74.72.09.1001"  # Kota Baubau has eight kecamatan; 09 does not exist
_DAYS_PER_YEAR = 365

# --- Wilayah -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kecamatan:
    """What differs between kecamatan: how many live there, what land costs, how big plots are."""

    population_share: float
    njop_bumi_m2: int  # median NJOP of land per m² (Rp)
    luas_bumi_m2: int  # median plot size (m²)
    pusat: bool  # town centre: shops, hotels and parking concentrate here


# Keyed by the two-digit Kemendagri kecamatan code; the centre (Wolio, Murhum, Batupoaro) is
# denser and dearer, the hinterland (Sorawolio, Bungi, Lea-Lea) rural with large plots.
_KECAMATAN = {
    "01": _Kecamatan(0.12, 150_000, 350, False),  # Betoambari
    "02": _Kecamatan(0.24, 450_000, 220, True),  # Wolio
    "03": _Kecamatan(0.05, 30_000, 800, False),  # Sorawolio
    "04": _Kecamatan(0.06, 45_000, 600, False),  # Bungi
    "05": _Kecamatan(0.12, 120_000, 350, False),  # Kokalukuna
    "06": _Kecamatan(0.14, 600_000, 180, True),  # Murhum
    "07": _Kecamatan(0.05, 40_000, 700, False),  # Lea-Lea
    "08": _Kecamatan(0.22, 500_000, 200, True),  # Batupoaro
}


@dataclass(frozen=True)
class _Wilayah:
    """The 43 kelurahan with their codes in each system's layout and sampling weights."""

    kode: pl.Series  # Kemendagri, 74.72.KK.1NNN
    nama: pl.Series  # as people write it, "Bukit Wolio Indah"
    sismiop: pl.Series  # NOP prefix, 74.72.KK0.NNN.
    npwpd: pl.Series  # NPWPD suffix, KK.NN
    population: np.ndarray
    commerce: np.ndarray
    hinterland: np.ndarray
    njop_bumi_m2: np.ndarray
    luas_bumi_m2: np.ndarray

    def index(self, nama: str) -> int:
        """Position of a kelurahan given its name as the seed spells it (upper case)."""
        return self.nama.str.to_uppercase().index_of(nama)


def _load_wilayah(reference_dir: Path) -> _Wilayah:
    """Kelurahan from the Kemendagri seed, with the SISMIOP crosswalk (kecamatan × 10, last 3 digits)."""
    seed = pl.read_csv(reference_dir / "wilayah_kota_baubau.csv", infer_schema=False)
    kel = seed.filter(pl.col("tingkat") == "kelurahan").sort("kode").select(
        "kode",
        nama=pl.col("nama").str.to_titlecase(),
        kecamatan=pl.col("kode").str.slice(6, 2),
        sismiop=pl.concat_str(
            pl.col("kode").str.slice(0, 8), pl.lit("0."), pl.col("kode").str.slice(10, 3), pl.lit(".")
        ),
        npwpd=pl.concat_str(pl.col("kode").str.slice(6, 2), pl.col("kode").str.slice(11, 2), separator="."),
        kelurahan_in_kecamatan=pl.len().over(pl.col("kode").str.slice(6, 2)),
    )
    profile = [_KECAMATAN[k] for k in kel["kecamatan"]]
    population = np.array([p.population_share for p in profile]) / kel["kelurahan_in_kecamatan"].to_numpy()
    pusat = np.array([p.pusat for p in profile])
    return _Wilayah(
        kode=kel["kode"],
        nama=kel["nama"],
        sismiop=kel["sismiop"],
        npwpd=kel["npwpd"],
        population=_normalised(population),
        commerce=_normalised(population * np.where(pusat, 3.0, 1.0)),
        hinterland=_normalised(population * ~pusat),
        njop_bumi_m2=np.array([p.njop_bumi_m2 for p in profile], dtype=float),
        luas_bumi_m2=np.array([p.luas_bumi_m2 for p in profile], dtype=float),
    )


def _normalised(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


# --- Calendar ----------------------------------------------------------------------------------


def _month_starts(year: int) -> np.ndarray:
    """First day of each month of ``year`` and of the following January (13 dates)."""
    months = np.arange(np.datetime64(f"{year}-01"), np.datetime64(f"{year + 1}-02"), dtype="datetime64[M]")
    return months.astype("datetime64[D]")


def _random_days(rng: np.random.Generator, year: int, months: np.ndarray) -> np.ndarray:
    """A uniformly random day within each given month (1-12) of ``year``."""
    starts = _month_starts(year)
    lengths = np.diff(starts).astype(int)
    return starts[months - 1] + (rng.random(len(months)) * lengths[months - 1]).astype(int)


def _formatted(days: np.ndarray, fmt: str = "%d/%m/%Y") -> pl.Series:
    return pl.Series(days.astype("datetime64[D]")).dt.strftime(fmt)


def _month_bounds(sorted_days: np.ndarray, year: int) -> np.ndarray:
    """Where each month starts in date-sorted rows: month ``m`` is ``rows[bounds[m-1]:bounds[m]]``."""
    return np.searchsorted(sorted_days, _month_starts(year))


def _ramadan_share(year: int) -> np.ndarray:
    """Per month, the share of its days inside Ramadan or the Lebaran week after it.

    Idul Fitri is stepped by the lunar year (354.367 days) from 31 March 2025: accurate to a day
    or two, which is all the seasonality of restaurant and hotel sales needs. Some years hold two.
    """
    lunar_year = 354.367
    nearest = int(np.floor((year - 2025) * 365.2425 / lunar_year))
    lebaran = [np.datetime64("2025-03-31") + int(round(k * lunar_year)) for k in range(nearest - 1, nearest + 3)]
    window = np.concatenate([np.arange(day - 30, day + 7) for day in lebaran])
    starts = _month_starts(year)
    month = np.searchsorted(starts, window, side="right") - 1
    inside = np.bincount(month[(month >= 0) & (month < 12)], minlength=12)
    return inside / np.diff(starts).astype(int)


# --- Populations -------------------------------------------------------------------------------

_OBJEK_PAJAK = 45_000  # PBB-P2 tax objects at scale 1
_TRANSFERS = 1_500  # BPHTB transfers a year at scale 1
_WAJIB_PAJAK = 800  # PBJT/MBLB self-assessing taxpayers at scale 1


@dataclass(frozen=True)
class _Levy:
    """One retribusi: where it is collected, how often, and how much a receipt is worth."""

    jenis: str
    code: str  # prefix of receipt numbers and collector codes
    points: int  # titik parkir, pasar or customers at scale 1
    per_day: int  # receipts per point per day; 0 = one receipt per point per month
    presence: float  # chance that a point pays in a given slot
    median: int  # median Rupiah per receipt
    spread: float  # log-sd of receipt size between points
    noise: float  # log-sd of receipt size between slots
    step: int  # tariffs and deposits are round numbers of Rupiah
    staffed: float  # share collected by a petugas (else paid at the bank/QRIS, no petugas code)
    weights: Literal["population", "commerce"]  # which _Wilayah weights place the points
    sites: tuple[tuple[str, str | None], ...] = ()  # named places and their kelurahan (None = drawn)


_STREETS = (
    "Jl. Kartini", "Jl. Sultan Hasanuddin", "Jl. Ahmad Yani", "Jl. Yos Sudarso", "Jl. Betoambari",
    "Jl. Pahlawan", "Jl. Erlangga", "Jl. MH Thamrin", "Jl. Diponegoro", "Jl. Sudirman",
    "Jl. Gajah Mada", "Jl. Murhum", "Jl. Dayanu Ikhsanuddin", "Jl. Teuku Umar", "Jl. Wa Ode Wau",
    "Jl. Balai Kota", "Jl. Bakti Abri", "Jl. Anoa", "Pantai Kamali", "Pelabuhan Murhum",
)
_PASAR = ("WAMEO", "WAJO", "KATOBENGKE", "LAKOLOGOU", "BATARAGURU", "SULAA", "LOWU-LOWU", "MELAI", "TARAFU")

_LEVIES = (
    _Levy("parkir", "PKR", 40, 2, 0.95, 40_000, 0.5, 0.3, 1_000, 1.0, "commerce",
          tuple((f"Parkir {street}", None) for street in _STREETS)),
    _Levy("pasar", "PSR", 8, 1, 0.97, 400_000, 0.5, 0.25, 1_000, 1.0, "commerce",
          tuple((f"Pasar {kelurahan.title()}", kelurahan) for kelurahan in _PASAR)),
    _Levy("sampah", "SMP", 8_000, 0, 0.85, 15_000, 0.6, 0.0, 5_000, 0.6, "population"),
    _Levy("air", "AIR", 600, 0, 0.90, 60_000, 0.6, 0.35, 500, 0.4, "population"),
    _Levy("pju", "PJU", 300, 0, 0.95, 40_000, 0.5, 0.0, 5_000, 0.5, "commerce"),
)
_LEVY_LABEL = {"sampah": "Persampahan", "air": "Air Bersih", "pju": "PJU"}


@dataclass(frozen=True)
class _Sizes:
    objek_pajak: int
    transfers: int
    wajib_pajak: int
    levy_points: dict[str, int]


def _scaled(base: int, scale: float) -> int:
    return max(1, round(base * scale))


def _sizes(scale: float) -> _Sizes:
    return _Sizes(
        objek_pajak=_scaled(_OBJEK_PAJAK, scale),
        transfers=_scaled(_TRANSFERS, scale),
        wajib_pajak=_scaled(_WAJIB_PAJAK, scale),
        levy_points={levy.jenis: _scaled(levy.points, scale) for levy in _LEVIES},
    )


# --- One generation run ------------------------------------------------------------------------


@dataclass
class _Run:
    """Arguments and shared state of one generation: where to write, randomness, totals so far."""

    out_dir: Path
    year: int
    seed: int
    defect_rate: float
    progress: Progress | None
    wilayah: _Wilayah
    realisasi: Counter[str] = field(default_factory=Counter)  # Rupiah collected per revenue line

    def rng(self, *labels: str | int) -> np.random.Generator:
        """An independent generator per purpose, so one dataset's draws never shift another's."""
        return np.random.default_rng([self.seed, *(zlib.crc32(str(label).encode()) for label in labels)])

    def deliver(self, key: str, frames: Iterable[pl.DataFrame], defects: Sequence[Defect],
                written: Callable[[pl.DataFrame], None] | None = None) -> GeneratedFile:
        """Plant defects into the frames, write them as one delivered file and report progress.

        ``written`` sees each frame as written (defects included), e.g. to total it for a recap.
        """
        dataset = key.split("/")[1]
        rng = self.rng("defects", key)
        planted = 0

        def corrupted() -> Iterator[pl.DataFrame]:
            nonlocal planted
            for frame in frames:
                kinds = draw_kinds(rng, frame.height, self.defect_rate, len(defects))
                planted += int((kinds >= 0).sum())
                frame = plant(frame, kinds, defects)
                if written is not None:
                    written(frame)
                yield frame
                self.report(dataset, frame.height)

        write = write_jsonl if key.endswith(".jsonl") else write_csv
        rows = write(self.out_dir / key, corrupted())
        return GeneratedFile(key, dataset, rows, planted)

    def save(self, key: str, data: bytes) -> None:
        """Write a file produced whole (a workbook, a broken delivery)."""
        path = self.out_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def report(self, label: str, rows: int) -> None:
        if self.progress is not None:
            self.progress(label, rows)


@dataclass(frozen=True)
class _Monthly:
    """A dataset delivered once per month, early in the month after the one it covers."""

    source: str
    dataset: str
    day: int  # day of the following month the file arrives
    filename: str  # with {year} and {month} placeholders

    def key(self, year: int, month: int, days_later: int = 0) -> str:
        """Landing key of the month's file; ``days_later`` for a re-delivery after the regular one."""
        delivered = date(year + month // 12, month % 12 + 1, self.day) + timedelta(days=days_later)
        filename = self.filename.format(year=year, month=f"{month:02d}")
        return f"{self.source}/{self.dataset}/{delivered.isoformat()}/{filename}"

    def deliver(self, run: _Run, month: int, frame: pl.DataFrame, defects: Sequence[Defect],
                written: Callable[[pl.DataFrame], None] | None = None) -> GeneratedFile:
        return run.deliver(self.key(run.year, month), [frame], defects, written)


_PBB_PEMBAYARAN = _Monthly("sismiop", "pbb_pembayaran", 5, "pembayaran_pbb_{year}-{month}.csv")
_REKAP_PBB = _Monthly("sismiop", "rekap_pembayaran_pbb", 5, "rekap_pembayaran_pbb_{year}-{month}.csv")  # with the extract
_BPHTB = _Monthly("bphtb", "bphtb_transaksi", 4, "bphtb_{year}-{month}.csv")
_SPTPD = _Monthly("simpatda", "sptpd", 20, "sptpd_{year}-{month}.jsonl")  # after the payment window closes
_RETRIBUSI = _Monthly("eretribusi", "retribusi", 3, "retribusi_{year}-{month}.csv")


# --- PBB-P2 (SISMIOP) --------------------------------------------------------------------------

_OWNERS_PER_OBJECT = 0.8  # many taxpayers own more than one object
_NJOPTKP = 10_000_000  # once per taxpayer (UU 1/2022: at least Rp10 juta)
_TARIF_BANDS = (1_000_000_000, 5_000_000_000)  # NJOP up to the first: 0.1 %, the second: 0.2 %, above: 0.3 %
_STIMULUS_SHARE = 0.05  # objects granted a 25 % or 50 % reduction
_BLOK_SIZE = 150  # objects per blok before numbering moves to the next blok
_SPPT_CHUNK = 200_000

_P_FULL = 0.70  # pay the whole SPPT at once
_P_PARTIAL = 0.08  # pay in two instalments
_P_SECOND = 0.60  # of those, pay the second instalment within the year
_P_LATE = 0.12  # of full payers, pay after the due date
_ON_TIME_MONTHS = np.arange(1, 9)
_ON_TIME_WEIGHTS = _normalised(np.array([2, 3, 4, 5, 7, 10, 25, 44], dtype=float))  # rush before 31 Aug
_LATE_MONTHS = np.arange(9, 13)
_LATE_WEIGHTS = _normalised(np.array([45, 25, 17, 13], dtype=float))
_DENDA_PERCENT_PER_MONTH = 1
_DENDA_MAX_MONTHS = 24
# SISMIOP KD_TP: 01 Bank Sultra (the regional bank, most payments), 02 BRI, 03 BNI, 04 Kantor Pos,
# 05 marketplace/e-wallet partners.
_TEMPAT_BAYAR = ("01", "02", "03", "04", "05")
_NAMA_TEMPAT_BAYAR = ("BANK SULTRA", "BANK BRI", "BANK BNI", "KANTOR POS", "MITRA E-COMMERCE/E-WALLET")
_TEMPAT_BAYAR_WEIGHTS = (0.55, 0.18, 0.1, 0.1, 0.07)

_NOP_DEFECTS = (
    Defect("NOP", lambda nop: pl.concat_str(nop.str.slice(0, 18), nop.str.slice(19))),  # 17 digits
    Defect("NOP", lambda nop: pl.concat_str(nop.str.slice(0, 15), pl.lit("O"), nop.str.slice(16))),  # O for 0
    Defect("NOP", lambda nop: pl.concat_str(nop.str.slice(0, 6), pl.lit("090"), nop.str.slice(9))),  # no kec 090
)


@dataclass(frozen=True)
class _ObjekPajak:
    """The PBB-P2 register: one entry per tax object, as numeric arrays (strings built per chunk)."""

    prefix: pl.Series  # SISMIOP NOP prefix per kelurahan
    kelurahan: np.ndarray
    blok: np.ndarray
    urut: np.ndarray
    owner: np.ndarray
    owner_names: pl.Series
    luas_bumi: np.ndarray
    luas_bangunan: np.ndarray
    njop_bumi: np.ndarray
    njop_bangunan: np.ndarray
    njoptkp: np.ndarray
    terutang: np.ndarray
    pengurang: np.ndarray

    @property
    def harus_dibayar(self) -> np.ndarray:
        return self.terutang - self.pengurang

    @property
    def njop(self) -> np.ndarray:
        return self.njop_bumi + self.njop_bangunan

    def nop(self, index: np.ndarray) -> pl.Series:
        """NOPs in the dotted SISMIOP layout, e.g. 74.72.010.007.001-0001.0."""
        parts = pl.DataFrame({"prefix": self.prefix.gather(self.kelurahan[index]), "blok": self.blok[index],
                              "urut": self.urut[index]})
        return parts.select(
            pl.concat_str(
                "prefix",
                pl.col("blok").cast(pl.String).str.zfill(3),
                pl.lit("-"),
                pl.col("urut").cast(pl.String).str.zfill(4),
                pl.lit(".0"),
            )
        ).to_series()


def _objek_pajak(run: _Run, n: int) -> _ObjekPajak:
    """Draw the tax objects: location, land and building, NJOP and the tax assessed on them."""
    rng = run.rng("pbb_sppt")
    wilayah = run.wilayah
    kelurahan = np.sort(rng.choice(len(wilayah.kode), n, p=wilayah.population))
    position = np.arange(n) - np.searchsorted(kelurahan, kelurahan)
    blok_size = max(_BLOK_SIZE, -(-int(np.bincount(kelurahan).max()) // 999))  # keep blok within 3 digits
    luas_bumi = np.maximum(20.0, np.round(wilayah.luas_bumi_m2[kelurahan] * rng.lognormal(0, 0.6, n), 2))
    njop_bumi_m2 = np.maximum(1_000, np.round(wilayah.njop_bumi_m2[kelurahan] * rng.lognormal(0, 0.45, n), -3))
    has_building = rng.random(n) < 0.8
    luas_bangunan = np.where(has_building, np.round(72 * rng.lognormal(0, 0.5, n), 2), 0.0)
    njop_bangunan_m2 = np.round(1_000_000 * rng.lognormal(0, 0.3, n), -3)
    owners = max(1, round(n * _OWNERS_PER_OBJECT))
    owner = rng.integers(0, owners, n)
    njoptkp = np.zeros(n, dtype=np.int64)
    njoptkp[np.unique(owner, return_index=True)[1]] = _NJOPTKP
    njop_bumi = np.rint(luas_bumi * njop_bumi_m2).astype(np.int64)
    njop_bangunan = np.rint(luas_bangunan * njop_bangunan_m2).astype(np.int64)
    terutang = _pbb_terutang(njop_bumi + njop_bangunan, njoptkp)
    reduction = np.where(rng.random(n) < _STIMULUS_SHARE, rng.choice([25, 50], n), 0)
    return _ObjekPajak(
        prefix=wilayah.sismiop,
        kelurahan=kelurahan.astype(np.int16),
        blok=(position // blok_size + 1).astype(np.int16),
        urut=(position % blok_size + 1).astype(np.int16),
        owner=owner.astype(np.int32),
        owner_names=person_names(rng, owners).str.to_uppercase(),
        luas_bumi=luas_bumi,
        luas_bangunan=luas_bangunan,
        njop_bumi=njop_bumi,
        njop_bangunan=njop_bangunan,
        njoptkp=njoptkp,
        terutang=terutang,
        pengurang=terutang * reduction // 100,
    )


def _pbb_terutang(njop: np.ndarray, njoptkp: np.ndarray) -> np.ndarray:
    """Tax assessed: tarif by NJOP band (0.1 %, 0.2 %, 0.3 %) × (NJOP − NJOPTKP), in whole Rupiah."""
    per_mille = np.select([njop <= _TARIF_BANDS[0], njop <= _TARIF_BANDS[1]], [1, 2], 3)
    return (np.maximum(njop - njoptkp, 0) * per_mille + 500) // 1000


def _jatuh_tempo(year: int) -> np.datetime64:
    return np.datetime64(f"{year}-08-31")


def _write_pbb_sppt(run: _Run, objects: _ObjekPajak) -> GeneratedFile:
    """The annual SPPT export, written in chunks so the register never becomes one big frame."""
    n = len(objects.kelurahan)
    due = _formatted(np.array([_jatuh_tempo(run.year)]))[0]

    def chunks() -> Iterator[pl.DataFrame]:
        for start in range(0, n, _SPPT_CHUNK):
            index = np.arange(start, min(start + _SPPT_CHUNK, n))
            yield pl.DataFrame({
                "NOP": objects.nop(index),
                "THN_PAJAK_SPPT": np.full(len(index), run.year),
                "NM_WP_SPPT": objects.owner_names.gather(objects.owner[index]),
                "LUAS_BUMI_SPPT": objects.luas_bumi[index],
                "LUAS_BNG_SPPT": objects.luas_bangunan[index],
                "NJOP_BUMI_SPPT": objects.njop_bumi[index],
                "NJOP_BNG_SPPT": objects.njop_bangunan[index],
                "NJOPTKP_SPPT": objects.njoptkp[index],
                "PBB_TERHUTANG_SPPT": objects.terutang[index],
                "FAKTOR_PENGURANG_SPPT": objects.pengurang[index],
                "PBB_YG_HARUS_DIBAYAR_SPPT": objects.harus_dibayar[index],
                "TGL_JATUH_TEMPO_SPPT": np.full(len(index), due),
            })

    defects = [*impossible_dates("TGL_JATUH_TEMPO_SPPT", run.year), *_NOP_DEFECTS, negative("NJOP_BUMI_SPPT")]
    return run.deliver(f"sismiop/pbb_sppt/{run.year}-01-03/sppt_pbb_{run.year}.csv", chunks(), defects)


@dataclass(frozen=True)
class _Payments:
    """All PBB-P2 payments of the year as arrays sorted by date (rows are built per month)."""

    objek: np.ndarray
    ke: np.ndarray
    tanggal: np.ndarray
    pokok: np.ndarray
    denda: np.ndarray
    tempat: np.ndarray


def _pbb_payments(run: _Run, objects: _ObjekPajak) -> _Payments:
    """Who pays when: most in full before the due date, some late with denda, some in instalments."""
    rng = run.rng("pbb_pembayaran")
    harus = objects.harus_dibayar
    n = len(harus)
    draw = rng.random(n)
    full = (harus > 0) & (draw < _P_FULL)
    partial = (harus >= 2_000) & (draw >= _P_FULL) & (draw < _P_FULL + _P_PARTIAL)
    late = rng.random(n) < _P_LATE
    month = np.where(
        late & full,
        rng.choice(_LATE_MONTHS, n, p=_LATE_WEIGHTS),
        np.where(full, rng.choice(_ON_TIME_MONTHS, n, p=_ON_TIME_WEIGHTS), rng.integers(4, 9, n)),
    )
    first_day = _random_days(rng, run.year, month)
    first = np.where(partial, harus * rng.uniform(0.3, 0.6, n) // 1_000 * 1_000, harus).astype(np.int64)
    first = np.where(first > 0, first, harus // 2)
    second = partial & (rng.random(n) < _P_SECOND)
    second_day = first_day + rng.integers(20, 101, n)
    paying = full | partial
    objek = np.concatenate([np.flatnonzero(paying), np.flatnonzero(second)])
    tanggal = np.concatenate([first_day[paying], second_day[second]])
    pokok = np.concatenate([first[paying], (harus - first)[second]])
    order = np.lexsort((objek, tanggal))
    tanggal = tanggal[order]
    return _Payments(
        objek=objek[order],
        ke=np.concatenate([np.ones(paying.sum(), dtype=np.int64), np.full(second.sum(), 2)])[order],
        tanggal=tanggal,
        pokok=pokok[order],
        denda=(pokok[order] * _months_late(tanggal, _jatuh_tempo(run.year)) * _DENDA_PERCENT_PER_MONTH + 50) // 100,
        tempat=rng.choice(len(_TEMPAT_BAYAR), len(objek), p=_TEMPAT_BAYAR_WEIGHTS),
    )


def _months_late(paid: np.ndarray, due: np.ndarray) -> np.ndarray:
    """Started months after the due date (a day past it counts as a month), capped as the law caps denda."""
    month_of = paid.astype("datetime64[M]")
    months = month_of.astype(int) - due.astype("datetime64[M]").astype(int)
    day = (paid - month_of).astype(int)
    due_day = (due - due.astype("datetime64[M]")).astype(int)
    months = months + (day > due_day)
    return np.clip(np.where(paid > due, months, 0), 0, _DENDA_MAX_MONTHS)


def _write_pbb_pembayaran(run: _Run, objects: _ObjekPajak) -> list[GeneratedFile]:
    """One payment file per month, delivered on the 5th of the next month."""
    payments = _pbb_payments(run, objects)
    run.realisasi["pbb_p2"] += int(payments.pokok.sum())
    bounds = _month_bounds(payments.tanggal, run.year)
    defects = [*impossible_dates("TGL_PEMBAYARAN_SPPT", run.year), *_NOP_DEFECTS, negative("JML_SPPT_YG_DIBAYAR")]
    files: list[GeneratedFile] = []
    written: list[pl.DataFrame] = []
    for month in range(1, 13):
        rows = slice(bounds[month - 1], bounds[month])
        frame = pl.DataFrame({
            "NOP": objects.nop(payments.objek[rows]),
            "THN_PAJAK_SPPT": np.full(rows.stop - rows.start, run.year),
            "PEMBAYARAN_SPPT_KE": payments.ke[rows],
            "TGL_PEMBAYARAN_SPPT": _formatted(payments.tanggal[rows]),
            "JML_SPPT_YG_DIBAYAR": payments.pokok[rows],
            "DENDA_SPPT": payments.denda[rows],
            "KD_TP": pick(_TEMPAT_BAYAR, payments.tempat[rows]),
        })
        extract = _PBB_PEMBAYARAN.deliver(run, month, frame, defects, written=written.append)
        files += [extract, _write_rekap_pbb(run, month, pl.concat(written))]
        written.clear()
    return files


def _write_rekap_pbb(run: _Run, month: int, extract: pl.DataFrame) -> GeneratedFile:
    """SISMIOP's monthly recap of the payment extract: per tempat bayar, transactions, pokok and denda.

    Totalled over the rows as written (typos included: SISMIOP's recap queries the same records),
    so bronze + quarantine of the extract add up to it exactly.
    """
    names = pl.DataFrame({"KD_TP": _TEMPAT_BAYAR, "NM_TP": _NAMA_TEMPAT_BAYAR})
    recap = (
        extract.group_by("KD_TP")
        .agg(JML_TRANSAKSI=pl.len(), TOTAL_POKOK=pl.col("JML_SPPT_YG_DIBAYAR").sum(), TOTAL_DENDA=pl.col("DENDA_SPPT").sum())
        .join(names, on="KD_TP", how="left")
        .sort("KD_TP")
        .select(pl.lit(f"{run.year}-{month:02d}").alias("MASA_BAYAR"), "KD_TP", "NM_TP", "JML_TRANSAKSI",
                "TOTAL_POKOK", "TOTAL_DENDA")
    )
    key = _REKAP_PBB.key(run.year, month)
    rows = write_csv(run.out_dir / key, [recap])
    run.report(_REKAP_PBB.dataset, rows)
    return GeneratedFile(key, _REKAP_PBB.dataset, rows, 0)


_LOST_MONTH = 7  # the busiest month before the August due date
_LOST_SHARE = 0.05
_LOST_DAYS_LATER = 3  # after the truncated re-delivery of the same month (bad files, two days later)


def _write_lost_rows(run: _Run, files: Sequence[GeneratedFile]) -> GeneratedFile:
    """A re-export of one month's payments, three days later, that lost its last rows.

    The file ends cleanly after the last row it has, so every file-level and row-level check passes;
    only the control total against the month's recap (delivered with the first export) can tell.
    """
    good = next(f for f in files if f.key == _PBB_PEMBAYARAN.key(run.year, _LOST_MONTH))
    lines = (run.out_dir / good.key).read_bytes().splitlines(keepends=True)
    lost = max(1, round(good.rows * _LOST_SHARE))
    key = _PBB_PEMBAYARAN.key(run.year, _LOST_MONTH, days_later=_LOST_DAYS_LATER)
    run.save(key, b"".join(lines[: len(lines) - lost]))
    run.report(_PBB_PEMBAYARAN.dataset, good.rows - lost)
    return GeneratedFile(key, _PBB_PEMBAYARAN.dataset, good.rows - lost, 0, "selisih_rekap")


# --- BPHTB -------------------------------------------------------------------------------------

_BPHTB_TARIF = 5
_PEROLEHAN = {  # jenis perolehan: (share, NPOPTKP, NPOP as a multiple of NJOP, low–high)
    "jual beli": (0.80, 80_000_000, (1.0, 1.8)),
    "hibah": (0.07, 80_000_000, (1.0, 1.0)),
    "waris": (0.09, 300_000_000, (1.0, 1.0)),
    "hibah wasiat": (0.01, 300_000_000, (1.0, 1.0)),
    "tukar menukar": (0.01, 80_000_000, (1.0, 1.5)),
    "lelang": (0.01, 80_000_000, (1.0, 1.3)),
    "pemasukan dalam perseroan": (0.01, 80_000_000, (1.2, 2.0)),
}
_TRANSFER_MONTH_WEIGHTS = _normalised(np.array([6, 7, 8, 8, 8, 8, 9, 9, 8, 8, 9, 12], dtype=float))  # year-end rush
_PPAT = 24  # notaries/PPAT active in the city


def _bphtb_terutang(npop: np.ndarray, npoptkp: np.ndarray) -> np.ndarray:
    return (np.maximum(npop - npoptkp, 0) * _BPHTB_TARIF + 50) // 100


def _transfers(run: _Run, objects: _ObjekPajak, n: int) -> tuple[pl.DataFrame, np.ndarray]:
    """The year's paid SSPD in payment order, and each one's payment day.

    Nil assessments (NPOP under NPOPTKP, common for inheritances) are never paid, so never appear;
    candidates are drawn with room to spare and the first ``n`` that owe BPHTB are kept.
    """
    rng = run.rng("bphtb_transaksi")
    objek = rng.choice(len(objects.njop), min(len(objects.njop), n * 2), replace=False)
    jenis = rng.choice(len(_PEROLEHAN), len(objek), p=[share for share, _, _ in _PEROLEHAN.values()])
    npoptkp = np.array([tkp for _, tkp, _ in _PEROLEHAN.values()])[jenis]
    low, high = np.array([bounds for _, _, bounds in _PEROLEHAN.values()]).T
    npop = np.round(objects.njop[objek] * rng.uniform(low[jenis], high[jenis]), -5).astype(np.int64)
    owing = np.flatnonzero(_bphtb_terutang(npop, npoptkp) > 0)[:n]
    bayar = _random_days(rng, run.year, rng.choice(np.arange(1, 13), len(owing), p=_TRANSFER_MONTH_WEIGHTS))
    order = np.argsort(bayar, kind="stable")
    kept = owing[order]
    bayar = bayar[order]
    terutang = _bphtb_terutang(npop[kept], npoptkp[kept])
    ppat = [f"PPAT-{code:03d}" for code in np.sort(rng.choice(np.arange(1, 100), _PPAT, replace=False))]
    frame = pl.DataFrame({
        "NO_SSPD": [f"SSPD-{run.year}-{number:06d}" for number in range(1, len(kept) + 1)],
        "NOP": objects.nop(objek[kept]),
        "TGL_PEROLEHAN": _formatted(bayar - rng.integers(1, 15, len(kept))),
        "JENIS_PEROLEHAN": pick(list(_PEROLEHAN), jenis[kept]),
        "NPOP": npop[kept],
        "NPOPTKP": npoptkp[kept],
        "TARIF": np.full(len(kept), _BPHTB_TARIF),
        "BPHTB_TERUTANG": terutang,
        "TGL_BAYAR": _formatted(bayar),
        "JML_BAYAR": terutang,
        "KD_PPAT": pick(ppat, _zipf_choice(rng, _PPAT, len(kept))),
        "NM_WP": person_names(rng, len(kept)).str.to_uppercase(),
    })
    return frame, bayar


def _write_bphtb(run: _Run, objects: _ObjekPajak, transfers: int) -> list[GeneratedFile]:
    """One file of paid SSPD per payment month, delivered on the 4th of the next month."""
    frame, bayar = _transfers(run, objects, transfers)
    run.realisasi["bphtb"] += int(frame["JML_BAYAR"].sum())
    bounds = _month_bounds(bayar, run.year)
    defects = [*impossible_dates("TGL_PEROLEHAN", run.year), *_NOP_DEFECTS, negative("JML_BAYAR")]
    return [_BPHTB.deliver(run, month, frame[bounds[month - 1] : bounds[month]], defects) for month in range(1, 13)]


def _zipf_choice(rng: np.random.Generator, options: int, n: int) -> np.ndarray:
    """Indices where a few options take most of the volume (busy notaries, main collectors)."""
    weights = 1 / np.arange(1, options + 1)
    return rng.choice(options, n, p=weights / weights.sum())


# --- SPTPD (SIMPATDA payment gateway) ----------------------------------------------------------


@dataclass(frozen=True)
class _JenisPajak:
    """A kind of self-assessed taxpayer: how many, how they register, what they turn over, when."""

    jenis: str
    rekening: str  # kode_jenis_pendapatan in the seed
    digit: int  # NPWPD jenis digit
    share: float | None  # share of taxpayers; None = all the rest
    badan: float  # share registered as a company (B) rather than a person (P)
    tarif: int
    objek: tuple[str, ...]  # kinds of business, combined with a local word into the object name
    omzet: float  # median monthly tax base (Rp)
    spread: float  # log-sd of size between taxpayers
    noise: float  # log-sd of month-to-month variation
    season: tuple[float, ...]  # factor per month
    ramadan: float  # relative change in the Ramadan/Lebaran window
    hinterland: bool = False  # quarries sit outside the town centre
    fixed: tuple[str, str] | None = None  # a single named taxpayer (wajib pajak, objek)


_JENIS_PAJAK = (
    _JenisPajak("makanan_minuman", "pbjt_makanan_minuman", 1, None, 0.15, 10,
                ("Rumah Makan", "RM", "Warung Makan", "Kedai Kopi", "Cafe", "Bakso", "Coto Makassar", "Ikan Bakar"),
                8e6, 1.0, 0.25, (0.95, 0.93, 1, 1, 1, 1, 1.05, 1.02, 1, 1, 1.02, 1.15), 0.3),
    _JenisPajak("perhotelan", "pbjt_perhotelan", 2, 0.04, 0.6, 10,
                ("Hotel", "Penginapan", "Wisma", "Guest House"),
                4e7, 0.9, 0.2, (0.85, 0.85, 0.9, 0.95, 0.95, 1, 1.15, 1.05, 0.95, 1, 1.05, 1.35), 0.2),
    _JenisPajak("parkir", "pbjt_parkir", 3, 0.03, 0.4, 10, ("Parkir",),
                1e7, 0.7, 0.15, (1, 1, 1, 1, 1, 1, 1.05, 1, 1, 1, 1, 1.1), 0.15),
    _JenisPajak("kesenian_hiburan", "pbjt_kesenian_hiburan", 4, 0.012, 0.5, 40, ("Karaoke", "Spa", "Pub"),
                2.5e7, 0.8, 0.25, (0.9, 0.9, 0.95, 1, 1, 1, 1.05, 1.1, 1, 1, 1, 1.3), -0.6),  # closed in Ramadan
    _JenisPajak("kesenian_hiburan", "pbjt_kesenian_hiburan", 4, 0.028, 0.3, 10,
                ("Billiard", "Bioskop", "Kolam Renang", "Arena Futsal"),
                1e7, 0.8, 0.25, (0.9, 0.9, 0.95, 1, 1, 1, 1.1, 1.05, 1, 1, 1, 1.2), -0.2),
    _JenisPajak("tenaga_listrik", "pbjt_tenaga_listrik", 5, None, 1.0, 10, (),
                1.2e10, 0.0, 0.05, (1, 0.95, 1, 1, 1.02, 1, 1, 1.02, 1.03, 1.08, 1.08, 1.05), 0.05,
                fixed=("PT PLN (Persero)", "PT PLN (Persero) UP3 Baubau")),
    _JenisPajak("mblb", "mblb", 6, 0.008, 0.9, 20, ("Tambang Batu", "Galian Pasir", "Quarry Batu Gamping"),
                6e7, 0.8, 0.3, (0.8, 0.8, 0.85, 0.9, 1, 1.1, 1.2, 1.25, 1.2, 1.1, 0.95, 0.85), -0.2,
                hinterland=True),
)
_P_FILE = 0.97  # a taxpayer files in a given month (the rest skip or close for the month)
_P_LUNAS = 0.92
_UNKNOWN_JENIS_PAJAK = "reklame"  # a real local tax, but not one this gateway handles


def _taxpayer_counts(n: int) -> list[int]:
    """Taxpayers per kind: named ones once, fixed shares at least one, restaurants the rest."""
    counts = [1 if kind.fixed else (_scaled(1, kind.share * n) if kind.share else 0) for kind in _JENIS_PAJAK]
    rest = next(i for i, kind in enumerate(_JENIS_PAJAK) if kind.share is None and not kind.fixed)
    counts[rest] = max(1, n - sum(counts))
    return counts


def _wajib_pajak(run: _Run, n: int) -> pl.DataFrame:
    """The register of self-assessing taxpayers, ordered by NPWPD, with their monthly base level."""
    rng = run.rng("sptpd", "register")
    frames = [_wajib_pajak_of(run, rng, number, count) for number, count in enumerate(_taxpayer_counts(n))]
    register = pl.concat(frames)
    serial = np.cumsum(rng.integers(1, 40, register.height)) + 1_000  # registration numbers with gaps
    npwpd = pl.concat_str(
        pl.col("golongan"), pl.col("digit").cast(pl.String), pl.lit(pl.Series(serial)).cast(pl.String).str.zfill(7),
        pl.col("suffix"), separator=".",
    )
    return register.with_columns(npwpd=npwpd).sort("npwpd")


def _wajib_pajak_of(run: _Run, rng: np.random.Generator, number: int, count: int) -> pl.DataFrame:
    kind = _JENIS_PAJAK[number]
    wilayah = run.wilayah
    kelurahan = rng.choice(len(wilayah.kode), count, p=wilayah.hinterland if kind.hinterland else wilayah.commerce)
    badan = rng.random(count) < kind.badan
    if kind.fixed:
        wajib, objek = pl.Series([kind.fixed[0]] * count), pl.Series([kind.fixed[1]] * count)
    else:
        wajib = pl.select(pl.when(pl.lit(pl.Series(badan))).then(company_names(rng, count)).otherwise(
            person_names(rng, count))).to_series()
        objek = business_names(rng, kind.objek, count)
    return pl.DataFrame({
        "kind": np.full(count, number),
        "golongan": np.where(badan, "B", "P"),
        "digit": np.full(count, kind.digit),
        "suffix": wilayah.npwpd.gather(kelurahan),
        "nama_wajib_pajak": wajib,
        "nama_objek_pajak": objek,
        "kode_kelurahan_objek": wilayah.kode.gather(kelurahan),
        "jenis_pajak": np.full(count, kind.jenis),
        "tarif_persen": np.full(count, kind.tarif),
        "omzet": kind.omzet * rng.lognormal(0, kind.spread, count),
        "fixed": np.full(count, kind.fixed is not None),
    })


def _write_sptpd(run: _Run, taxpayers: int) -> list[GeneratedFile]:
    """One JSON-lines file per masa pajak, delivered after the payment window (the 20th)."""
    register = _wajib_pajak(run, taxpayers)
    ramadan = _ramadan_share(run.year)
    factor = np.array([np.array(kind.season) * (1 + kind.ramadan * ramadan) for kind in _JENIS_PAJAK])
    defects = [
        *impossible_dates("masa_pajak_akhir", run.year, iso=True),
        negative("dasar_pengenaan"),
        replaced("kode_kelurahan_objek", UNKNOWN_KELURAHAN),
        Defect("npwpd", lambda npwpd: pl.concat_str(npwpd.str.slice(0, 4), npwpd.str.slice(5))),  # 6-digit serial
        replaced("jenis_pajak", _UNKNOWN_JENIS_PAJAK),
    ]
    fixed = register["fixed"].to_numpy()  # named taxpayers (PLN) file every month
    files = []
    for month in range(1, 13):
        rng = run.rng("sptpd", month)
        filed = register.filter(pl.Series((rng.random(register.height) < _P_FILE) | fixed))
        frame = _sptpd_month(run, rng, filed, month, factor[:, month - 1])
        files.append(_SPTPD.deliver(run, month, frame, defects))
    return files


def _sptpd_month(
    run: _Run, rng: np.random.Generator, filed: pl.DataFrame, month: int, factor: np.ndarray
) -> pl.DataFrame:
    """The returns filed for one masa pajak: base × seasonal ``factor`` per kind × noise, most paid
    by the 15th of the next month."""
    n = filed.height
    kind = filed["kind"].to_numpy()
    noise = np.array([jenis.noise for jenis in _JENIS_PAJAK])[kind]
    dasar = np.rint(filed["omzet"].to_numpy() * factor[kind] * rng.lognormal(0, noise)).astype(np.int64)
    starts = _month_starts(run.year)
    pajak = (dasar * filed["tarif_persen"].to_numpy() + 50) // 100
    lunas = (rng.random(n) < _P_LUNAS) | filed["fixed"].to_numpy()
    paid_at = (starts[month] + rng.integers(0, 15, n)).astype("datetime64[s]") + rng.integers(8 * 3600, 16 * 3600, n)
    _collect(run, pick([jenis.rekening for jenis in _JENIS_PAJAK], kind), np.where(lunas, pajak, 0))
    stamp = pl.Series(paid_at.astype("datetime64[ms]")).dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    return filed.select(
        pl.Series("nomor_sptpd", [f"SPTPD/{run.year}/{month:02d}/{number:06d}" for number in range(1, n + 1)]),
        "npwpd",
        "nama_wajib_pajak",
        "nama_objek_pajak",
        "kode_kelurahan_objek",
        "jenis_pajak",
        tahun_pajak=pl.lit(run.year),
        bulan_pajak=pl.lit(month),
        masa_pajak_awal=pl.lit(_formatted(starts[month - 1 : month], "%Y-%m-%d")[0]),
        masa_pajak_akhir=pl.lit(_formatted(starts[month : month + 1] - 1, "%Y-%m-%d")[0]),
        dasar_pengenaan=pl.Series(dasar),
        tarif_persen="tarif_persen",
        pajak_terutang=pl.Series(pajak),
        total_bayar=pl.when(pl.Series(lunas)).then(pl.Series(pajak)),
        status_bayar=pl.when(pl.Series(lunas)).then(pl.lit("LUNAS")).otherwise(pl.lit("BELUM BAYAR")),
        tanggal_bayar=pl.when(pl.Series(lunas)).then(stamp),
    )


def _collect(run: _Run, rekening: pl.Series, amounts: np.ndarray) -> None:
    """Add collected Rupiah to the revenue lines' realisasi (the targets are calibrated on it)."""
    totals = pl.DataFrame({"rekening": rekening, "amount": amounts}).group_by("rekening").agg(pl.col("amount").sum())
    for line, amount in totals.iter_rows():
        run.realisasi[line] += int(amount)


# --- Retribusi (e-retribusi) -------------------------------------------------------------------


def _levy_points(run: _Run, levy: _Levy, count: int) -> pl.DataFrame:
    """Where a levy is collected: named sites (numbered when there are more points than names) or
    customers in a kelurahan, each with its usual receipt size and collector."""
    rng = run.rng("retribusi", levy.jenis)
    wilayah = run.wilayah
    kelurahan = rng.choice(len(wilayah.kode), count, p=getattr(wilayah, levy.weights))
    if levy.sites:
        round_, site = np.divmod(np.arange(count), len(levy.sites))
        lokasi = pl.Series([levy.sites[s][0] + (f" {r + 1}" if r else "") for s, r in zip(site, round_, strict=True)])
        kelurahan = np.array([wilayah.index(levy.sites[s][1]) if levy.sites[s][1] else k
                              for s, k in zip(site, kelurahan, strict=True)], dtype=np.int64)
    else:
        lokasi = f"{_LEVY_LABEL[levy.jenis]} Kel. " + wilayah.nama.gather(kelurahan)
    collectors = max(3, -(-count // 50))
    petugas = pl.Series(rng.integers(1, collectors + 1, count)).cast(pl.String).str.zfill(3)
    staffed = pl.Series(rng.random(count) < levy.staffed)
    return pl.DataFrame({
        "LOKASI": lokasi,
        "KODE_KELURAHAN": wilayah.kode.gather(kelurahan),
        "KD_PETUGAS": pl.select(pl.when(staffed).then(pl.lit(f"{levy.code}-") + petugas)).to_series(),
        "base": levy.median * rng.lognormal(0, levy.spread, count),
    })


def _levy_month(run: _Run, levy: _Levy, points: pl.DataFrame, month: int) -> pl.DataFrame:
    """One month of a levy's receipts, numbered per levy in date order."""
    rng = run.rng("retribusi", levy.jenis, month)
    starts = _month_starts(run.year)
    if levy.per_day:
        days = int((starts[month] - starts[month - 1]).astype(int))
        point = np.tile(np.arange(points.height), days * levy.per_day)
        tanggal = starts[month - 1] + np.repeat(np.arange(days), points.height * levy.per_day)
    else:
        point = np.arange(points.height)
        tanggal = _random_days(rng, run.year, np.full(points.height, month))
    keep = rng.random(len(point)) < levy.presence
    point, tanggal = point[keep], tanggal[keep]
    raw = points["base"].to_numpy()[point] * rng.lognormal(0, levy.noise, len(point))
    amount = np.maximum(levy.step, np.round(raw / levy.step) * levy.step).astype(np.int64)
    order = np.lexsort((point, tanggal))
    number = pl.Series(np.arange(1, len(point) + 1)).cast(pl.String).str.zfill(7)
    return points[point[order]].select(
        NO_BUKTI=pl.lit(f"{levy.code}/{run.year}{month:02d}/") + number,
        TANGGAL=pl.Series(tanggal[order]),
        JENIS_RETRIBUSI=pl.lit(levy.jenis),
        LOKASI="LOKASI",
        KODE_KELURAHAN="KODE_KELURAHAN",
        JUMLAH=pl.Series(amount[order]),
        KD_PETUGAS="KD_PETUGAS",
    )


def _write_retribusi(run: _Run, points: dict[str, int]) -> list[GeneratedFile]:
    """One receipts file per month for all levies together, delivered on the 3rd of the next month."""
    registers = {levy.jenis: _levy_points(run, levy, points[levy.jenis]) for levy in _LEVIES}
    defects = [
        *impossible_dates("TANGGAL", run.year),
        negative("JUMLAH"),
        replaced("KODE_KELURAHAN", UNKNOWN_KELURAHAN),
    ]
    files = []
    for month in range(1, 13):
        receipts = pl.concat([_levy_month(run, levy, registers[levy.jenis], month) for levy in _LEVIES])
        _collect(run, "retribusi_" + receipts["JENIS_RETRIBUSI"], receipts["JUMLAH"].to_numpy())
        frame = receipts.sort("TANGGAL", "NO_BUKTI").with_columns(pl.col("TANGGAL").dt.strftime("%d/%m/%Y"))
        files.append(_RETRIBUSI.deliver(run, month, frame, defects))
    return files


# --- Target APBD (SIPD) ------------------------------------------------------------------------

_TARGET_HEADER = ("TAHUN ANGGARAN", "KODE REKENING", "URAIAN", "TARGET APBD MURNI", "TARGET APBD-P")
_CAPAIAN = (0.80, 1.05)  # realisasi as a share of the (last) target
_P_REVISED = 0.5  # lines whose target the APBD-P changed
_REVISION = (0.85, 1.15)  # APBD murni as a multiple of the revised target


def _write_target_apbd(run: _Run, reference_dir: Path) -> GeneratedFile:
    """The SIPD target sheet, calibrated so realisasi lands at 80–105 % of the target in force."""
    lines = pl.read_csv(reference_dir / "jenis_pendapatan.csv", infer_schema=False)
    rng = run.rng("target_apbd")
    n = lines.height
    realisasi = np.array([run.realisasi[kode] for kode in lines["kode_jenis_pendapatan"]], dtype=float)
    target = np.round(realisasi / rng.uniform(*_CAPAIAN, n), -3).astype(np.int64)
    revised = rng.random(n) < _P_REVISED
    murni = np.where(revised, np.round(target * rng.uniform(*_REVISION, n), -3), target).astype(np.int64)
    title = [
        ["PEMERINTAH KOTA BAUBAU"],
        [f"TARGET PENDAPATAN DAERAH TAHUN ANGGARAN {run.year}"],
        ["Sumber: SIPD"],
        [],
        list(_TARGET_HEADER),
    ]
    body = [
        [run.year, kode, uraian, int(m), int(t) if r else None]
        for kode, uraian, m, t, r in zip(
            lines["kode_rekening"], lines["nama_jenis_pendapatan"], murni, target, revised, strict=True
        )
    ]
    key = f"sipd/target_apbd/{run.year}-01-02/target_pendapatan_{run.year}.xlsx"
    run.save(key, xlsx_bytes("Target Pendapatan", title + body, datetime(run.year, 1, 2, 8, 0)))
    run.report("target_apbd", n)
    return GeneratedFile(key, "target_apbd", n, 0)


# --- Bad deliveries ----------------------------------------------------------------------------


def _truncated(data: bytes, rows: int) -> tuple[bytes, int]:
    """An upload cut off mid-row (connection dropped): no trailing newline, last row incomplete."""
    middle = len(data) * 3 // 5
    row_start = data.rfind(b"\n", 0, middle) + 1
    row_end = data.find(b"\n", middle)
    cut = (row_start + row_end) // 2
    return data[:cut], data[:row_start].count(b"\n") - 1


def _renamed_column(data: bytes, rows: int) -> tuple[bytes, int]:
    """A system upgrade renamed a column (KODE_KELURAHAN → KD_KELURAHAN) without notice."""
    header, body = data.split(b"\n", 1)
    return header.replace(b"KODE_KELURAHAN", b"KD_KELURAHAN") + b"\n" + body, rows


def _utf16(data: bytes, rows: int) -> tuple[bytes, int]:
    """Exported from a Windows tool as "Unicode text": UTF-16 with a byte-order mark."""
    return data.decode("utf-8").encode("utf-16"), rows


def _xlsx_named_csv(stamp: datetime) -> Callable[[bytes, int], tuple[bytes, int]]:
    """Opened in Excel, saved as a workbook, uploaded under the old .csv name."""

    def convert(data: bytes, rows: int) -> tuple[bytes, int]:
        table = (line.split(";") for line in data.decode("utf-8").splitlines())
        return xlsx_bytes("Sheet1", table, stamp), rows

    return convert


def _write_bad_files(run: _Run, files: Sequence[GeneratedFile]) -> list[GeneratedFile]:
    """Re-deliveries of good monthly files, broken as a whole, two days after the good one.

    Arriving later is what makes them dangerous: an ingest that let the latest delivery win would
    replace good data with them.
    """
    broken = (
        (_PBB_PEMBAYARAN, 7, _truncated),
        (_PBB_PEMBAYARAN, 1, _xlsx_named_csv(datetime(run.year, 2, 6, 9, 0))),
        (_RETRIBUSI, 5, _renamed_column),
        (_BPHTB, 9, _utf16),
    )
    delivered = {f.key: f for f in files}
    bad = []
    for monthly, month, damage in broken:
        good = delivered[monthly.key(run.year, month)]
        key = monthly.key(run.year, month, days_later=2)
        data, rows = damage((run.out_dir / good.key).read_bytes(), good.rows)
        run.save(key, data)
        run.report(monthly.dataset, rows)
        bad.append(GeneratedFile(key, monthly.dataset, rows, 0, "bad_file"))
    return bad


# --- Public API --------------------------------------------------------------------------------


def generate_tax(
    out_dir: Path,
    year: int = 2025,
    scale: float = 1.0,
    seed: int = 42,
    defect_rate: float = 0.01,
    bad_files: bool = True,
    progress: Callable[[str, int], None] | None = None,
    rekap_selisih: bool = False,
) -> list[GeneratedFile]:
    """Write a city-year of tax extracts under ``out_dir`` as ``<source>/<dataset>/<delivery date>/<file>``.

    ``scale`` 1.0 is a realistic Kota Baubau year (about 45 000 PBB objects, 800 PBJT/MBLB
    taxpayers, roughly 170 000 payment and receipt rows); every population scales linearly.
    About ``defect_rate`` of the rows in each CSV/JSONL delivery carry one planted defect each.
    With ``bad_files`` four extra deliveries are broken as a whole. With ``rekap_selisih`` July's
    PBB payments are re-exported three days later without their last rows (kind ``selisih_rekap``):
    a well-formed file that disagrees with the month's recap, which blocks the PBB marts until a
    complete re-delivery. It is off by default because a blocked PBB dataset holds back every
    revenue mart. ``progress(label, rows)`` is called with the number of rows just written.
    Returns the files sorted by key.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if not 0 <= defect_rate <= 1:
        raise ValueError(f"defect_rate must be between 0 and 1, got {defect_rate}")
    reference_dir = get_settings().reference_dir
    run = _Run(Path(out_dir), year, seed, defect_rate, progress, _load_wilayah(reference_dir))
    sizes = _sizes(scale)
    files = [
        *_write_property_taxes(run, sizes),
        *_write_sptpd(run, sizes.wajib_pajak),
        *_write_retribusi(run, sizes.levy_points),
        _write_target_apbd(run, reference_dir),
    ]
    if bad_files:
        files += _write_bad_files(run, files)
    if rekap_selisih:
        files.append(_write_lost_rows(run, files))
    return sorted(files, key=lambda generated: generated.key)


def _write_property_taxes(run: _Run, sizes: _Sizes) -> list[GeneratedFile]:
    """PBB-P2 and BPHTB share the object register, which is dropped once they are written."""
    objects = _objek_pajak(run, sizes.objek_pajak)
    return [
        _write_pbb_sppt(run, objects),
        *_write_pbb_pembayaran(run, objects),
        *_write_bphtb(run, objects, sizes.transfers),
    ]


def scale_for_rows(payment_rows: int) -> float:
    """The scale at which pbb_pembayaran + bphtb_transaksi + sptpd + retribusi hold about ``payment_rows`` rows.

    Solved on the expected row count of the same populations and probabilities the generator
    uses (bisection, because the smallest populations never drop below one).
    """
    low, high = 0.0, 1.0
    while _expected_payment_rows(high) < payment_rows:
        low, high = high, high * 2
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if _expected_payment_rows(middle) < payment_rows else (low, middle)
    return high


def _expected_payment_rows(scale: float) -> float:
    sizes = _sizes(scale)
    pbb = sizes.objek_pajak * (_P_FULL + _P_PARTIAL * (1 + _P_SECOND))
    counts = _taxpayer_counts(sizes.wajib_pajak)
    fixed = sum(count for count, kind in zip(counts, _JENIS_PAJAK, strict=True) if kind.fixed)
    sptpd = 12 * (fixed + (sum(counts) - fixed) * _P_FILE)
    retribusi = sum(
        sizes.levy_points[levy.jenis] * (levy.per_day * _DAYS_PER_YEAR if levy.per_day else 12) * levy.presence
        for levy in _LEVIES
    )
    return pbb + sizes.transfers + sptpd + retribusi
