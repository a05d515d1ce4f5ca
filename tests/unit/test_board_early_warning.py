"""The early-warning rule: fires on a planted spike, stays quiet on ordinary weeks and small cells.

Each test writes a small DuckDB warehouse of its own with a weekly diagnosis mart, runs the rule
on it directly and, once, through the page (Streamlit's AppTest) to see the warning on screen.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from board import early_warning

APP = Path(__file__).resolve().parents[2] / "board" / "app.py"
START = dt.date(2024, 12, 30)  # a Monday
WEEKS = 10
LAST = START + dt.timedelta(weeks=WEEKS - 1)
# Ordinary week-to-week variation around a cell's level (deterministic, so the test cannot flake).
NOISE = (0, 1, -1, 2, -2, 1, 0, -1, 1, 1)  # the last week a little above the mean, well within 2 s.d.
CELLS = {("74.72.01", "BETOAMBARI", "J06.9"): 20, ("74.72.04", "BUNGI", "A09"): 10, ("74.72.02", "WOLIO", "I10"): 15}


def _warehouse(path: Path, rows: list[tuple], ledger_until: dt.date | None = None) -> Path:
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE fct_penyakit_mingguan (minggu DATE, tahun_iso INTEGER, minggu_ke INTEGER,
        kode_kecamatan VARCHAR, nama_kecamatan VARCHAR, kode_icd10 VARCHAR, bab_icd10 VARCHAR, nama_bab_icd10 VARCHAR,
        jumlah_kunjungan BIGINT, jumlah_pasien BIGINT)""")
    con.executemany(
        "INSERT INTO fct_penyakit_mingguan VALUES (?, year(?::DATE), weekofyear(?::DATE), ?, ?, ?, 'I', 'Bab uji', ?, ?)",
        [(m, m, m, kode, nama, icd, n, n) for m, kode, nama, icd, n in rows],
    )
    if ledger_until is not None:
        con.execute("CREATE TABLE fct_buku_besar_berkas (berkas VARCHAR, dataset VARCHAR, sumber VARCHAR, status VARCHAR, periode VARCHAR)")
        con.execute("INSERT INTO fct_buku_besar_berkas VALUES ('simrs/fhir/x/b.json', 'fhir', 'simrs', 'dimuat', ?)",
                    [ledger_until.isoformat()])
    con.close()
    return path


def _ordinary_weeks(weeks: int = WEEKS) -> list[tuple]:
    return [
        (START + dt.timedelta(weeks=i), kode, nama, icd, level + NOISE[i])
        for i in range(weeks) for (kode, nama, icd), level in CELLS.items()
    ]


def _flags(path: Path, week: dt.date = LAST):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return early_warning.peringatan_dini(con, week)
    finally:
        con.close()


def test_ordinary_weeks_raise_no_warning(tmp_path):
    assert _flags(_warehouse(tmp_path / "w.duckdb", _ordinary_weeks())).empty


def test_planted_spike_is_flagged_and_only_that_cell(tmp_path):
    rows = [r for r in _ordinary_weeks() if not (r[0] == LAST and r[3] == "A09")]
    rows.append((LAST, "74.72.04", "BUNGI", "A09", 30))  # the kecamatan's usual ~10 diarrhoea visits triple
    flags = _flags(_warehouse(tmp_path / "w.duckdb", rows))
    assert flags[["nama_kecamatan", "kode_icd10", "jumlah_kunjungan"]].values.tolist() == [["BUNGI", "A09", 30]]
    row = flags.iloc[0]
    assert row["minggu_riwayat"] == early_warning.ATURAN.minggu_riwayat
    assert row["ambang"] == pytest.approx(row["rata_rata"] + 2 * row["simpangan_baku"])
    assert row["ambang"] < 30


def test_small_cells_are_never_flagged_but_a_new_cluster_of_five_is(tmp_path):
    """A cell absent for weeks (zeros) that now has 4 visits stays hidden; 5 is reported."""
    base = _ordinary_weeks()
    small = _flags(_warehouse(tmp_path / "a.duckdb", base + [(LAST, "74.72.07", "LEA-LEA", "A90", 4)]))
    assert small.empty
    five = _flags(_warehouse(tmp_path / "b.duckdb", base + [(START, "74.72.07", "LEA-LEA", "A90", 1),
                                                             (LAST, "74.72.07", "LEA-LEA", "A90", 5)]))
    assert five[["nama_kecamatan", "kode_icd10"]].values.tolist() == [["LEA-LEA", "A90"]]


def test_too_little_history_raises_nothing(tmp_path):
    rows = [r for r in _ordinary_weeks(3)] + [(START + dt.timedelta(weeks=3), "74.72.04", "BUNGI", "A09", 40)]
    assert _flags(_warehouse(tmp_path / "w.duckdb", rows), START + dt.timedelta(weeks=3)).empty


def test_an_unfinished_week_is_not_evaluated(tmp_path):
    """The feeds reached only Saturday of the last week: the week before it is the one judged."""
    path = _warehouse(tmp_path / "w.duckdb", _ordinary_weeks(), ledger_until=LAST + dt.timedelta(days=5))
    con = duckdb.connect(str(path), read_only=True)
    assert early_warning.minggu_evaluasi(con) == LAST - dt.timedelta(weeks=1)
    con.close()
    complete = _warehouse(tmp_path / "c.duckdb", _ordinary_weeks(), ledger_until=LAST + dt.timedelta(days=6))
    con = duckdb.connect(str(complete), read_only=True)
    assert early_warning.minggu_evaluasi(con) == LAST
    con.close()


def test_the_page_states_the_rule_and_lists_the_spike(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    rows = [r for r in _ordinary_weeks() if not (r[0] == LAST and r[3] == "A09")]
    rows.append((LAST, "74.72.04", "BUNGI", "A09", 30))
    monkeypatch.setenv("SATUDATA_WAREHOUSE", str(_warehouse(tmp_path / "w.duckdb", rows)))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    panel = at.get_by_key("peringatan-dini")
    assert any("rata-rata + 2 × simpangan baku 8 minggu" in c.value for c in panel.caption)
    assert any("1 diagnosis × kecamatan di atas ambang" in e.value for e in panel.error)
    table = panel.dataframe[0].value
    assert table[["Kecamatan", "Kunjungan minggu ini"]].values.tolist() == [["BUNGI", 30]]
    assert table["Diagnosis"].iloc[0].startswith("A09")
