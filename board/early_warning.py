"""Early warning: diagnosis × kecamatan cells whose count this week is well above their own history.

Why weekly and against the previous weeks: an outbreak (dengue, diarrhoea) shows within days, and
the platform holds only weeks of health data, so "the same month in earlier years" has no history
yet. Each cell is compared with itself, so a kecamatan that always has many ISPA visits does not
alarm, while a quiet one that suddenly has ten does. Weeks without visits in a cell's history
count as zero (from the first week of data on, not before it). Cells under the open marts'
minimum are neither flagged nor shown, so a warning never points at one or two people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from board.format import angka, nama_bulan, tanggal
from board.queries import SEL_MINIMUM, Con, batas_data_kesehatan


@dataclass(frozen=True)
class Aturan:
    """The rule's parameters; :meth:`uraian` is the sentence the board shows next to the list."""

    minggu_riwayat: int = 8
    minimal_riwayat: int = 4
    faktor_sd: float = 2.0
    minimal_kunjungan: int = SEL_MINIMUM

    def uraian(self) -> str:
        return (
            f"Sel diagnosis × kecamatan ditandai bila jumlah kunjungan minggu ini ≥ {self.minimal_kunjungan} "
            f"dan melebihi rata-rata + {angka(self.faktor_sd, 1 if self.faktor_sd % 1 else 0)} × simpangan baku "
            f"{self.minggu_riwayat} minggu sebelumnya (minimal {self.minimal_riwayat} minggu riwayat; "
            f"minggu tanpa kunjungan dihitung 0). Sel dengan kurang dari {SEL_MINIMUM} kunjungan tidak ditampilkan."
        )


ATURAN = Aturan()


def minggu_evaluasi(con: Con) -> dt.date | None:
    """Monday of the latest complete week: a week the feeds have not delivered to its Sunday would look quiet."""
    latest = con.execute("SELECT max(minggu) FROM fct_penyakit_mingguan").fetchone()[0]
    if latest is None:
        return None
    batas = batas_data_kesehatan(con)
    if batas is not None and batas < latest + dt.timedelta(days=6):
        return latest - dt.timedelta(days=7)
    return latest


def peringatan_dini(con: Con, minggu: dt.date, aturan: Aturan = ATURAN) -> pd.DataFrame:
    """Cells of ``minggu`` that break the rule, with their count, history mean, s.d. and threshold."""
    return con.execute(
        """
        WITH data AS (
            SELECT minggu, kode_kecamatan, nama_kecamatan, kode_icd10, nama_bab_icd10, jumlah_kunjungan
            FROM fct_penyakit_mingguan WHERE minggu <= $minggu
        ),
        minggu_ada AS (  -- every week from the first one with data (a gap is a week with no visits)
            SELECT unnest(generate_series((SELECT min(minggu) FROM data)::TIMESTAMP, $minggu::TIMESTAMP,
                                          INTERVAL 7 DAY))::DATE AS minggu
        ),
        sel AS (
            SELECT kode_kecamatan, kode_icd10, any_value(nama_kecamatan) AS nama_kecamatan,
                   any_value(nama_bab_icd10) AS nama_bab_icd10
            FROM data GROUP BY ALL
        ),
        deret AS (
            SELECT s.*, m.minggu, coalesce(d.jumlah_kunjungan, 0) AS jumlah
            FROM sel AS s CROSS JOIN minggu_ada AS m
            LEFT JOIN data AS d USING (kode_kecamatan, kode_icd10, minggu)
        ),
        riwayat AS (
            SELECT kode_kecamatan, kode_icd10, count(*) AS minggu_riwayat, avg(jumlah) AS rata_rata,
                   coalesce(stddev_samp(jumlah), 0) AS simpangan_baku
            FROM deret
            WHERE minggu < $minggu AND minggu >= $minggu - to_days(7 * $n)
            GROUP BY ALL
        )
        SELECT d.nama_kecamatan, d.kode_icd10, d.nama_bab_icd10, d.jumlah AS jumlah_kunjungan,
               r.rata_rata, r.simpangan_baku, r.rata_rata + $faktor * r.simpangan_baku AS ambang, r.minggu_riwayat
        FROM deret AS d JOIN riwayat AS r USING (kode_kecamatan, kode_icd10)
        WHERE d.minggu = $minggu AND d.jumlah >= $minimal AND r.minggu_riwayat >= $minimal_riwayat
          AND d.jumlah > r.rata_rata + $faktor * r.simpangan_baku
        ORDER BY d.jumlah - ambang DESC, d.nama_kecamatan, d.kode_icd10
        """,
        {"minggu": minggu, "n": aturan.minggu_riwayat, "faktor": aturan.faktor_sd,
         "minimal": max(aturan.minimal_kunjungan, SEL_MINIMUM), "minimal_riwayat": aturan.minimal_riwayat},
    ).df()


def label_minggu(minggu: dt.date) -> str:
    """``2025-02-17`` → ``17–23 Februari 2025`` (the week's Monday to Sunday)."""
    akhir = minggu + dt.timedelta(days=6)
    if minggu.month == akhir.month:
        awal = str(minggu.day)
    elif minggu.year == akhir.year:
        awal = f"{minggu.day} {nama_bulan(minggu.month)} "
    else:
        awal = f"{tanggal(minggu)} "
    return f"{awal}–{tanggal(akhir)}" if minggu.month == akhir.month else f"{awal}– {tanggal(akhir)}"
