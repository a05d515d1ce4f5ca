"""Indonesian number, money and date formatting on the Command Center board."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from board.format import angka, bilangan, nama_bulan, periode, persen, perubahan, rupiah, rupiah_penuh, tanggal, waktu


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_234_567_890, "Rp 1,2 miliar"),
        (350_000_000, "Rp 350 juta"),
        (350_400_000, "Rp 350 juta"),  # three digits of the unit need no decimal
        (19_431_234_567, "Rp 19,4 miliar"),
        (2_000_000_000, "Rp 2 miliar"),  # no ",0"
        (1_500_000, "Rp 1,5 juta"),
        (Decimal("95146.39"), "Rp 95.146"),  # below a million in full, thousands with a dot
        (1_250_000_000_000, "Rp 1,3 triliun"),
        (-3_000_000, "-Rp 3 juta"),
        (None, "–"),
    ],
)
def test_rupiah_in_words_of_scale(value, text):
    assert rupiah(value) == text


def test_exact_rupiah_and_numbers_use_dot_thousands_and_comma_decimals():
    assert rupiah_penuh(Decimal("16270127042.00")) == "Rp 16.270.127.042"
    assert angka(171001) == "171.001"
    assert angka(1234567.5, 1) == "1.234.567,5"
    assert bilangan(251.03) == "251,03" and bilangan(6450.80) == "6.450,8" and bilangan(171001.0) == "171.001"
    assert persen(86.39) == "86,4%" and persen(100) == "100,0%" and persen(None) == "–"
    assert perubahan(1214, 1327) == "-8,5%" and perubahan(110, 100) == "+10,0%"
    assert perubahan(5, None) is None and perubahan(5, 0) is None


def test_indonesian_months_and_wita_times():
    assert [nama_bulan(m) for m in (1, 2, 5, 8, 12)] == ["Januari", "Februari", "Mei", "Agustus", "Desember"]
    assert periode(2025, 2) == "Februari 2025"
    assert tanggal(dt.date(2025, 3, 1)) == "1 Maret 2025"
    # 23.30 UTC is already the next day in Baubau (UTC+8)
    assert waktu(dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.timezone.utc)) == "30 November 2026 07.30 WITA"
