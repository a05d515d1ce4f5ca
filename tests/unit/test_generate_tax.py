"""The tax extract generator delivers what the dataset declarations promise, reproducibly.

Rows are checked against the column rules of ``datasets/pajak/*.yaml`` with a small checker
written here (independent of the ingest), so these tests also catch a generator that drifts
away from the declarations.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from ingest.generate.tax import GeneratedFile, generate_tax, scale_for_rows
from ingest.readers import FileRejected, read_file
from ingest.rules import compile_query
from satudata.contracts import get_dataset
from satudata.settings import PROJECT_ROOT, get_settings

SCALE = 0.05
DEFECT_RATE = 0.05
PAYMENT_DATASETS = ("pbb_pembayaran", "bphtb_transaksi", "sptpd", "retribusi")
NOP = re.compile(r"74\.72\.(\d{3})\.(\d{3})\.\d{3}-\d{4}\.\d")
NPWPD = re.compile(r"[PB]\.[0-9]\.[0-9]{7}\.[0-9]{2}\.[0-9]{2}")


def _declarations() -> dict[str, dict]:
    paths = (PROJECT_ROOT / "datasets" / "pajak").glob("*.yaml")
    return {spec["dataset"]: spec for spec in (yaml.safe_load(path.read_text()) for path in paths)}


DECLARATIONS = _declarations()


def _kelurahan() -> set[str]:
    with (PROJECT_ROOT / "dbt_project" / "seeds" / "wilayah_kota_baubau.csv").open() as seed:
        return {row["kode"] for row in csv.DictReader(seed) if row["tingkat"] == "kelurahan"}


KELURAHAN = _kelurahan()
# SISMIOP crosswalk: kecamatan 3 digits = Kemendagri kecamatan × 10, kelurahan = last 3 digits.
KELURAHAN_SISMIOP = {(f"{kode[6:8]}0", kode[10:13]) for kode in KELURAHAN}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[GeneratedFile], Path, list[GeneratedFile]]:
    """Two runs with the same arguments (with defects and bad files) into two directories."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    return (
        first, generate_tax(first, scale=SCALE, defect_rate=DEFECT_RATE),
        second, generate_tax(second, scale=SCALE, defect_rate=DEFECT_RATE),
    )


@pytest.fixture(scope="module")
def generated(runs) -> tuple[Path, list[GeneratedFile]]:
    return runs[0], runs[1]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[GeneratedFile]]:
    """A run without defects or bad files, for arithmetic that spans files."""
    out = tmp_path_factory.mktemp("clean")
    return out, generate_tax(out, scale=SCALE, defect_rate=0.0, bad_files=False)


# --- reading delivered files back ------------------------------------------------------------


def _rows(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines()]
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _number(value: object) -> float:
    return float(value.replace(",", ".")) if isinstance(value, str) else float(value)


def _column_ok(value: object, column: dict) -> bool:
    """Whether one delivered value satisfies its declared column rules."""
    if value is None or value == "":
        return not column.get("required", False)
    kind = column["type"]
    try:
        if kind == "date":
            datetime.strptime(value, column["date_format"])
        elif kind == "timestamp":
            datetime.fromisoformat(value)
        elif kind in ("integer", "decimal"):
            number = _number(value)
            if number < column.get("min", number) or number > column.get("max", number):
                return False
            if "values_numeric" in column and number not in column["values_numeric"]:
                return False
    except ValueError:
        return False
    if kind == "nop":
        match = NOP.fullmatch(value)
        return match is not None and match.groups() in KELURAHAN_SISMIOP
    if kind == "kode_wilayah":
        return value in KELURAHAN
    if kind == "npwpd":
        return NPWPD.fullmatch(value) is not None
    if "pattern" in column and not re.fullmatch(column["pattern"], value):
        return False
    return "values" not in column or value in column["values"]


def _failing_columns(row: dict, dataset: str) -> list[str]:
    return [c["name"] for c in DECLARATIONS[dataset]["columns"] if not _column_ok(row.get(c["from"]), c)]


def _clean_rows(out: Path, files: list[GeneratedFile], dataset: str) -> list[dict]:
    return [
        row
        for f in files
        if f.dataset == dataset and f.kind == "normal"
        for row in _rows(out / f.key)
        if not _failing_columns(row, dataset)
    ]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- tests -------------------------------------------------------------------------------------


def test_same_arguments_give_byte_identical_files(runs) -> None:
    first, first_files, second, second_files = runs
    assert first_files == second_files
    on_disk = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert on_disk == sorted(f.key for f in first_files)
    for f in first_files:
        assert _digest(first / f.key) == _digest(second / f.key), f.key


def test_every_dataset_and_month_is_delivered(generated) -> None:
    _, files = generated
    normal = {f.key for f in files if f.kind == "normal"}
    expected_names = {
        "pbb_pembayaran": "pembayaran_pbb_2025-{:02d}.csv",
        "bphtb_transaksi": "bphtb_2025-{:02d}.csv",
        "sptpd": "sptpd_2025-{:02d}.jsonl",
        "retribusi": "retribusi_2025-{:02d}.csv",
    }
    for dataset, name in expected_names.items():
        delivered = sorted(key.rsplit("/", 1)[1] for key in normal if key.split("/")[1] == dataset)
        assert delivered == [name.format(month) for month in range(1, 13)]
    assert "sismiop/pbb_sppt/2025-01-03/sppt_pbb_2025.csv" in normal
    assert "sipd/target_apbd/2025-01-02/target_pendapatan_2025.xlsx" in normal
    for key in normal:
        source, dataset, delivered, _ = key.split("/")
        assert DECLARATIONS[dataset]["source"] == source
        datetime.strptime(delivered, "%Y-%m-%d")


def test_headers_are_the_declared_source_names(generated) -> None:
    out, files = generated
    for f in files:
        if f.kind != "normal":
            continue
        declared = [c["from"] for c in DECLARATIONS[f.dataset]["columns"]]
        path = out / f.key
        if path.suffix == ".csv":
            assert path.read_text(encoding="utf-8").split("\n", 1)[0].split(";") == declared, f.key
        elif path.suffix == ".jsonl":
            assert all(list(row) == declared for row in _rows(path)), f.key
        else:
            sheet = openpyxl.load_workbook(path)[DECLARATIONS[f.dataset]["format"]["sheet"]]
            rows = list(sheet.iter_rows(values_only=True))
            assert rows[0][0] == "PEMERINTAH KOTA BAUBAU"
            assert rows[1][0] == "TARGET PENDAPATAN DAERAH TAHUN ANGGARAN 2025"
            assert list(rows[DECLARATIONS[f.dataset]["format"]["header_row"] - 1]) == declared


def test_rows_breaking_declared_rules_are_exactly_the_planted_defects(generated) -> None:
    out, files = generated
    for f in files:
        if f.kind != "normal" or f.dataset == "target_apbd":
            continue
        rows = _rows(out / f.key)
        failures = [_failing_columns(row, f.dataset) for row in rows]
        assert len(rows) == f.rows, f.key
        assert sum(1 for failing in failures if failing) == f.defect_rows, f.key
        assert all(len(failing) <= 1 for failing in failures), f"{f.key}: a defect broke more than one column"


def test_ingest_quarantines_exactly_the_planted_rows_and_rejects_the_bad_files(generated) -> None:
    """The same contract, checked by the platform's own readers and compiled rules."""
    out, files = generated
    settings = get_settings()
    for f in files:
        dataset = get_dataset(settings, f.dataset)
        if f.kind == "bad_file":
            with pytest.raises(FileRejected):
                list(read_file(out / f.key, dataset))
            continue
        rows = rejected = 0
        for batch in read_file(out / f.key, dataset):
            con = duckdb.connect()
            con.register("batch", batch.table)
            verdicts = con.sql(f"SELECT _ditolak, _alasan FROM ({compile_query(dataset, settings)})").fetchall()
            rows += len(verdicts) + len(batch.malformed)
            rejected += sum(1 for ditolak, _ in verdicts if ditolak) + len(batch.malformed)
            assert all(";" not in reason for ditolak, reason in verdicts if ditolak), f"{f.key}: several rules broken"
        assert (rows, rejected) == (f.rows, f.defect_rows), f.key


def test_planted_defects_follow_the_defect_rate(generated) -> None:
    _, files = generated
    rows = Counter()
    defects = Counter()
    for f in files:
        if f.kind == "normal" and f.dataset != "target_apbd":
            rows[f.dataset] += f.rows
            defects[f.dataset] += f.defect_rows
    assert sum(defects.values()) / sum(rows.values()) == pytest.approx(DEFECT_RATE, abs=0.01)
    for dataset in ("pbb_sppt", "pbb_pembayaran", "retribusi"):
        assert defects[dataset] / rows[dataset] == pytest.approx(DEFECT_RATE, abs=0.02), dataset


def test_bphtb_is_five_percent_of_npop_above_npoptkp(generated) -> None:
    rows = _clean_rows(*generated, "bphtb_transaksi")
    assert rows
    for row in rows:
        npop, npoptkp, tarif = (_number(row[c]) for c in ("NPOP", "NPOPTKP", "TARIF"))
        assert _number(row["BPHTB_TERUTANG"]) == round(max(npop - npoptkp, 0) * tarif / 100)
        assert _number(row["JML_BAYAR"]) == _number(row["BPHTB_TERUTANG"]) > 0
        assert npoptkp == (300_000_000 if row["JENIS_PEROLEHAN"] in ("waris", "hibah wasiat") else 80_000_000)
        assert datetime.strptime(row["TGL_PEROLEHAN"], "%d/%m/%Y") < datetime.strptime(row["TGL_BAYAR"], "%d/%m/%Y")


def test_pbb_payments_settle_sppt_of_the_year(clean) -> None:
    sppt = {row["NOP"]: row for row in _clean_rows(*clean, "pbb_sppt")}
    for row in sppt.values():
        njop = _number(row["NJOP_BUMI_SPPT"]) + _number(row["NJOP_BNG_SPPT"])
        assert _number(row["PBB_TERHUTANG_SPPT"]) <= 0.003 * max(njop - _number(row["NJOPTKP_SPPT"]), 0) + 1
        assert _number(row["PBB_YG_HARUS_DIBAYAR_SPPT"]) == (
            _number(row["PBB_TERHUTANG_SPPT"]) - _number(row["FAKTOR_PENGURANG_SPPT"])
        )
    paid = Counter()
    for row in _clean_rows(*clean, "pbb_pembayaran"):
        paid[row["NOP"]] += _number(row["JML_SPPT_YG_DIBAYAR"])
        due = datetime(2025, 8, 31)
        late = datetime.strptime(row["TGL_PEMBAYARAN_SPPT"], "%d/%m/%Y") > due
        assert (_number(row["DENDA_SPPT"]) > 0) == late or _number(row["JML_SPPT_YG_DIBAYAR"]) < 50
    assert all(amount <= _number(sppt[nop]["PBB_YG_HARUS_DIBAYAR_SPPT"]) for nop, amount in paid.items())
    assert 0.6 < len(paid) / len(sppt) < 0.9


def test_sptpd_lunas_rows_carry_payment(clean) -> None:
    rows = _clean_rows(*clean, "sptpd")
    for row in rows:
        assert row["masa_pajak_akhir"] >= row["masa_pajak_awal"]
        if row["status_bayar"] == "LUNAS":
            assert row["total_bayar"] == row["pajak_terutang"]
            assert row["tanggal_bayar"].endswith("+08:00")
        else:
            assert row["total_bayar"] is None and row["tanggal_bayar"] is None
    assert 0.85 < sum(row["status_bayar"] == "LUNAS" for row in rows) / len(rows) < 0.97


def test_targets_are_calibrated_on_realisasi(clean) -> None:
    out, files = clean
    realisasi = Counter()
    realisasi["pbb_p2"] = sum(_number(r["JML_SPPT_YG_DIBAYAR"]) for r in _clean_rows(out, files, "pbb_pembayaran"))
    realisasi["bphtb"] = sum(_number(r["JML_BAYAR"]) for r in _clean_rows(out, files, "bphtb_transaksi"))
    for row in _clean_rows(out, files, "sptpd"):
        line = "mblb" if row["jenis_pajak"] == "mblb" else f"pbjt_{row['jenis_pajak']}"
        realisasi[line] += row["total_bayar"] or 0
    for row in _clean_rows(out, files, "retribusi"):
        realisasi[f"retribusi_{row['JENIS_RETRIBUSI']}"] += _number(row["JUMLAH"])
    with (PROJECT_ROOT / "dbt_project" / "seeds" / "jenis_pendapatan.csv").open() as seed:
        line_of = {row["kode_rekening"]: row["kode_jenis_pendapatan"] for row in csv.DictReader(seed)}
    target_file = next(f for f in files if f.dataset == "target_apbd")
    sheet = openpyxl.load_workbook(out / target_file.key)["Target Pendapatan"]
    lines = list(sheet.iter_rows(min_row=6, values_only=True))
    assert sorted(line[1] for line in lines) == sorted(line_of)
    assert any(line[4] is None for line in lines) and any(line[4] is not None for line in lines)
    for _, kode, _, murni, perubahan in lines:
        assert 0.79 <= realisasi[line_of[kode]] / (perubahan or murni) <= 1.06, kode


def test_bad_files_are_later_redeliveries_broken_as_a_whole(generated) -> None:
    out, files = generated
    bad = [f for f in files if f.kind == "bad_file"]
    assert sorted(f.dataset for f in bad) == ["bphtb_transaksi", "pbb_pembayaran", "pbb_pembayaran", "retribusi"]
    good = {(f.dataset, f.key.rsplit("/", 1)[1]): f.key.split("/")[2] for f in files if f.kind == "normal"}
    for f in bad:
        _, dataset, delivered, name = f.key.split("/")
        assert delivered > good[(dataset, name)], f"{f.key} must arrive after the good delivery"
    assert len({f.key.rsplit("/", 1)[0] for f in bad}) == len(bad)
    contents = {f.key: (out / f.key).read_bytes() for f in bad}
    assert any(data.startswith(b"\xff\xfe") for data in contents.values())  # UTF-16 export
    assert any(data.startswith(b"PK\x03\x04") for data in contents.values())  # XLSX named .csv
    assert any(b"KD_KELURAHAN" in data.split(b"\n", 1)[0] for data in contents.values())  # renamed column
    truncated = [data for data in contents.values() if data.startswith(b"NOP;") and not data.endswith(b"\n")]
    assert len(truncated) == 1 and len(truncated[0].rsplit(b"\n", 1)[1].split(b";")) < 7


def test_progress_reports_every_row_written(tmp_path: Path) -> None:
    reported = Counter()
    files = generate_tax(tmp_path, scale=0.01, progress=lambda label, n: reported.update({label: n}))
    written = Counter()
    for f in files:
        written[f.dataset] += f.rows
    assert reported == written


def test_scale_for_rows_hits_the_requested_payment_rows(tmp_path: Path) -> None:
    requested = 15_000
    files = generate_tax(tmp_path, scale=scale_for_rows(requested), bad_files=False)
    delivered = sum(f.rows for f in files if f.dataset in PAYMENT_DATASETS)
    assert delivered == pytest.approx(requested, rel=0.15)
    assert scale_for_rows(5_000_000) == pytest.approx(5 * scale_for_rows(1_000_000), rel=0.05)


def test_pbb_recap_totals_the_extract_as_written_per_bank(generated) -> None:
    """Each month's SISMIOP recap adds up the delivered rows, typos (negative amounts) included."""
    out, files = generated
    recaps = sorted(f.key for f in files if f.dataset == "rekap_pembayaran_pbb")
    assert [k.rsplit("/", 1)[1] for k in recaps] == [f"rekap_pembayaran_pbb_2025-{m:02d}.csv" for m in range(1, 13)]
    for key in recaps:
        month = key[-11:-4]
        extract = next(f.key for f in files if f.kind == "normal" and f.key.endswith(f"pembayaran_pbb_{month}.csv")
                       and f.dataset == "pbb_pembayaran")
        assert key.split("/")[2] == extract.split("/")[2]  # delivered with its extract
        totals: dict[str, list[float]] = {}
        for row in _rows(out / extract):
            bank = totals.setdefault(row["KD_TP"], [0, 0.0, 0.0])
            bank[0] += 1
            bank[1] += _number(row["JML_SPPT_YG_DIBAYAR"])
            bank[2] += _number(row["DENDA_SPPT"])
        recap = {r["KD_TP"]: [int(r["JML_TRANSAKSI"]), _number(r["TOTAL_POKOK"]), _number(r["TOTAL_DENDA"])]
                 for r in _rows(out / key)}
        assert all(r["MASA_BAYAR"] == month for r in _rows(out / key))
        assert recap == totals, key


def test_rekap_selisih_plants_one_short_reexport(tmp_path) -> None:
    files = generate_tax(tmp_path, scale=SCALE, defect_rate=DEFECT_RATE, bad_files=True, rekap_selisih=True)
    [short] = [f for f in files if f.kind == "selisih_rekap"]
    good = next(f for f in files if f.kind == "normal" and f.key.endswith("pembayaran_pbb_2025-07.csv"))
    # after the month's truncated re-delivery (a bad file two days later): a key of its own
    assert short.key == good.key.replace("2025-08-05", "2025-08-08")
    assert len({f.key for f in files}) == len(files)
    lines, full = (tmp_path / short.key).read_bytes(), (tmp_path / good.key).read_bytes()
    assert full.startswith(lines) and lines.endswith(b"\n")  # a clean file, just shorter
    assert short.rows == len(_rows(tmp_path / short.key)) < good.rows
