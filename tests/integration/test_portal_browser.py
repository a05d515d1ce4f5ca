"""The public's view of the portal in a real browser (Debian chromium driven by Playwright):
home → search by an Indonesian word → dataset → download the CSV, which must match the mart."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from satudata.duck import connect

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_citizen_finds_and_downloads_a_dataset(tax_city, tmp_path):
    from playwright.sync_api import sync_playwright

    settings = tax_city["settings"]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        try:
            page = browser.new_page(accept_downloads=True)
            page.goto(settings.ckan_url, wait_until="domcontentloaded")
            search = page.locator("input[name='q']").first
            search.fill("tunggakan")
            search.press("Enter")
            page.wait_for_url("**/dataset/**q=tunggakan**")
            page.get_by_role("link", name="Tunggakan PBB-P2 per Kelurahan").first.click()
            page.wait_for_url("**/dataset/tunggakan-pbb-kelurahan")
            assert "Tunggakan PBB-P2 per Kelurahan" in page.title()
            page.get_by_role("link", name="Data (CSV)").first.click()
            page.wait_for_url("**/resource/**")
            page.screenshot(path=str(ARTIFACTS / "portal-sumber-daya.png"), full_page=True)
            link = page.locator("a[href*='/download/'][href$='.csv']").first
            with page.expect_download() as download_info:
                link.click()
            downloaded = tmp_path / "unduhan.csv"
            download_info.value.save_as(downloaded)
        finally:
            browser.close()
    con = connect(settings)
    got = con.execute(f"select count(*), sum(tunggakan), sum(ketetapan) from read_csv('{downloaded}')").fetchone()
    want = con.execute(
        "select count(*), sum(tunggakan), sum(ketetapan) from "
        f"read_parquet('{settings.lake_uri('marts/terbuka_tunggakan_pbb_kelurahan.parquet')}')"
    ).fetchone()
    assert got == want and got[0] > 0
