"""Quality gates on the real stack: severities, blocking downstream models, clearing by re-delivery,
reports for stewards and OPDs, and the audit ledger."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ingest import ledger
from quality import gate
from satudata import objectstore, warehouse
from satudata.contracts import get_dataset
from satudata.runner import run_job

pytestmark = pytest.mark.integration

JUNE = "retribusi_2025-06.csv"


def _etag(settings, mart: str) -> tuple:
    """Identity of a mart object's current version (content hash and write time)."""
    stat = objectstore.client(settings).stat_object(settings.bucket_lake, f"marts/{mart}.parquet")
    return stat.etag, stat.last_modified


def _redeliver(settings, tmp_path: Path, files, damage_share: float, date: str) -> str:
    original = next(f for f in files if f.kind == "normal" and f.key.endswith(JUNE))
    local = tmp_path / "asli.csv"
    objectstore.download(settings, settings.bucket_landing, original.key, local)
    frame = pl.read_csv(local, separator=";", infer_schema=False)
    bad = int(frame.height * damage_share)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < bad).then(pl.lit("74.72.09.1001")).otherwise(pl.col("KODE_KELURAHAN")).alias("KODE_KELURAHAN")
    )
    path = tmp_path / JUNE
    frame.write_csv(path, separator=";")
    key = f"eretribusi/retribusi/{date}/{JUNE}"
    objectstore.upload_file(settings, settings.bucket_landing, key, path, "text/csv")
    return key


def _check(result, asset: str, name: str) -> dict:
    """A check over every partition the run loaded: failed if it failed in any of them."""
    return min((c for c in result["checks"] if c["asset"] == asset and c["check"] == name), key=lambda c: c["passed"])


def test_planted_row_defects_show_as_warnings_not_blocks(tax_city):
    result = tax_city["result"]
    warning = _check(result, "bronze/sismiop/pbb_pembayaran", "tanpa_karantina")
    assert (warning["passed"], warning["severity"]) == (False, "WARN")
    assert _check(result, "bronze/sismiop/pbb_pembayaran", "porsi_karantina")["passed"]
    assert all(c["passed"] for c in result["checks"] if c["severity"] == "ERROR")


def test_blocking_failure_stops_downstream_marts_while_others_proceed(tax_city, tmp_path):
    settings = tax_city["settings"]
    realisasi, tunggakan = _etag(settings, "fct_realisasi_pad_bulanan"), _etag(settings, "fct_tunggakan_pbb")
    key = _redeliver(settings, tmp_path, tax_city["files"], damage_share=0.3, date="2025-07-20")
    result = run_job(settings, "muat_data_pajak")
    assert result["success"], result["error"]
    blocked = _check(result, "bronze/eretribusi/retribusi", "porsi_karantina")
    assert (blocked["passed"], blocked["severity"]) == (False, "ERROR")
    assert [d.name for d in gate.blocked_datasets(settings, [get_dataset(settings, "retribusi")])] == ["retribusi"]
    # marts fed by the blocked dataset were not rebuilt; a mart fed only by PBB was
    assert "marts/fct_realisasi_pad_bulanan" not in result["assets"]
    assert "marts/fct_penerimaan_harian" not in result["assets"]
    assert "marts/fct_tunggakan_pbb" in result["assets"]
    assert _etag(settings, "fct_realisasi_pad_bulanan") == realisasi
    assert _etag(settings, "fct_tunggakan_pbb") != tunggakan
    # the OPD is told what to fix, with an example row and value
    note = objectstore.client(settings).get_object(settings.bucket_landing, f"_umpan_balik/{key}.txt").read().decode()
    assert JUNE in note and "74.72.09.1001" in note and "baris" in note
    # and the stored results for this delivery say it blocked
    stored = objectstore.get_json(settings, settings.bucket_lake, gate.result_key(key))
    assert stored["blocked"] is True
    assert any(o["name"] == "porsi_karantina" and not o["passed"] for o in stored["outcomes"])


def test_fixing_and_redelivering_clears_the_gate(tax_city, tmp_path):
    settings = tax_city["settings"]
    before = _etag(settings, "fct_realisasi_pad_bulanan")
    key = _redeliver(settings, tmp_path, tax_city["files"], damage_share=0.0, date="2025-07-25")
    result = run_job(settings, "muat_data_pajak")
    assert result["success"], result["error"]
    assert _check(result, "bronze/eretribusi/retribusi", "porsi_karantina")["passed"]
    assert not gate.blocked_datasets(settings, [get_dataset(settings, "retribusi")])
    assert "marts/fct_realisasi_pad_bulanan" in result["assets"]
    assert _etag(settings, "fct_realisasi_pad_bulanan") != before
    entries = {e.berkas: e for e in ledger.entries(settings, get_dataset(settings, "retribusi"))}
    original = next(f.key for f in tax_city["files"] if f.kind == "normal" and f.key.endswith(JUNE))
    # the same bytes as the original June file, which the damaged one superseded: loaded again, not a
    # duplicate, and it quarantines exactly what the original did (its own planted typos)
    entry = entries[key]
    assert entry.status == ledger.STATUS_LOADED and entry.sha256 == entries[original].sha256
    assert entry.baris_karantina == entries[original].baris_karantina
    con = warehouse.open_readonly(settings)
    mart = con.execute(
        "select realisasi from fct_realisasi_pad_bulanan where tingkat_wilayah = 'kota' "
        "and periode = '2025-06' and kode_jenis_pendapatan like 'retribusi_%'"
    ).fetchall()
    assert mart


def test_duplicate_business_keys_are_caught_within_and_across_files(tax_city, tmp_path):
    settings = tax_city["settings"]
    header = "NO_BUKTI;TANGGAL;JENIS_RETRIBUSI;LOKASI;KODE_KELURAHAN;JUMLAH;KD_PETUGAS"
    con = warehouse.open_readonly(settings)  # noqa: F841 - the warehouse stays readable throughout
    from satudata.duck import connect

    existing = connect(settings).execute(
        f"select no_bukti from read_parquet('{settings.lake_uri('bronze/eretribusi/retribusi/')}*/*.parquet') limit 1"
    ).fetchone()[0]
    rows = [f"RTB-DUP-1;0{d}/01/2026;pasar;Pasar Wameo;74.72.08.1003;10.000;P01" for d in (2, 3)]
    rows.append(f"{existing};04/01/2026;pasar;Pasar Wameo;74.72.08.1003;10.000;P01")
    path = tmp_path / "retribusi_2026-01.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    key = "eretribusi/retribusi/2026-02-03/retribusi_2026-01.csv"
    objectstore.upload_file(settings, settings.bucket_landing, key, path, "text/csv")
    result = run_job(settings, "muat_data_pajak")
    entry = next(e for e in ledger.entries(settings, get_dataset(settings, "retribusi")) if e.berkas == key)
    assert entry.karantina_per_aturan == {"kunci_ganda": 1}  # the second RTB-DUP-1 row
    unique = _check(result, "bronze/eretribusi/retribusi", "kunci_unik")
    assert (unique["passed"], unique["severity"]) == (False, "ERROR")  # same no_bukti as an earlier month
    # clear it again for the tests that follow: the corrected January file drops the clash
    path.write_text("\n".join([header, *rows[:1]]) + "\n")
    objectstore.upload_file(settings, settings.bucket_landing, key.replace("02-03", "02-04"), path, "text/csv")
    assert _check(run_job(settings, "muat_data_pajak"), "bronze/eretribusi/retribusi", "kunci_unik")["passed"]


def test_reports_are_stored_for_stewards(tax_city):
    settings = tax_city["settings"]
    pages = [k for k, _ in objectstore.list_keys(settings, settings.bucket_lake, "quality/laporan/eretribusi/retribusi/")]
    assert pages
    page = objectstore.client(settings).get_object(settings.bucket_lake, pages[-1]).read().decode()
    assert "Laporan kualitas data" in page and "porsi_karantina" in page
    assert (settings.home / "laporan" / "eretribusi" / "retribusi.html").exists()


def test_audit_ledger_balances_and_records_replacements(tax_city):
    settings = tax_city["settings"]
    con = warehouse.open_readonly(settings)
    total, balanced, replaced = con.execute(
        "select count(*), count(*) filter (where seimbang), count(*) filter (where digantikan_oleh is not null) "
        "from fct_buku_besar_berkas"
    ).fetchone()
    assert total == balanced and total >= len(tax_city["files"])
    assert replaced >= 1
    blocked_file = con.execute(
        "select diblokir, pemeriksaan_gagal_galat from fct_buku_besar_berkas where berkas = 'eretribusi/retribusi/2025-07-20/retribusi_2025-06.csv'"
    ).fetchone()
    assert blocked_file == (True, 1)


def test_recap_mismatch_blocks_pbb_marts_until_a_complete_redelivery(tax_city, tmp_path):
    """SISMIOP re-exports July without its last rows: every row is valid, only the recap can tell."""
    from ingest.generate.tax import generate_tax

    settings = tax_city["settings"]
    payments = get_dataset(settings, "pbb_pembayaran")
    # the session's city again (same arguments, so the same bytes), with the planted short re-export
    files = generate_tax(tmp_path, scale=0.05, seed=7, defect_rate=0.01, bad_files=False, rekap_selisih=True)
    [short] = [f for f in files if f.kind == "selisih_rekap"]
    complete = next(f for f in files if f.kind == "normal" and f.key.endswith("pembayaran_pbb_2025-07.csv"))
    assert complete.key in {f.key for f in tax_city["files"]}
    realisasi = _etag(settings, "fct_realisasi_pad_bulanan")
    objectstore.upload_file(settings, settings.bucket_landing, short.key, tmp_path / short.key, "text/csv")
    result = run_job(settings, "muat_data_pajak")
    assert result["success"], result["error"]
    check = _check(result, "bronze/sismiop/pbb_pembayaran", "cocok_rekap_sismiop")
    assert (check["passed"], check["severity"]) == (False, "ERROR")
    assert [d.name for d in gate.blocked_datasets(settings, [payments])] == ["pbb_pembayaran"]
    assert "marts/fct_realisasi_pad_bulanan" not in result["assets"]
    assert "marts/fct_tunggakan_pbb" not in result["assets"]
    assert _etag(settings, "fct_realisasi_pad_bulanan") == realisasi
    # the stored verdict names the month, the bank and the amount missing against the recap
    status = objectstore.get_json(settings, settings.bucket_lake, gate.status_key(payments))
    outcome = next(o for o in status["outcomes"] if o["name"] == "cocok_rekap_sismiop")
    july = [s for s in outcome["samples"] if s.startswith("2025-07 ")]
    assert july and all("kurang dari rekap" in s for s in july)
    assert any(": jml_dibayar — rekap (total_pokok) Rp " in s and ", selisih Rp " in s for s in july)
    observed = outcome["observed"]
    others = {p: o for p, o in observed.items() if p != "2025-07"} if isinstance(observed, dict) else {}
    assert all("cocok" in o for o in others.values()), others

    # SISMIOP re-exports the whole month (a fresh export: same rows, Windows line endings)
    fixed = tmp_path / "lengkap.csv"
    fixed.write_bytes((tmp_path / complete.key).read_bytes().replace(b"\n", b"\r\n"))
    key = complete.key.replace("2025-08-05", "2025-08-09")
    objectstore.upload_file(settings, settings.bucket_landing, key, fixed, "text/csv")
    result = run_job(settings, "muat_data_pajak")
    assert result["success"], result["error"]
    assert _check(result, "bronze/sismiop/pbb_pembayaran", "cocok_rekap_sismiop")["passed"]
    assert not gate.blocked_datasets(settings, [payments])
    assert "marts/fct_realisasi_pad_bulanan" in result["assets"]
    entry = next(e for e in ledger.entries(settings, payments) if e.berkas == key)
    assert entry.periode == "2025-07" and entry.baris_dibaca == complete.rows
