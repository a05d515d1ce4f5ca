"""The Command Center board on the warehouse of a real pipeline run.

Each headline figure on the page (Streamlit's AppTest, no browser) is compared with the same
question asked of the warehouse in SQL here; the freshness panel must mark the overdue datasets
(the generated city-year is 2025, so the monthly deliveries are late by now); the stack serves
the page; and a real browser (Debian chromium via Playwright) loads it and keeps a screenshot.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import urllib.request
from pathlib import Path

import duckdb
import pytest

from board.format import angka, bilangan, periode, persen, rupiah, rupiah_penuh
from quality.freshness import assess
from satudata import stack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "board" / "app.py"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def page(tax_city):
    """The board rendered once on the test stack's warehouse."""
    from streamlit.testing.v1 import AppTest

    assert tax_city["result"]["success"], tax_city["result"]["error"]
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def sql(tax_city):
    con = duckdb.connect(str(tax_city["settings"].warehouse_path), read_only=True)
    yield lambda q, *p: con.execute(q, list(p)).fetchone()
    con.close()


def _tiles(at, key: str) -> dict[str, object]:
    return {m.label: m for m in at.get_by_key(key).metric}


def test_revenue_tiles_equal_the_warehouse(page, sql):
    tahun, = sql("SELECT max(tahun) FROM fct_realisasi_pad_bulanan WHERE tingkat_wilayah = 'kota' AND target_tahunan IS NOT NULL")
    bulan, = sql("SELECT max(bulan) FROM fct_realisasi_pad_bulanan WHERE tingkat_wilayah = 'kota' AND tahun = ?", tahun)
    realisasi, target = sql("""SELECT sum(realisasi_kumulatif), sum(target_tahunan) FROM fct_realisasi_pad_bulanan
                               WHERE tingkat_wilayah = 'kota' AND tahun = ? AND bulan = ?""", tahun, bulan)
    tiles = _tiles(page, "panel-pendapatan")
    assert tiles["Realisasi PAD s.d. bulan ini"].value == rupiah(realisasi)
    assert tiles["Realisasi PAD s.d. bulan ini"].help == rupiah_penuh(realisasi)
    assert tiles["Target APBD"].value == rupiah(target)
    assert tiles["Persen capaian"].value == persen(100 * realisasi / target)

    tahun_pajak, tunggakan = sql("""SELECT tahun_pajak, sum(tunggakan) FROM fct_tunggakan_pbb
                                    WHERE tahun_pajak = (SELECT max(tahun_pajak) FROM fct_tunggakan_pbb) GROUP BY 1""")
    assert tiles[f"Tunggakan PBB-P2 tahun pajak {tahun_pajak}"].value == rupiah(tunggakan)

    per_kapita, penduduk = sql("SELECT pad_per_kapita, jumlah_penduduk FROM fct_pad_per_kapita WHERE tingkat_wilayah = 'kota' AND tahun = ?", tahun)
    tile = tiles[f"PAD per kapita {tahun}"]
    assert tile.value == rupiah(per_kapita) and angka(penduduk) in tile.help


def test_health_tiles_equal_the_warehouse(page, sql):
    # the latest month the FHIR feeds have delivered to its last day
    hari, = sql("SELECT max(periode::DATE) FROM fct_buku_besar_berkas WHERE dataset = 'fhir' AND status = 'dimuat'")
    month_end = (hari + dt.timedelta(days=1)).month != hari.month
    bulan_lengkap = hari if month_end else hari.replace(day=1) - dt.timedelta(days=1)
    tahun, bulan = bulan_lengkap.year, bulan_lengkap.month
    kunjungan, = sql("SELECT sum(jumlah_kunjungan) FROM fct_kunjungan_faskes_bulanan WHERE tahun = ? AND bulan = ?", tahun, bulan)
    dewasa, diukur = sql("""SELECT sum(kunjungan_dewasa_rawat_jalan), sum(kunjungan_diukur) FROM fct_skrining_tekanan_darah
                            WHERE tahun = ? AND bulan = ?""", tahun, bulan)
    tiles = _tiles(page, "panel-kesehatan")
    assert tiles[f"Kunjungan {periode(tahun, bulan)}"].value == angka(kunjungan)
    assert tiles[f"Kunjungan {periode(tahun - 1, bulan)}"].value == "Belum ada data"  # the demo has no earlier year
    assert tiles["Skrining tekanan darah"].value == persen(100 * diukur / dewasa)
    # the weekly mart exists, so the early warning is judged (listed or all clear), not "no data"
    warning = page.get_by_key("peringatan-dini")
    assert not any(i.value.startswith("Belum ada data") for i in warning.info)
    assert len(warning.success) + len(warning.error) == 1


def test_sector_statistics_show_the_city_total_with_unit_and_year(page, sql):
    tahun, total, satuan = sql("""SELECT tahun, sum(nilai), any_value(satuan) FROM fct_statistik_sektoral
                                  WHERE indikator = 'jumlah_penduduk' AND tahun = (SELECT max(tahun) FROM fct_statistik_sektoral
                                  WHERE indikator = 'jumlah_penduduk') GROUP BY tahun""")
    tiles = _tiles(page, "panel-statistik")
    assert tiles[f"Jumlah penduduk ({tahun})"].value == f"{bilangan(total)} {satuan}"


def test_freshness_panel_marks_overdue_datasets(page, sql):
    latest, = sql("""SELECT max(periode) FROM fct_buku_besar_berkas
                     WHERE sumber = 'sismiop' AND dataset = 'pbb_pembayaran' AND status = 'dimuat'""")
    late = assess(latest, "month", dt.date.today())
    assert late.overdue  # the generated year is 2025
    panel = page.get_by_key("panel-kesegaran")
    table = panel.dataframe[0].value.set_index("Sumber")
    row = table.loc["sismiop/pbb_pembayaran"]
    assert row["Kesegaran"] == f"terlambat {late.days_late} hari"
    assert row["Periode terbaru"] == latest
    assert row["Frekuensi"] == "bulanan"
    # the gate's verdict is read from the lake (stamped with its validation time), as in Dagster
    assert row["Pemeriksaan terakhir"].endswith("WITA)")
    overdue = int((table["Kesegaran"].str.startswith("terlambat")).sum())
    assert _tiles(page, "panel-kesegaran")["Dataset terlambat"].value == f"{overdue} dari {len(table)}"


def test_nothing_person_level_or_taxpayer_identifying_is_on_the_page(page):
    texts = [m.value for m in page.metric] + [m.help or "" for m in page.metric] + [c.value for c in page.caption]
    for frame in page.dataframe:
        texts += frame.value.astype(str).to_numpy().ravel().tolist()
    nop = re.compile(r"\b\d{18}\b|\b\d{2}\.\d{2}\.\d{3}\.\d{3}\.\d{3}")  # SISMIOP NOP, plain or dotted
    assert not [t for t in texts if nop.search(t)]


def test_stack_serves_the_board(stack_settings):
    row = next(r for r in stack.status(stack_settings) if r["service"] == "board")
    assert row["running"] and row["url"] == f"http://127.0.0.1:{stack_settings.board_port}"
    with urllib.request.urlopen(f"{row['url']}/_stcore/health", timeout=10) as response:
        assert response.read().strip() == b"ok"


def test_browser_loads_the_board_and_keeps_a_screenshot(tax_city, sql):
    from playwright.sync_api import sync_playwright

    settings = tax_city["settings"]
    realisasi, = sql("""SELECT sum(realisasi_kumulatif) FROM fct_realisasi_pad_bulanan WHERE tingkat_wilayah = 'kota'
                        AND (tahun, bulan) = (SELECT (tahun, max(bulan)) FROM fct_realisasi_pad_bulanan
                            WHERE tingkat_wilayah = 'kota' AND tahun = (SELECT max(tahun) FROM fct_realisasi_pad_bulanan
                            WHERE target_tahunan IS NOT NULL) GROUP BY tahun)""")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        try:
            # tall enough for the whole board: Streamlit scrolls inside the page, not the window
            tab = browser.new_page(viewport={"width": 1600, "height": 4400})
            tab.goto(f"http://127.0.0.1:{settings.board_port}", wait_until="domcontentloaded")
            for key in ("panel-pendapatan", "panel-kesehatan", "panel-statistik"):
                tab.locator(f".st-key-{key} [data-testid='stMetric']").first.wait_for(timeout=60_000)
            tab.locator(".st-key-panel-kesegaran [data-testid='stDataFrame']").wait_for(timeout=60_000)
            tab.locator(".st-key-panel-pendapatan [data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
            assert tab.get_by_text(rupiah(realisasi), exact=True).count() >= 1
            tab.wait_for_timeout(1500)  # let the charts finish drawing
            tab.screenshot(path=str(ARTIFACTS / "board.png"))
        finally:
            browser.close()
    assert (ARTIFACTS / "board.png").stat().st_size > 50_000
