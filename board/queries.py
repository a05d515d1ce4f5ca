"""Every figure the board shows, as a plain function over a read-only warehouse connection.

The page (``board/app.py``) only formats and draws what these return, so the tests can compare
each headline number with the same SQL on the warehouse. All results are aggregates: no NOP, no
taxpayer or patient, and health counts below :data:`SEL_MINIMUM` are suppressed like in the open
marts. A function whose mart is absent is never called: the page checks :func:`tabel_ada` first
and shows "Belum ada data" instead.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

Con = duckdb.DuckDBPyConnection

# Same threshold as the open marts (dbt var ``sel_minimum``): fewer visits than this could point
# at a person in a small kecamatan, so such cells are neither shown nor flagged.
SEL_MINIMUM = 5
# Measures whose kecamatan/kelurahan values add up to a city total (dim_dataset.ukuran); a ratio
# or an average would not, and is then shown without a city figure.
UKURAN_ADITIF = frozenset({"jumlah", "frekuensi", "luas", "berat", "volume"})


@dataclass(frozen=True)
class Periode:
    """A reporting month."""

    tahun: int
    bulan: int

    def sebelumnya(self) -> Periode:
        return Periode(self.tahun - (self.bulan == 1), (self.bulan - 2) % 12 + 1)

    def tahun_lalu(self) -> Periode:
        return Periode(self.tahun - 1, self.bulan)

    @property
    def hari_terakhir(self) -> dt.date:
        return dt.date(self.tahun, self.bulan, calendar.monthrange(self.tahun, self.bulan)[1])


def tabel_ada(con: Con, *names: str) -> bool:
    """Whether every named mart is in this warehouse (a domain not loaded yet has none)."""
    found = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return all(n in found for n in names)


def _one(con: Con, sql: str, params: list[Any] | None = None) -> dict[str, Any]:
    rel = con.execute(sql, params or [])
    cols = [d[0] for d in rel.description]
    row = rel.fetchone()
    return dict(zip(cols, row)) if row else {}


def _frame(con: Con, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _ratio(part: Any, whole: Any) -> float | None:
    return None if part is None or not whole else float(Decimal(str(part)) / Decimal(str(whole)) * 100)


# --------------------------------------------------------------------------- pendapatan
def posisi_pad(con: Con) -> Periode | None:
    """The budget year on show and its latest booked month.

    The latest year that has an APBD target: receipts of early January are booked on the new year
    before its budget is loaded, and a year without a target has no capaian to show.
    """
    row = _one(con, """
        SELECT coalesce(max(tahun) FILTER (WHERE target_tahunan IS NOT NULL), max(tahun)) AS tahun
        FROM fct_realisasi_pad_bulanan WHERE tingkat_wilayah = 'kota'""")
    if not row or row["tahun"] is None:
        return None
    bulan = _one(con, "SELECT max(bulan) AS bulan FROM fct_realisasi_pad_bulanan WHERE tingkat_wilayah = 'kota' AND tahun = ?",
                 [row["tahun"]])["bulan"]
    return Periode(int(row["tahun"]), int(bulan))


def ringkasan_pad(con: Con, p: Periode) -> dict[str, Any]:
    """Year-to-date realisation against the annual target, and the share of the year elapsed.

    ``persen_jadwal`` is the cumulative target of this month over the annual one, so a capaian
    below it means the city is behind its own schedule.
    """
    row = _one(con, """
        SELECT sum(realisasi_kumulatif) AS realisasi_kumulatif, sum(target_tahunan) AS target_tahunan,
               sum(target_kumulatif) AS target_kumulatif, sum(denda) AS denda_bulan_ini
        FROM fct_realisasi_pad_bulanan WHERE tingkat_wilayah = 'kota' AND tahun = ? AND bulan = ?""", [p.tahun, p.bulan])
    row["persen_capaian"] = _ratio(row["realisasi_kumulatif"], row["target_tahunan"])
    row["persen_jadwal"] = _ratio(row["target_kumulatif"], row["target_tahunan"])
    return row


def pad_per_jenis(con: Con, p: Periode) -> pd.DataFrame:
    """Per revenue type: year-to-date realisation, target, capaian and the gap to this month's target."""
    return _frame(con, """
        SELECT nama_jenis_pendapatan, kelompok,
               realisasi_kumulatif::DOUBLE AS realisasi_kumulatif, target_tahunan::DOUBLE AS target_tahunan,
               target_kumulatif, persen_capaian,
               100 * realisasi_kumulatif::DOUBLE / nullif(target_kumulatif, 0) AS persen_terhadap_jadwal,
               target_kumulatif - realisasi_kumulatif::DOUBLE AS kekurangan
        FROM fct_realisasi_pad_bulanan
        WHERE tingkat_wilayah = 'kota' AND tahun = ? AND bulan = ?
        ORDER BY realisasi_kumulatif DESC""", [p.tahun, p.bulan])


def pad_tertinggal(con: Con, p: Periode, n: int = 5) -> pd.DataFrame:
    """The revenue lines furthest behind target: lowest realisation against this month's cumulative target.

    Compared with the target due so far rather than the annual one, so a line with a seasonal
    target is not flagged merely for being early in the year.
    """
    frame = pad_per_jenis(con, p)
    frame = frame[frame["persen_terhadap_jadwal"].notna()]
    return frame.sort_values("persen_terhadap_jadwal").head(n).reset_index(drop=True)


def pad_bulanan(con: Con, tahun: int) -> pd.DataFrame:
    """Realisation per month of the year and the cumulative line against the cumulative target."""
    return _frame(con, """
        SELECT bulan, sum(realisasi)::DOUBLE AS realisasi, sum(realisasi_kumulatif)::DOUBLE AS realisasi_kumulatif,
               sum(target_kumulatif) AS target_kumulatif
        FROM fct_realisasi_pad_bulanan WHERE tingkat_wilayah = 'kota' AND tahun = ?
        GROUP BY bulan ORDER BY bulan""", [tahun])


def tunggakan_pbb(con: Con) -> tuple[int | None, pd.DataFrame]:
    """PBB-P2 arrears per kecamatan for the latest tax year (kelurahan rows added up)."""
    tahun = _one(con, "SELECT max(tahun_pajak) AS t FROM fct_tunggakan_pbb").get("t")
    if tahun is None:
        return None, pd.DataFrame()
    frame = _frame(con, """
        SELECT nama_kecamatan, sum(jumlah_sppt)::BIGINT AS jumlah_sppt, sum(ketetapan)::DOUBLE AS ketetapan,
               sum(terbayar)::DOUBLE AS terbayar, sum(tunggakan)::DOUBLE AS tunggakan,
               100 * sum(tunggakan)::DOUBLE / nullif(sum(ketetapan)::DOUBLE, 0) AS persen_tunggakan
        FROM fct_tunggakan_pbb WHERE tahun_pajak = ?
        GROUP BY nama_kecamatan ORDER BY tunggakan DESC""", [tahun])
    return int(tahun), frame


def pad_per_kapita(con: Con, tahun: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """PAD per resident for the city (tile) and per kecamatan (bars), for ``tahun`` or the latest year."""
    pilih = _one(con, "SELECT coalesce(max(tahun) FILTER (WHERE tahun = ?), max(tahun)) AS t FROM fct_pad_per_kapita", [tahun])["t"]
    kota = _one(con, """
        SELECT tahun, realisasi_pad, jumlah_penduduk, tahun_penduduk, pad_per_kapita
        FROM fct_pad_per_kapita WHERE tingkat_wilayah = 'kota' AND tahun = ?""", [pilih])
    kecamatan = _frame(con, """
        SELECT nama_wilayah, pad_per_kapita::DOUBLE AS pad_per_kapita, jumlah_penduduk
        FROM fct_pad_per_kapita WHERE tingkat_wilayah = 'kecamatan' AND tahun = ?
        ORDER BY pad_per_kapita DESC""", [pilih])
    return kota, kecamatan


# --------------------------------------------------------------------------- kesehatan
def batas_data_kesehatan(con: Con) -> dt.date | None:
    """The last service day the FHIR feeds have delivered (from the ledger), if the ledger is there."""
    if not tabel_ada(con, "fct_buku_besar_berkas"):
        return None
    row = _one(con, """
        SELECT max(try_cast(periode AS DATE)) AS hari FROM fct_buku_besar_berkas
        WHERE dataset = 'fhir' AND status = 'dimuat'""")
    return row.get("hari")


def bulan_kesehatan(con: Con) -> Periode | None:
    """The latest complete month of visits.

    A month whose last day has not been delivered yet would compare a few days with a whole month
    (a false collapse in visits), so the latest month counts only once the feeds reach its end.
    """
    months = con.execute("SELECT DISTINCT tahun, bulan FROM fct_kunjungan_faskes_bulanan ORDER BY 1 DESC, 2 DESC").fetchall()
    if not months:
        return None
    latest = Periode(*months[0])
    batas = batas_data_kesehatan(con)
    if batas is not None and batas < latest.hari_terakhir and len(months) > 1:
        return Periode(*months[1])
    return latest


def _kunjungan(con: Con, p: Periode) -> int | None:
    row = _one(con, "SELECT sum(jumlah_kunjungan) AS n, count(*) AS baris FROM fct_kunjungan_faskes_bulanan WHERE tahun = ? AND bulan = ?",
               [p.tahun, p.bulan])
    return int(row["n"]) if row["baris"] else None


def ringkasan_kunjungan(con: Con, p: Periode) -> dict[str, int | None]:
    """Visits this month, last month and in the same month a year earlier (None where no data)."""
    return {"bulan_ini": _kunjungan(con, p), "bulan_lalu": _kunjungan(con, p.sebelumnya()),
            "tahun_lalu": _kunjungan(con, p.tahun_lalu())}


def kunjungan_per_faskes(con: Con, p: Periode) -> pd.DataFrame:
    """Visits per faskes this month and last month; faskes under SEL_MINIMUM this month left out."""
    prev = p.sebelumnya()
    return _frame(con, f"""
        SELECT nama_faskes, any_value(jenis_faskes) AS jenis_faskes,
               sum(jumlah_kunjungan) FILTER (WHERE tahun = ? AND bulan = ?)::BIGINT AS bulan_ini,
               sum(jumlah_kunjungan) FILTER (WHERE tahun = ? AND bulan = ?)::BIGINT AS bulan_lalu
        FROM fct_kunjungan_faskes_bulanan
        GROUP BY nama_faskes
        HAVING bulan_ini >= {SEL_MINIMUM}
        ORDER BY bulan_ini DESC""", [p.tahun, p.bulan, prev.tahun, prev.bulan])


def kunjungan_per_penjamin(con: Con, p: Periode) -> pd.DataFrame:
    """Visits per payer (BPJS/UMUM) and visit class this month; cells under SEL_MINIMUM left out."""
    return _frame(con, f"""
        SELECT penjamin, CASE kelas WHEN 'AMB' THEN 'Rawat jalan' WHEN 'IMP' THEN 'Rawat inap'
                                    WHEN 'EMER' THEN 'Gawat darurat' ELSE kelas END AS kelas,
               sum(jumlah_kunjungan)::BIGINT AS jumlah_kunjungan
        FROM fct_kunjungan_faskes_bulanan WHERE tahun = ? AND bulan = ?
        GROUP BY ALL HAVING sum(jumlah_kunjungan) >= {SEL_MINIMUM}
        ORDER BY penjamin, jumlah_kunjungan DESC""", [p.tahun, p.bulan])


def penyakit_terbanyak(con: Con, p: Periode, n: int = 10) -> pd.DataFrame:
    """The city's most frequent diagnoses this month (all kecamatan together)."""
    return _frame(con, f"""
        SELECT kode_icd10, any_value(nama_bab_icd10) AS nama_bab_icd10, sum(jumlah_kunjungan)::BIGINT AS jumlah_kunjungan
        FROM fct_penyakit_terbanyak WHERE tahun = ? AND bulan = ?
        GROUP BY kode_icd10 HAVING sum(jumlah_kunjungan) >= {SEL_MINIMUM}
        ORDER BY jumlah_kunjungan DESC, kode_icd10 LIMIT {int(n)}""", [p.tahun, p.bulan])


def skrining_tekanan_darah(con: Con, p: Periode) -> tuple[dict[str, Any], pd.DataFrame]:
    """Share of adult outpatient visits with a blood-pressure reading, city-wide and per faskes."""
    kota = _one(con, """
        SELECT sum(kunjungan_dewasa_rawat_jalan) AS dewasa, sum(kunjungan_diukur) AS diukur,
               sum(kunjungan_tekanan_tinggi) AS tinggi
        FROM fct_skrining_tekanan_darah WHERE tahun = ? AND bulan = ?""", [p.tahun, p.bulan])
    kota["persen_diukur"] = _ratio(kota["diukur"], kota["dewasa"])
    kota["persen_tinggi"] = _ratio(kota["tinggi"], kota["diukur"])
    faskes = _frame(con, f"""
        SELECT nama_faskes, sum(kunjungan_dewasa_rawat_jalan)::BIGINT AS dewasa,
               100 * sum(kunjungan_diukur) / sum(kunjungan_dewasa_rawat_jalan) AS persen_diukur
        FROM fct_skrining_tekanan_darah WHERE tahun = ? AND bulan = ?
        GROUP BY nama_faskes HAVING sum(kunjungan_dewasa_rawat_jalan) >= {SEL_MINIMUM}
        ORDER BY persen_diukur""", [p.tahun, p.bulan])
    return kota, faskes


# --------------------------------------------------------------------------- statistik sektoral
def indikator_utama(con: Con) -> pd.DataFrame:
    """One headline per OPD indicator: the city figure of its latest year, with unit and the year before it.

    The city figure is the sum over the table's regions only for additive measures (counts,
    areas, tonnages); ``lengkap`` is false when some region's value is not available or
    confidential, so the total is a lower bound.
    """
    meta = "LEFT JOIN dim_dataset AS d USING (dataset)" if tabel_ada(con, "dim_dataset") else ""
    produsen = "coalesce(d.produsen_nama, s.produsen)" if meta else "s.produsen"
    ukuran = "d.ukuran" if meta else "NULL"
    frame = _frame(con, f"""
        WITH per_tahun AS (
            SELECT s.dataset, s.indikator, any_value(s.nama_indikator) AS nama_indikator,
                   any_value(s.judul_dataset) AS judul_dataset, any_value({produsen}) AS produsen,
                   any_value(s.satuan) AS satuan, any_value({ukuran}) AS ukuran, s.tahun,
                   sum(s.nilai)::DOUBLE AS nilai,
                   bool_and(s.status_nilai IN ('ada', 'nihil')) AS lengkap
            FROM fct_statistik_sektoral AS s {meta}
            GROUP BY s.dataset, s.indikator, s.tahun
        )
        SELECT *, lag(nilai) OVER w AS nilai_sebelumnya, lag(tahun) OVER w AS tahun_sebelumnya
        FROM per_tahun
        WINDOW w AS (PARTITION BY dataset, indikator ORDER BY tahun)
        QUALIFY tahun = max(tahun) OVER (PARTITION BY dataset, indikator)
        ORDER BY produsen, dataset, indikator""")
    aditif = frame["ukuran"].isna() | frame["ukuran"].isin(UKURAN_ADITIF)
    frame.loc[~aditif, ["nilai", "nilai_sebelumnya"]] = None
    return frame
