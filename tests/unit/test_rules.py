"""Typing and row rules compiled from declarations, run in DuckDB on raw text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from ingest.rules import compile_query
from satudata.contracts import get_dataset, parse_dataset, sismiop_region
from satudata.settings import get_settings

SETTINGS = get_settings()


def run(dataset, rows: list[dict[str, str | None]]) -> list[dict]:
    names = [c.source for c in dataset.columns]
    table = pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names} | {"_baris": pa.array(range(2, 2 + len(rows)), pa.int64())})
    con = duckdb.connect()
    con.register("batch", table)
    rel = con.sql(compile_query(dataset, SETTINGS))
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


def payment(**overrides: str | None) -> dict[str, str | None]:
    row = {
        "NOP": "74.72.010.007.001-0001.0",
        "THN_PAJAK_SPPT": "2025",
        "PEMBAYARAN_SPPT_KE": "1",
        "TGL_PEMBAYARAN_SPPT": "05/03/2025",
        "JML_SPPT_YG_DIBAYAR": "1.234.567,50",
        "DENDA_SPPT": "0",
        "KD_TP": "BNI",
    }
    row.update(overrides)
    return row


@pytest.fixture(scope="module")
def pembayaran():
    return get_dataset(SETTINGS, "pbb_pembayaran")


def test_valid_row_is_typed_with_indonesian_numbers_and_period(pembayaran):
    [row] = run(pembayaran, [payment()])
    assert not row["_ditolak"]
    assert row["nop"] == "747201000700100010"
    assert row["jml_dibayar"] == Decimal("1234567.50")
    assert row["tgl_pembayaran"] == dt.date(2025, 3, 5)
    assert row["periode"] == "2025-03"


@pytest.mark.parametrize(
    ("override", "rule", "column"),
    [
        ({"TGL_PEMBAYARAN_SPPT": "31/02/2025"}, "tipe_date", "TGL_PEMBAYARAN_SPPT"),
        ({"NOP": "74.72.010.007.001-0001"}, "tipe_nop", "NOP"),
        ({"NOP": "74.72.010.0A7.001-0001.0"}, "tipe_nop", "NOP"),
        ({"JML_SPPT_YG_DIBAYAR": "-10"}, "minimum", "JML_SPPT_YG_DIBAYAR"),
        ({"NOP": "74.72.090.007.001-0001.0"}, "referensi_kelurahan_sismiop", "NOP"),
        ({"NOP": "73.71.010.007.001-0001.0"}, "referensi_kelurahan_sismiop", "NOP"),
        ({"THN_PAJAK_SPPT": None}, "wajib_diisi", "THN_PAJAK_SPPT"),
        ({"TGL_PEMBAYARAN_SPPT": "05/03/2099"}, "tidak_di_masa_depan", "TGL_PEMBAYARAN_SPPT"),
    ],
)
def test_each_defect_names_rule_column_and_value(pembayaran, override, rule, column):
    [row] = run(pembayaran, [payment(**override)])
    assert row["_ditolak"]
    assert (row["_aturan"], row["_kolom"]) == (rule, column)
    assert column in row["_alasan"]


def test_kode_wilayah_accepts_dotted_and_plain_and_rejects_unknown():
    sptpd = get_dataset(SETTINGS, "sptpd")
    base = {c.source: None for c in sptpd.columns} | {
        "nomor_sptpd": "SPTPD/2025/03/000001", "npwpd": "p.1.0001234.01.07", "jenis_pajak": "Perhotelan",
        "tahun_pajak": "2025", "bulan_pajak": "3", "masa_pajak_awal": "2025-03-01", "masa_pajak_akhir": "2025-03-31",
        "dasar_pengenaan": "1000000.0", "tarif_persen": "10", "pajak_terutang": "100000", "total_bayar": "100000",
        "status_bayar": "lunas", "tanggal_bayar": "2025-04-10T09:00:00+08:00",
    }
    rows = run(sptpd, [base | {"kode_kelurahan_objek": "7472011007"}, base | {"kode_kelurahan_objek": "74.72.09.1001"}])
    assert rows[0]["kode_kelurahan"] == "74.72.01.1007" and not rows[0]["_ditolak"]
    assert rows[0]["jenis_pajak"] == "perhotelan" and rows[0]["status_bayar"] == "LUNAS"
    assert rows[0]["npwpd"] == "P.1.0001234.01.07"
    assert rows[0]["tanggal_bayar"] == dt.datetime(2025, 4, 10, 1, 0, tzinfo=dt.timezone.utc)
    assert rows[1]["_aturan"] == "referensi_kelurahan"


def test_row_rule_runs_only_on_well_typed_rows():
    bphtb = get_dataset(SETTINGS, "bphtb_transaksi")
    row = {
        "NO_SSPD": "SSPD-2025-000001", "NOP": "74.72.020.001.002-0003.0", "TGL_PEROLEHAN": "01/03/2025",
        "JENIS_PEROLEHAN": "jual beli", "NPOP": "500.000.000", "NPOPTKP": "80.000.000", "TARIF": "5",
        "BPHTB_TERUTANG": "21.000.000", "TGL_BAYAR": "03/03/2025", "JML_BAYAR": "21.000.000", "KD_PPAT": "PPAT-001",
    }
    ok, wrong, untyped = run(bphtb, [row, row | {"BPHTB_TERUTANG": "20.000.000"}, row | {"NPOP": "abc"}])
    assert not ok["_ditolak"]
    assert wrong["_aturan"] == "bphtb_sesuai_tarif"
    assert untyped["_aturan"] == "tipe_decimal" and "bphtb_sesuai_tarif" not in untyped["_alasan"]


def test_declaration_errors_name_file_and_field(tmp_path):
    with pytest.raises(ValueError, match=r"x\.yaml: columns\[0\] \(a\): type 'money'"):
        parse_dataset(
            {"dataset": "x", "source": "s", "domain": "d", "format": {"type": "csv"},
             "period": {"column": "a", "grain": "year"}, "columns": [{"name": "a", "type": "money"}]},
            tmp_path / "x.yaml",
        )


def test_sismiop_region_crosswalk():
    assert sismiop_region("74.72.01.1007") == "010007"
    assert sismiop_region("74.72.08.1006") == "080006"
