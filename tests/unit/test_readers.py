"""Readers: row numbering, malformed rows and whole-file rejections, per format."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from ingest.readers import FileRejected, read_file
from satudata.contracts import get_dataset
from satudata.settings import get_settings

HEADER = "NOP;THN_PAJAK_SPPT;PEMBAYARAN_SPPT_KE;TGL_PEMBAYARAN_SPPT;JML_SPPT_YG_DIBAYAR;DENDA_SPPT;KD_TP"
ROW = "74.72.010.007.001-0001.0;2025;1;05/03/2025;150.000;0;BNI"


@pytest.fixture(scope="module")
def pembayaran():
    return get_dataset(get_settings(), "pbb_pembayaran")


def _read(path: Path, dataset):
    batches = list(read_file(path, dataset))
    rows = [r for b in batches for r in b.table.to_pylist()]
    bad = [m for b in batches for m in b.malformed]
    return rows, bad


def test_csv_rows_keep_their_physical_line_numbers_around_malformed_rows(tmp_path, pembayaran):
    path = tmp_path / "p.csv"
    path.write_text("\n".join([HEADER, ROW, "too;few", ROW, "a;b;c;d;e;f;g;h", ROW]) + "\n")
    rows, bad = _read(path, pembayaran)
    assert [r["_baris"] for r in rows] == [2, 4, 6]
    assert [(m.line, m.text) for m in bad] == [(3, "too;few"), (5, "a;b;c;d;e;f;g;h")]
    assert "2 kolom, seharusnya 7" in bad[0].reason


def test_csv_line_numbers_across_many_batches(tmp_path, pembayaran):
    path = tmp_path / "big.csv"
    lines = [HEADER] + [ROW if i != 150_000 else "broken" for i in range(300_000)]
    path.write_text("\n".join(lines) + "\n")
    rows, bad = _read(path, pembayaran)
    assert len(rows) == 299_999
    assert bad[0].line == 150_002
    numbers = [r["_baris"] for r in rows]
    assert numbers[-1] == 300_001 and 150_002 not in numbers and numbers == sorted(numbers)


def test_csv_missing_column_rejects_whole_file_naming_columns(tmp_path, pembayaran):
    path = tmp_path / "p.csv"
    path.write_text(HEADER.replace("DENDA_SPPT", "DENDA") + "\n" + ROW + "\n")
    with pytest.raises(FileRejected, match="DENDA_SPPT tidak ada"):
        _read(path, pembayaran)


def test_csv_truncated_file_is_rejected(tmp_path, pembayaran):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "\n" + ROW + "\n" + ROW[:20])
    with pytest.raises(FileRejected, match="terpotong"):
        _read(path, pembayaran)


def test_csv_utf16_and_invalid_utf8_are_rejected(tmp_path, pembayaran):
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes((HEADER + "\n" + ROW + "\n").encode("utf-16"))
    with pytest.raises(FileRejected, match="UTF-16"):
        _read(utf16, pembayaran)
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\n" + ROW + "\n" + ROW.replace("BNI", "Bank Sultra Baubau é") + "\n").encode("latin-1"))
    with pytest.raises(FileRejected, match="baris 3"):
        _read(latin, pembayaran)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"%PDF-1.4 ...", "PDF"), (b"PK\x03\x04rest-of-zip", "XLSX/ZIP"), (b"", "kosong")],
)
def test_csv_wrong_format_is_rejected(tmp_path, pembayaran, content, message):
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    with pytest.raises(FileRejected, match=message):
        _read(path, pembayaran)


def test_jsonl_invalid_lines_become_malformed_and_truncation_rejects(tmp_path):
    dataset = get_dataset(get_settings(), "sptpd")
    good = json.dumps({c.source: "x" for c in dataset.columns})
    path = tmp_path / "s.jsonl"
    path.write_text(good + "\n{not json\n[1,2]\n" + good + "\n")
    rows, bad = _read(path, dataset)
    assert [r["_baris"] for r in rows] == [1, 4]
    assert [m.line for m in bad] == [2, 3]
    path.write_text(good + "\n" + good[:30])
    with pytest.raises(FileRejected, match="terpotong"):
        _read(path, dataset)


def test_jsonl_without_declared_keys_is_rejected(tmp_path):
    dataset = get_dataset(get_settings(), "sptpd")
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"foo": 1}) + "\n")
    with pytest.raises(FileRejected, match="nomor_sptpd"):
        _read(path, dataset)


def test_xlsx_header_row_and_sheet_row_numbers(tmp_path):
    dataset = get_dataset(get_settings(), "target_apbd")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Target Pendapatan"
    ws.append(["PEMERINTAH KOTA BAUBAU"])
    ws.append(["TARGET PENDAPATAN"])
    ws.append([])
    ws.append([])
    ws.append(["TAHUN ANGGARAN", "KODE REKENING", "URAIAN", "TARGET APBD MURNI", "TARGET APBD-P"])
    ws.append([2025, "4.1.01.12.01", "PBB-P2", 12_500_000_000.0, None])
    ws.append([None, None, None, None, None])
    ws.append([2025, "4.1.01.13.01", "BPHTB", 7_000_000_000, 7_500_000_000])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    rows, _ = _read(path, dataset)
    assert [r["_baris"] for r in rows] == [6, 8]
    assert rows[0]["TARGET APBD MURNI"] == "12500000000" and rows[0]["TARGET APBD-P"] is None
    wb["Target Pendapatan"].title = "Sheet1"
    wb.save(path)
    with pytest.raises(FileRejected, match="sheet 'Target Pendapatan' tidak ada"):
        _read(path, dataset)


# --- the Dinkes recap: period from the file name, table ending at the JUMLAH row -----------------


@pytest.fixture(scope="module")
def rekap_files(tmp_path_factory):
    from datetime import date

    from ingest.generate.health import generate_health

    out = tmp_path_factory.mktemp("kesehatan")
    files = generate_health(out, start=date(2025, 1, 27), days=6, scale=0.05, defect_rate=0.0, bad_files=False)
    return out, [f for f in files if f.dataset == "rekap_kunjungan"]


def test_recap_sheet_reads_puskesmas_rows_with_the_month_from_the_file_name(rekap_files):
    import duckdb

    from ingest.rules import compile_query

    out, files = rekap_files
    dataset = get_dataset(get_settings(), "rekap_kunjungan")
    january = next(f for f in files if f.key.endswith("_2025-01.xlsx"))
    rows, bad = _read(out / january.key, dataset)
    assert not bad and len(rows) == january.rows == 17  # JUMLAH and the signature block are not data
    assert {r["BULAN"] for r in rows} == {"2025-01"} and rows[0]["_baris"] == 7
    assert all(r["NAMA PUSKESMAS"].startswith("PUSKESMAS ") for r in rows)
    con = duckdb.connect()
    for batch in read_file(out / january.key, dataset):
        con.register("batch", batch.table)
        typed = con.execute(f"select periode, _ditolak, _alasan from ({compile_query(dataset, get_settings())})").fetchall()
    assert {(p, rejected) for p, rejected, _ in typed} == {("2025-01", False)}, typed


def test_recap_with_a_file_name_without_its_month_is_rejected(rekap_files, tmp_path):
    out, files = rekap_files
    renamed = tmp_path / "rekap kunjungan januari.xlsx"
    renamed.write_bytes((out / files[0].key).read_bytes())
    with pytest.raises(FileRejected, match="tidak memuat periode"):
        list(read_file(renamed, get_dataset(get_settings(), "rekap_kunjungan")))
