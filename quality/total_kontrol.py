"""Control totals: a dataset's totals per period against the recap its source system delivered.

Tax systems send, with each monthly extract, a recap of what the extract holds (rekap penerimaan:
number of transactions, total pokok, total denda). A declaration names that recap in
``quality.total_kontrol`` (:class:`~satudata.contracts.ControlTotal`), and this check compares,
per period and optional group, the two sides:

- **what the source sent** for the period: the bronze rows of the period *plus* the quarantined
  rows of the delivery that produced them, re-typed from their delivered text with the same
  typing as at ingest (:func:`ingest.rules.retyped`). A row quarantined by a rule was still sent
  and counted by the recap; leaving it out would make every delivery with a planted typo
  "disagree" with its recap. What the recap catches is what rules cannot: rows that never
  arrived (an export cut short) or arrived twice;
- **the recap**: the bronze of the recap dataset for the same period.

All periods in bronze are compared at every validation, not only the ones just loaded: a recap
may arrive after its extract, and a mismatch stays visible (and blocking, for ``error``) until a
corrected delivery fixes it. Each side is one aggregate query, cheap next to loading. A period
whose recap has not arrived passes with the note "rekap belum diterima".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ingest import ledger
from ingest.rules import q, retyped
from satudata import objectstore
from satudata.contracts import ROW_COUNT_MEASURE, ControlTotal, Dataset, get_dataset
from satudata.settings import Settings


@dataclass(frozen=True)
class PeriodTotal:
    """The comparison of one period: passed, what a steward reads, and every difference found."""

    period: str
    passed: bool
    observed: str
    differences: list[str]
    compared: int


def _bronze(settings: Settings, dataset: Dataset) -> str:
    return (f"read_parquet('{settings.lake_uri(dataset.bronze_prefix)}*/*.parquet', "
            "hive_partitioning = true, hive_types_autocast = false)")


def _has_bronze(settings: Settings, dataset: Dataset) -> bool:
    return any(True for _ in objectstore.list_keys(settings, settings.bucket_lake, dataset.bronze_prefix + "periode="))


def _in(periods: list[str]) -> str:
    return ", ".join("'" + p.replace("'", "''") + "'" for p in periods)


def _aggregates(control: ControlTotal) -> str:
    measures = []
    for i, (column, _) in enumerate(control.ukuran):
        if column == ROW_COUNT_MEASURE:
            measures.append(f"count(*) AS m{i}, 0 AS kosong{i}")
        else:
            measures.append(f"sum({q(column)}) AS m{i}, count(*) FILTER (WHERE {q(column)} IS NULL) AS kosong{i}")
    return ", ".join(measures)


def _groups(pairs: tuple[tuple[str, str], ...], as_expression: bool) -> str:
    """Group keys as text (both sides join on them); ``as_expression``: the declared SQL, else a recap column."""
    return "".join(f"CAST(({expr if as_expression else q(col)}) AS VARCHAR) AS g{i}, "
                   for i, (col, expr) in enumerate(pairs))


def _sent_sql(settings: Settings, dataset: Dataset, control: ControlTotal, periods: list[str],
              deliveries: dict[str, ledger.LedgerEntry]) -> str:
    """Per period and group, the totals of bronze + the quarantine of the delivery behind each period."""
    groups, measures = _groups(control.kelompok, True), _aggregates(control)
    parts = [f"SELECT periode, {groups}{measures} FROM {_bronze(settings, dataset)} WHERE periode IN ({_in(periods)}) GROUP BY ALL"]
    kept = ", ".join(f"{q('asli:' + c.source)} AS {q(c.source)}" for c in dataset.columns)
    typed = ", ".join(f"{retyped(c, dataset.format.decimal)} AS {q(c.name)}" for c in dataset.columns)
    for period in periods:
        entry = deliveries.get(period)
        if entry is None or not entry.objek_karantina:
            continue
        uri = settings.lake_uri(entry.objek_karantina)
        parts.append(
            f"SELECT '{period}' AS periode, {groups}{measures} FROM "
            f"(SELECT {typed} FROM (SELECT {kept} FROM read_parquet('{uri}')) AS src) GROUP BY ALL"
        )
    sums = ", ".join(f"sum(m{i}) AS m{i}, sum(kosong{i}) AS kosong{i}" for i in range(len(control.ukuran)))
    keys = "".join(f"g{i}, " for i in range(len(control.kelompok)))
    return f"SELECT periode, {keys}{sums} FROM ({' UNION ALL '.join(parts)}) GROUP BY ALL"


def _recap_sql(settings: Settings, recap: Dataset, control: ControlTotal, periods: list[str]) -> str:
    measures = ", ".join(f"sum({q(column)}) AS m{i}" for i, (_, column) in enumerate(control.ukuran))
    return (f"SELECT periode, {_groups(control.kelompok, False)}{measures} FROM {_bronze(settings, recap)} "
            f"WHERE periode IN ({_in(periods)}) GROUP BY ALL")


def number_text(value: Decimal | int | float, rupiah: bool) -> str:
    """Indonesian notation: ``Rp 1.234.567,50``; whole numbers without decimals."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        text = f"{int(number):,}"
    else:
        text = f"{number:,.2f}"
    text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"Rp {text}" if rupiah else text


Totals = dict[tuple, tuple]  # (periode, group values…) → measure totals


def compare(con, settings: Settings, dataset: Dataset, control: ControlTotal, periods: list[str],
            deliveries: dict[str, ledger.LedgerEntry]) -> list[PeriodTotal]:
    """Compare ``periods`` of ``dataset`` with its recap; one result per period, in order."""
    if not periods:
        return []
    recap = get_dataset(settings, control.rekap)
    k = len(control.kelompok)
    recap_rows = con.execute(_recap_sql(settings, recap, control, periods)).fetchall() if _has_bronze(settings, recap) else []
    sent_rows = con.execute(_sent_sql(settings, dataset, control, periods, deliveries)).fetchall()
    sent = {tuple(r[: 1 + k]): tuple(r[1 + k :]) for r in sent_rows}
    recaps = {tuple(r[: 1 + k]): tuple(r[1 + k :]) for r in recap_rows}
    rupiah = dataset.satu_data.satuan.lower().startswith(("rupiah", "rp"))
    return judge(control, periods, sent, recaps, rupiah)


def judge(control: ControlTotal, periods: list[str], sent: Totals, recaps: Totals, rupiah: bool) -> list[PeriodTotal]:
    """The verdict per period from both sides' totals.

    ``sent`` holds per key the totals and unreadable-row counts interleaved (``m0, kosong0, m1, …``);
    ``recaps`` the recap totals (``m0, m1, …``). A key on one side only counts as zero on the other.
    """
    n = len(control.ukuran)
    group_names = [col for col, _ in control.kelompok]
    results = []
    for period in sorted(periods):
        keys = sorted({key for key in (*sent, *recaps) if key[0] == period}, key=lambda key: [str(x) for x in key])
        if not any(key in recaps for key in keys):
            results.append(PeriodTotal(period, True, f"{period}: rekap belum diterima ({control.rekap})", [], 0))
            continue
        differences, compared = [], 0
        for key in keys:
            label = period + "".join(f" {name}={value if value is not None else '(kosong)'}"
                                     for name, value in zip(group_names, key[1:], strict=True))
            ours = sent.get(key) or (None,) * (2 * n)
            theirs = recaps.get(key) or (None,) * n
            for i, (column, recap_column) in enumerate(control.ukuran):
                compared += 1
                own, expected = Decimal(str(ours[2 * i] or 0)), Decimal(str(theirs[i] or 0))
                difference = own - expected
                if abs(difference) <= Decimal(str(control.toleransi)):
                    continue
                money = rupiah and column != ROW_COUNT_MEASURE
                unreadable = ours[2 * i + 1] or 0
                note = f"; {unreadable} baris karantina tanpa nilai {column} terbaca" if unreadable else ""
                differences.append(
                    f"{label}: {column} — rekap ({recap_column}) {number_text(expected, money)}, "
                    f"bronze+karantina {number_text(own, money)}, selisih {number_text(abs(difference), money)} "
                    f"({'kurang' if difference < 0 else 'lebih'} dari rekap){note}"
                )
        if differences:
            more = f" (dan {len(differences) - 1} selisih lain)" if len(differences) > 1 else ""
            results.append(PeriodTotal(period, False, differences[0] + more, differences, compared))
        else:
            results.append(PeriodTotal(period, True, f"{period}: cocok dengan rekap ({compared} total)", [], compared))
    return results


def describe(control: ControlTotal) -> str:
    """The check's description in the UI: what is compared with what, per what, how strictly."""
    pairs = ", ".join(f"{'jumlah baris' if c == ROW_COUNT_MEASURE else 'total ' + c} = {r}" for c, r in control.ukuran)
    per = "periode" + ("".join(f" × {col}" for col, _ in control.kelompok))
    tolerance = f"selisih ≤ {control.toleransi:g}" if control.toleransi else "tanpa selisih"
    return (f"total kontrol per {per} terhadap rekap {control.rekap}: {pairs} ({tolerance}); yang dibandingkan "
            "semua baris yang dikirim sumber = bronze + baris karantina berkas periode itu; periode yang rekapnya "
            "belum diterima lulus dengan catatan")
