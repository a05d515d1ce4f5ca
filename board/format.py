"""Numbers, money and dates the way an Indonesian reader expects them on the board.

Rupiah in words of scale (``Rp 1,2 miliar``, ``Rp 350 juta``) because a leader reads magnitudes,
not digits; thousands with a dot and decimals with a comma (``171.001``, ``86,4%``); Indonesian
month names. The exact value goes into a tooltip where an analyst may want to check it against
``satudata sql``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

NAMA_BULAN = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)
WITA = ZoneInfo("Asia/Makassar")
_SKALA = ((Decimal(10) ** 12, "triliun"), (Decimal(10) ** 9, "miliar"), (Decimal(10) ** 6, "juta"))

Number = int | float | Decimal


def angka(value: Number, digits: int = 0) -> str:
    """``1234567.5`` → ``1.234.567,5``: dot for thousands, comma for decimals (halves rounded up)."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{digits}f}"
    return text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")


def bilangan(value: Number, max_digits: int = 2) -> str:
    """A statistic as published: whole numbers without decimals (``171.001``), others up to two (``251,03``)."""
    text = angka(value, max_digits)
    return text.rstrip("0").rstrip(",") if "," in text else text


def perubahan(now: Number, before: Number | None) -> str | None:
    """Relative change for a tile's delta (``+5,2%``), or None when there is nothing to compare with."""
    if before is None or not before:
        return None
    change = (Decimal(str(now)) - Decimal(str(before))) / Decimal(str(before)) * 100
    return f"{'+' if change >= 0 else ''}{angka(change, 1)}%"


def _ringkas(value: Decimal) -> str:
    """One decimal below 100 of the unit (``1,2``), none above (``350``); a trailing ``,0`` dropped."""
    digits = 0 if abs(value) >= 100 else 1
    text = angka(value, digits)
    return text[:-2] if text.endswith(",0") else text


def rupiah(value: Number | None) -> str:
    """``Rp 1,2 miliar``, ``Rp 350 juta``, ``Rp 95.146`` (below a million in full)."""
    if value is None:
        return "–"
    amount = Decimal(str(value))
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    for unit, word in _SKALA:
        if amount >= unit:
            return f"{sign}Rp {_ringkas(amount / unit)} {word}"
    return f"{sign}Rp {angka(amount)}"


def rupiah_penuh(value: Number | None) -> str:
    """The exact amount in whole rupiah (``Rp 19.431.234.567``), for tooltips."""
    return "–" if value is None else f"Rp {angka(value)}"


def persen(value: Number | None, digits: int = 1) -> str:
    """``86.39`` → ``86,4%``."""
    return "–" if value is None else f"{angka(value, digits)}%"


def nama_bulan(bulan: int) -> str:
    return NAMA_BULAN[bulan - 1]


def periode(tahun: int, bulan: int) -> str:
    """``(2025, 2)`` → ``Februari 2025``."""
    return f"{nama_bulan(bulan)} {tahun}"


def tanggal(day: dt.date) -> str:
    """``2025-03-01`` → ``1 Maret 2025``."""
    return f"{day.day} {nama_bulan(day.month)} {day.year}"


def waktu(moment: dt.datetime | None) -> str:
    """A timestamp in Baubau time: ``30 November 2026 09.27 WITA``."""
    if moment is None:
        return "–"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(WITA)
    return f"{tanggal(local.date())} {local:%H.%M} WITA"
