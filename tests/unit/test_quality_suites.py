"""Checks are derived from declarations: change the declaration and the suite changes."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from quality.gate import _missing_periods
from quality.suites import build_checks
from quality.total_kontrol import judge
from satudata.contracts import ContractError, check_control_totals, load_datasets, parse_dataset
from satudata.settings import PROJECT_ROOT, get_settings

SETTINGS = get_settings()
DECLARATION = PROJECT_ROOT / "datasets" / "pajak" / "retribusi.yaml"


def _checks(raw: dict, tmp_path: Path) -> dict[str, object]:
    return {c.name: c for c in build_checks(parse_dataset(raw, tmp_path / "d.yaml"), SETTINGS)}


def test_suite_follows_the_declaration(tmp_path):
    raw = yaml.safe_load(DECLARATION.read_text())
    checks = _checks(raw, tmp_path)
    assert checks["tidak_kosong__jumlah"].severity == "error"
    assert checks["rentang__jumlah"].kwargs == {"column": "jumlah", "min_value": 0, "max_value": None}
    assert checks["nilai_diizinkan__jenis_retribusi"].kwargs["value_set"] == ["parkir", "sampah", "pasar", "air", "pju"]
    assert len(checks["referensi__kode_kelurahan"].kwargs["value_set"]) == 43
    assert checks["kunci_unik"].kind == "kunci_unik"
    assert "no_bukti" in checks["skema_kolom"].kwargs["column_set"]

    raw["columns"][5]["max"] = 50_000_000  # jumlah gets an upper bound
    raw["columns"].append({"name": "catatan", "from": "CATATAN", "type": "string", "required": True})
    raw["key"] = []
    raw["quality"] = {
        "max_karantina_persen": 1,
        "expectations": [{"name": "rata_rata_wajar", "expectation": "expect_column_mean_to_be_between",
                          "column": "jumlah", "min_value": 1000, "max_value": 1_000_000, "severity": "warn"}],
    }
    changed = _checks(raw, tmp_path)
    assert changed["rentang__jumlah"].kwargs["max_value"] == 50_000_000
    assert "tidak_kosong__catatan" in changed and "catatan" in changed["skema_kolom"].kwargs["column_set"]
    assert "kunci_unik" not in changed
    assert changed["rata_rata_wajar"].gx_type == "ExpectColumnMeanToBeBetween" and changed["rata_rata_wajar"].severity == "warn"
    assert "1%" in changed["porsi_karantina"].description


def test_nop_reference_check_is_a_regex_over_known_regions(tmp_path):
    raw = yaml.safe_load((PROJECT_ROOT / "datasets" / "pajak" / "pbb_pembayaran.yaml").read_text())
    regex = _checks(raw, tmp_path)["referensi__nop"].kwargs["regex"]
    import re

    assert re.match(regex, "747201000700100010")
    assert not re.match(regex, "747209000700100010")


def test_missing_periods_by_grain():
    assert _missing_periods(["2025-01", "2025-02", "2025-04"], "month") == ["2025-03"]
    assert _missing_periods(["2024-11", "2025-02"], "month") == ["2024-12", "2025-01"]
    assert _missing_periods(["2023", "2025"], "year") == ["2024"]
    assert _missing_periods(["2025-03-01", "2025-03-03"], "day") == ["2025-03-02"]
    assert _missing_periods(["2025-03"], "month") == []


def test_validation_batches_keep_memory_bounded():
    from ingest.ledger import LedgerEntry
    from quality.gate import BATCH_ROWS, _batches

    def entry(rows: int) -> LedgerEntry:
        return LedgerEntry("k", "d", "s", "sha", 1, "t", "t", "dimuat", rows, rows, 0)

    small = {f"2025-{m:02d}": entry(1_000) for m in range(1, 13)}
    assert _batches(sorted(small), small) == [sorted(small)]
    mixed = {"2025-01": entry(BATCH_ROWS - 10), "2025-02": entry(20), "2025-03": entry(2 * BATCH_ROWS), "2025-04": entry(5)}
    assert _batches(sorted(mixed), mixed) == [["2025-01"], ["2025-02"], ["2025-03"], ["2025-04"]]


# --- control totals against a source recap (quality.total_kontrol) -------------------------------

PAYMENTS = PROJECT_ROOT / "datasets" / "pajak" / "pbb_pembayaran.yaml"


def _control(**changes) -> dict:
    spec = {"name": "cocok_rekap", "rekap": "rekap_pembayaran_pbb",
            "ukuran": {"jumlah_baris": "jumlah_transaksi", "jml_dibayar": "total_pokok"},
            "kelompok": {"kode_tempat_bayar": "tempat_bayar"}, "toleransi": 0, "severity": "error"}
    return {**spec, **changes}


def _with_control(tmp_path: Path, **changes):
    raw = yaml.safe_load(PAYMENTS.read_text())
    raw["quality"] = {"total_kontrol": [_control(**changes)]}
    return parse_dataset(raw, tmp_path / "pbb_pembayaran.yaml")


def test_control_total_declaration_becomes_a_check(tmp_path):
    dataset = _with_control(tmp_path, toleransi=1000, severity="warn")
    [control] = dataset.quality.total_kontrol
    assert control.ukuran == (("jumlah_baris", "jumlah_transaksi"), ("jml_dibayar", "total_pokok"))
    assert control.kelompok == (("kode_tempat_bayar", "tempat_bayar"),) and control.toleransi == 1000
    check = {c.name: c for c in build_checks(dataset, SETTINGS)}["cocok_rekap"]
    assert (check.kind, check.severity) == ("total_kontrol", "warn")
    assert "rekap_pembayaran_pbb" in check.description and "bronze + baris karantina" in check.description
    # the shipped declaration blocks (error) on its recap
    shipped = {c.name: c for c in build_checks(parse_dataset(yaml.safe_load(PAYMENTS.read_text()), PAYMENTS), SETTINGS)}
    assert shipped["cocok_rekap_sismiop"].severity == "error"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ukuran": {}}, "'ukuran' is required"),
        ({"ukuran": {"tempat_bayar": "total_pokok"}}, "'tempat_bayar' is not a declared integer/decimal column"),
        ({"ukuran": ["jml_dibayar"]}, "ukuran must be a mapping"),
        ({"toleransi": -1}, "toleransi must not be negative"),
        ({"toleransi": "nol"}, "toleransi must be a number"),
        ({"severity": "fatal"}, "severity must be one of"),
        ({"name": "Cocok Rekap"}, "must be snake_case"),
        ({"tolerance": 0}, "unknown field(s) tolerance"),
    ],
)
def test_control_total_declaration_errors_name_the_file_and_field(tmp_path, changes, message):
    with pytest.raises(ContractError) as error:
        _with_control(tmp_path, **changes)
    assert str(error.value).startswith(str(tmp_path / "pbb_pembayaran.yaml"))
    assert "total_kontrol[0]" in str(error.value) and message in str(error.value)


def test_control_total_must_name_a_declared_recap_of_the_same_grain(tmp_path):
    dataset = _with_control(tmp_path)
    others = {d.name: d for d in load_datasets(SETTINGS)}
    check_control_totals({**others, dataset.name: dataset})  # the shipped recap fits
    for changes, message in [
        ({"rekap": "rekap_tidak_ada"}, "'rekap_tidak_ada' is not another declared dataset"),
        ({"rekap": "pbb_sppt"}, "'pbb_sppt' is per year, this dataset per month"),
        ({"ukuran": {"jml_dibayar": "nama_tempat_bayar"}}, "'nama_tempat_bayar' is not an integer/decimal column of rekap_pembayaran_pbb"),
        ({"kelompok": {"bank": "tempat_bayar"}}, "'bank' is not a column of rekap_pembayaran_pbb"),
    ]:
        with pytest.raises(ContractError, match=re.escape(message)) as error:
            check_control_totals({**others, dataset.name: _with_control(tmp_path, **changes)})
        assert str(tmp_path / "pbb_pembayaran.yaml") in str(error.value)


def _judge(sent: dict, recaps: dict, periods=("2025-06", "2025-07", "2025-08")):
    control = parse_dataset(yaml.safe_load(PAYMENTS.read_text()), PAYMENTS).quality.total_kontrol[0]
    return {r.period: r for r in judge(control, list(periods), sent, recaps, rupiah=True)}


def test_control_total_catches_the_planted_mismatch_and_says_where_and_how_much():
    d = Decimal
    sent = {  # (periode, bank) → rows, -, pokok, unreadable, denda, -
        ("2025-06", "01"): (100, 0, d("50000000.00"), 0, d("0"), 0),
        ("2025-07", "01"): (95, 0, d("1230000000.00"), 0, d("150000"), 0),
        ("2025-07", "02"): (10, 0, d("2500000"), 0, d("0"), 0),
        ("2025-08", "01"): (7, 0, d("700000"), 0, d("0"), 0),
    }
    recaps = {
        ("2025-06", "01"): (100, d("50000000"), d("0")),
        ("2025-07", "01"): (100, d("1234567890"), d("150000")),
        ("2025-07", "02"): (10, d("2500000"), d("0")),
    }
    results = _judge(sent, recaps)
    assert results["2025-06"].passed and "cocok" in results["2025-06"].observed
    july = results["2025-07"]
    assert not july.passed and july.compared == 6 and len(july.differences) == 2
    assert july.differences[0] == (
        "2025-07 kode_tempat_bayar=01: jumlah_baris — rekap (jumlah_transaksi) 100, bronze+karantina 95, "
        "selisih 5 (kurang dari rekap)"
    )
    assert july.differences[1] == (
        "2025-07 kode_tempat_bayar=01: jml_dibayar — rekap (total_pokok) Rp 1.234.567.890, "
        "bronze+karantina Rp 1.230.000.000, selisih Rp 4.567.890 (kurang dari rekap)"
    )
    assert july.observed.startswith("2025-07 kode_tempat_bayar=01") and "dan 1 selisih lain" in july.observed
    # a recap not yet delivered is not a failure
    assert results["2025-08"].passed and results["2025-08"].observed == "2025-08: rekap belum diterima (rekap_pembayaran_pbb)"


def test_control_total_counts_groups_missing_on_either_side_and_honours_tolerance():
    d = Decimal
    sent = {("2025-06", "01"): (1, 0, d("1000.50"), 1, d("0"), 0)}
    recaps = {("2025-06", "01"): (1, d("1000"), d("0")), ("2025-06", "05"): (2, d("20000"), d("0"))}
    [june] = _judge(sent, recaps, periods=("2025-06",)).values()
    assert not june.passed
    assert any("kode_tempat_bayar=05: jml_dibayar — rekap (total_pokok) Rp 20.000, bronze+karantina Rp 0" in m
               for m in june.differences)
    assert any("selisih Rp 0,50 (lebih dari rekap); 1 baris karantina tanpa nilai jml_dibayar terbaca" in m
               for m in june.differences)
    control = parse_dataset(yaml.safe_load(PAYMENTS.read_text()), PAYMENTS).quality.total_kontrol[0]
    lenient = dataclasses.replace(control, toleransi=1)
    [june] = judge(lenient, ["2025-06"], sent, {("2025-06", "01"): recaps[("2025-06", "01")]}, rupiah=True)
    assert june.passed
