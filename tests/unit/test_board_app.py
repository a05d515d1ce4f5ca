"""The board page on small warehouses written by the test: right figures, and "Belum ada data"
in place of any panel whose mart is missing (Streamlit's AppTest, no browser, no stack)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

APP = Path(__file__).resolve().parents[2] / "board" / "app.py"
PANELS = ("panel-pendapatan", "panel-kesehatan", "panel-statistik", "panel-kesegaran")


def _revenue_only(path: Path) -> Path:
    """Two revenue types over two months of 2025, plus a kecamatan row the city figures must ignore."""
    con = duckdb.connect(str(path))
    con.execute("""
        CREATE TABLE fct_realisasi_pad_bulanan AS
        SELECT tahun::BIGINT AS tahun, bulan::BIGINT AS bulan, printf('%d-%02d', tahun, bulan) AS periode,
               kode AS kode_jenis_pendapatan, nama AS nama_jenis_pendapatan, kelompok, tingkat AS tingkat_wilayah,
               wilayah AS kode_wilayah, wilayah AS nama_wilayah, realisasi::DECIMAL(38,2) AS realisasi,
               0::DECIMAL(38,2) AS denda, 1::BIGINT AS jumlah_transaksi, kumulatif::DECIMAL(38,2) AS realisasi_kumulatif,
               target::DECIMAL(18,2) AS target_tahunan, target * bulan / 12.0 AS target_kumulatif,
               round(100.0 * kumulatif / target, 2) AS persen_capaian
        FROM (VALUES
            (2025, 1, 'pbb_p2', 'PBB Perdesaan dan Perkotaan', 'Pajak Daerah', 'kota', '74.72', 100e6, 100e6, 600e6),
            (2025, 2, 'pbb_p2', 'PBB Perdesaan dan Perkotaan', 'Pajak Daerah', 'kota', '74.72', 200e6, 300e6, 600e6),
            (2025, 1, 'bphtb', 'BPHTB', 'Pajak Daerah', 'kota', '74.72', 50e6, 50e6, 400e6),
            (2025, 2, 'bphtb', 'BPHTB', 'Pajak Daerah', 'kota', '74.72', 150e6, 200e6, 400e6),
            (2025, 2, 'bphtb', 'BPHTB', 'Pajak Daerah', 'kecamatan', '74.72.01', 999e6, 999e6, NULL)
        ) AS t(tahun, bulan, kode, nama, kelompok, tingkat, wilayah, realisasi, kumulatif, target)
    """)
    con.close()
    return path


def _run(monkeypatch: pytest.MonkeyPatch, warehouse: Path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SATUDATA_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _says_no_data(block) -> bool:
    return any(i.value.startswith("Belum ada data") for i in block.info)


def test_missing_marts_show_belum_ada_data_and_the_rest_still_draws(tmp_path, monkeypatch):
    at = _run(monkeypatch, _revenue_only(tmp_path / "gudang.duckdb"))
    pendapatan = at.get_by_key("panel-pendapatan")
    tiles = {m.label: m.value for m in pendapatan.metric}
    assert tiles["Realisasi PAD s.d. bulan ini"] == "Rp 500 juta"
    assert tiles["Target APBD"] == "Rp 1 miliar"
    assert tiles["Persen capaian"] == "50,0%"
    # no population, no PBB arrears mart: those parts say so, the revenue figures still show
    assert _says_no_data(pendapatan)
    assert not any("PAD per kapita" in label for label in tiles)
    for key in ("panel-kesehatan", "panel-statistik", "panel-kesegaran"):
        panel = at.get_by_key(key)
        assert _says_no_data(panel), key
        assert not panel.metric, key


def test_without_a_warehouse_every_panel_says_belum_ada_data(tmp_path, monkeypatch):
    at = _run(monkeypatch, tmp_path / "belum-dibangun.duckdb")
    assert "belum ada" in at.warning[0].value
    for key in PANELS:
        assert _says_no_data(at.get_by_key(key)), key
