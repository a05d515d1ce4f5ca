"""Checks are derived from declarations: change the declaration and the suite changes."""

from __future__ import annotations

from pathlib import Path

import yaml

from quality.gate import _missing_periods
from quality.suites import build_checks
from satudata.contracts import parse_dataset
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
