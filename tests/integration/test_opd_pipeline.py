"""OPD sectoral statistics end to end on the test stack: messy sheets → bronze → long mart.

The module shares the session's generated city-year (tax extracts and OPD tables are delivered
together by ``generate_to_landing``) and then adds deliveries of its own: a re-delivered multi-year
sheet and, in the extensibility test, a brand-new dataset declared in a temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from ingest import ledger
from ingest.generate.opd import expected_values
from satudata import objectstore
from satudata.contracts import get_dataset, load_datasets
from satudata.duck import connect

pytestmark = pytest.mark.integration

YEAR, SEED, DEFECT_RATE = 2025, 7, 0.01


@pytest.fixture(scope="module")
def city(request):
    """The session's city-year (the same deliveries the revenue tests use), loaded by the full job."""
    try:
        return request.getfixturevalue("tax_city")
    except pytest.FixtureLookupError:
        from ingest.generate.landing import generate_to_landing
        from satudata.runner import run_job

        settings = request.getfixturevalue("stack_settings")
        files = generate_to_landing(settings, scale=0.05, seed=SEED, defect_rate=DEFECT_RATE, bad_files=True)
        return {"settings": settings, "files": files, "result": run_job(settings, "satudata_lengkap")}


@pytest.fixture(scope="module")
def opd(city):
    files = [f for f in city["files"] if f.key.startswith("opd/")]
    return {**city, "files": files}


def _entries(settings) -> dict[str, ledger.LedgerEntry]:
    return {e.berkas: e for d in load_datasets(settings, "opd") for e in ledger.entries(settings, d)}


def _mart(settings, name: str, where: str = "true") -> list[dict]:
    con = connect(settings)
    rel = con.sql(f"select * from read_parquet('{settings.lake_uri(f'marts/{name}.parquet')}') where {where}")
    return [dict(zip(rel.columns, row)) for row in rel.fetchall()]


def test_full_job_succeeds_with_opd_checks_passing(opd):
    result = opd["result"]
    assert result["success"], result["error"]
    for mart in ("fct_statistik_sektoral", "dim_dataset", "fct_pad_per_kapita"):
        assert f"marts/{mart}" in result["assets"], mart
    failed = [c for c in result["checks"] if not c["passed"] and c["severity"] == "ERROR"]
    assert not failed, failed


def test_every_opd_delivery_is_accounted_for(opd):
    settings, entries = opd["settings"], _entries(opd["settings"])
    declared = {d.name for d in load_datasets(settings, "opd")}
    assert len(declared) >= 8
    assert {f.dataset for f in opd["files"]} == declared
    assert {get_dataset(settings, d).satu_data.produsen.slug for d in declared} >= {
        "disdukcapil", "dikbud", "dishub", "dlh", "dinsos"}
    for f in opd["files"]:
        entry = entries[f.key]
        if f.kind == "bad_file":
            assert entry.status == ledger.STATUS_REJECTED, entry
            continue
        assert entry.status == ledger.STATUS_LOADED, entry
        assert entry.balanced, entry
        assert entry.baris_dibaca == f.rows, (f.key, entry)
        assert entry.baris_karantina == f.defect_rows, (f.key, entry.karantina_per_aturan)
        assert entry.baris_agregat > 0, f.key  # every sheet has a total row, checked and not loaded


def test_broken_headers_are_rejected_naming_file_sheet_row_and_column(opd):
    entries = _entries(opd["settings"])
    bad = {f.dataset: entries[f.key].pesan for f in opd["files"] if f.kind == "bad_file"}
    renamed = bad["penduduk"]
    assert renamed.startswith("opd/penduduk/") and "sheet 'Penduduk'" in renamed and "baris 6–7" in renamed
    assert "'Jenis Kelamin / Perempuan' tidak ditemukan" in renamed and "D (Jenis Kelamin / Wanita)" in renamed
    shifted = bad["kendaraan_bermotor"]
    assert "baris 4–5" in shifted and "ada di baris 6 kolom C" in shifted


def test_quarantine_names_file_sheet_row_column_and_closest_regions(opd):
    settings, entries = opd["settings"], _entries(opd["settings"])
    con = connect(settings)

    def reasons(dataset: str) -> list[tuple]:
        entry = next(e for e in entries.values() if e.dataset == dataset and e.status == ledger.STATUS_LOADED)
        return con.execute(
            f"select _aturan, _kolom, _nilai, _alasan from read_parquet('{settings.lake_uri(entry.objek_karantina)}')"
        ).fetchall()

    wolyo = reasons("volume_sampah")
    assert len(wolyo) == 5 and {r[0] for r in wolyo} == {"wilayah_tidak_dikenal"}
    rule, column, value, reason = wolyo[0]
    assert (column, value) == ("B (Kecamatan)", "Wolyo")
    assert reason.startswith("berkas volume_sampah_2021-2025.xlsx, sheet 'Sampah', baris ")
    assert "kolom B (Kecamatan): 'Wolyo' tidak dikenal" in reason and "yang paling mirip: WOLIO (74.72.02)" in reason

    [(rule, column, value, reason)] = reasons("penerima_bansos")
    assert rule == "nilai_bukan_angka" and column == "C (Program Bantuan / PKH)" and value.endswith(" KPM")
    assert reason.startswith("berkas kpm_bansos_") and "kolom C (Program Bantuan / PKH)" in reason

    [(rule, column, value, reason)] = reasons("sekolah")
    assert rule == "jumlah_tidak_sesuai" and column == "D (SD / Murid)"
    assert "sheet 'Pendidikan'" in reason and "tetapi jumlah 8 baris kecamatan" in reason and "(selisih 100)" in reason


def test_long_mart_reconciles_with_the_delivered_sheets(opd):
    """Every clean cell of every delivered sheet is in fct_statistik_sektoral with its value — and nothing else."""
    settings = opd["settings"]
    expected = {
        (r["dataset"], r["indikator"], r["kode_wilayah"], r["tahun"], r["rincian"]): (Decimal(r["nilai"]), r["status_nilai"])
        for r in expected_values(YEAR, SEED, DEFECT_RATE)
    }
    declared = ", ".join(repr(d.name) for d in load_datasets(settings, "opd"))
    rows = _mart(settings, "fct_statistik_sektoral", f"dataset in ({declared})")
    actual = {(r["dataset"], r["indikator"], r["kode_wilayah"], r["tahun"], r["rincian"]): (r["nilai"], r["status_nilai"])
              for r in rows}
    assert len(actual) == len(rows)
    assert actual == expected
    # the totals the OPD typed agree with the sum of the mart where no defect was planted
    con = connect(settings)
    total = con.execute(
        f"select sum(nilai) from read_parquet('{settings.lake_uri('marts/fct_statistik_sektoral.parquet')}') "
        "where dataset = 'penduduk' and tahun = 2025"
    ).fetchone()[0]
    assert total == sum(v for k, (v, _) in expected.items() if k[0] == "penduduk")
    kinds = {r["status_nilai"] for r in rows}
    assert {"ada", "nihil"} <= kinds
    assert all(r["kode_kecamatan"] and r["nama_indikator"] and r["produsen"] for r in rows)


def test_dim_dataset_holds_the_metadata_of_every_declaration(opd):
    settings = opd["settings"]
    rows = {r["dataset"]: r for r in _mart(settings, "dim_dataset")}
    assert set(rows) >= {d.name for d in load_datasets(settings)}
    pop = rows["penduduk"]
    assert pop["produsen_slug"] == "disdukcapil" and pop["frekuensi"] == "tahunan" and pop["satuan"] == "jiwa"
    assert pop["konsep"] and pop["definisi"] and pop["walidata"] and pop["lisensi"] == "CC-BY-4.0"
    assert pop["tingkat_penyajian"] == ["kota", "kecamatan", "kelurahan"] and pop["jenis"] == "statistik"
    assert [i["kode"] for i in rows["sekolah"]["indikator"]] == ["jumlah_sekolah", "jumlah_murid", "jumlah_guru"]
    assert rows["retribusi"]["produsen_slug"] == "bapenda" and rows["retribusi"]["jenis"] == "rekaman"


def test_pad_per_kapita_divides_kecamatan_revenue_by_disdukcapil_population(opd):
    settings = opd["settings"]
    rows = _mart(settings, "fct_pad_per_kapita", f"tahun = {YEAR}")
    assert {r["tingkat_wilayah"] for r in rows} == {"kota", "kecamatan"} and len(rows) == 9
    population = {}
    for r in expected_values(YEAR, SEED, DEFECT_RATE):
        if r["dataset"] == "penduduk":
            kec = ".".join(r["kode_wilayah"].split(".")[:3])
            population[kec] = population.get(kec, 0) + int(r["nilai"])
    population["74.72"] = sum(population.values())
    pad = {(r["tingkat_wilayah"], r["kode_wilayah"]): r["realisasi"]
           for r in _mart(settings, "fct_realisasi_pad_bulanan", f"tahun = {YEAR}")}
    for r in rows:
        assert r["jumlah_penduduk"] == population[r["kode_wilayah"]] and r["tahun_penduduk"] == YEAR
        assert r["pad_per_kapita"] == round(r["realisasi_pad"] / r["jumlah_penduduk"], 2)
        assert r["pad_per_kapita"] > 0
    assert sum(r["realisasi_pad"] for r in rows if r["tingkat_wilayah"] == "kecamatan") > 0
    assert pad  # the numerator comes from the revenue mart


def test_a_multi_year_redelivery_replaces_only_the_years_it_holds(opd, tmp_path: Path):
    from satudata.runner import run_job

    settings = opd["settings"]
    con = connect(settings)
    glob = settings.lake_uri("bronze/opd/produksi_perikanan/*/*.parquet")

    def by_year() -> dict[str, tuple]:
        return {p: (n, s, src) for p, n, s, src in con.execute(
            f"select periode, count(*), sum(nilai), any_value(_berkas_sumber) from read_parquet('{glob}', "
            "hive_partitioning = true, hive_types_autocast = false) group by 1").fetchall()}

    before = by_year()
    assert sorted(before) == ["2021", "2022", "2023", "2024", "2025"]
    lines = ["PRODUKSI PERIKANAN TANGKAP MENURUT KECAMATAN (TON) TAHUN 2022-2026", "DKP Kota Baubau",
             "No;Kecamatan;2022;2023;2024;2025;2026"]
    names = ["Betoambari", "Wolio", "Sorawolio", "Bungi", "Kokalukuna", "Murhum", "Lea Lea", "Batupoaro"]
    for i, name in enumerate(names, start=1):
        lines.append(f"{i};Kec. {name};" + ";".join(["1.000,5"] * 5))
    lines.append(";Jumlah;" + ";".join(["8.004"] * 5))
    path = tmp_path / "produksi_perikanan_tangkap_2022_2026.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    key = "opd/produksi_perikanan/2027-02-01/produksi_perikanan_tangkap_2022_2026.csv"
    objectstore.upload_file(settings, settings.bucket_landing, key, path, "text/csv")
    result = run_job(settings, "muat_data_opd")
    assert result["success"], result["error"]
    entry = _entries(settings)[key]
    assert entry.periode == "2022,2023,2024,2025,2026" and entry.baris_dimuat == 40 and entry.baris_agregat == 5
    after = by_year()
    assert after["2021"] == before["2021"]
    for year in ("2022", "2023", "2024", "2025", "2026"):
        assert after[year] == (8, Decimal("8004.0000"), key), year
    mart = _mart(settings, "fct_statistik_sektoral", "dataset = 'produksi_perikanan' and tahun = 2026")
    assert len(mart) == 8 and {r["nilai"] for r in mart} == {Decimal("1000.5")}


NEW_DECLARATION = """\
# A dataset a walidata added by declaration only (the README procedure).
dataset: {name}
source: opd
domain: opd
description: Jumlah tempat ibadah menurut kecamatan dan jenis.
format: {{type: xlsx, sheet: Ibadah, decimal: ","}}
layout:
  header_rows: [3, 4]
  region: {{column: Nama Kecamatan, level: kecamatan}}
  period: {{title: 'TAHUN (\\d{{4}})'}}
  values:
    - {{column: [Tempat Ibadah, Masjid], indicator: jumlah_tempat_ibadah, breakdown: {{jenis: masjid}}}}
    - {{column: [Tempat Ibadah, Gereja], indicator: jumlah_tempat_ibadah, breakdown: {{jenis: gereja}}}}
indicators:
  - {{code: jumlah_tempat_ibadah, name: Jumlah tempat ibadah, unit: unit, min: 0}}
metadata:
  judul: Jumlah Tempat Ibadah menurut Kecamatan
  nama_indikator: Jumlah tempat ibadah
  konsep: Bangunan yang dipakai untuk beribadah secara tetap.
  definisi: Banyaknya masjid dan gereja yang terdaftar menurut kecamatan.
  satuan: unit
  ukuran: jumlah
  klasifikasi_penyajian: [kecamatan, jenis tempat ibadah]
  frekuensi: tahunan
  produsen: {{nama: Bagian Kesejahteraan Rakyat Setda Kota Baubau, slug: kesra}}
  walidata: Dinas Komunikasi dan Informatika Kota Baubau
  topik: Sosial Budaya
  tingkat_penyajian: [kota, kecamatan]
  sumber: Bagian Kesra Setda Kota Baubau
  lisensi: CC-BY-4.0
  publikasi: true
"""


def test_a_new_dataset_flows_from_declaration_alone(opd, tmp_path: Path):
    """A walidata adds a folder with one YAML and delivers one sheet; no code, SQL or config changes."""
    from satudata import dbt as dbt_project
    from satudata.settings import PROJECT_ROOT, get_settings

    settings = opd["settings"]
    name = "tempat_ibadah"
    folder = tmp_path / "deklarasi"
    folder.mkdir()
    (folder / f"{name}.yaml").write_text(NEW_DECLARATION.format(name=name), encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Ibadah"
    ws.append(["JUMLAH TEMPAT IBADAH MENURUT KECAMATAN TAHUN 2025"])
    ws.append([])
    ws.append(["Nama Kecamatan", "Tempat Ibadah", None])
    ws.append([None, "Masjid", "Gereja"])
    ws.merge_cells("B3:C3")
    counts = {"Betoambari": (21, 1), "WOLIO": (30, 3), "Sorawolio ": (9, "-"), "Kec. Bungi": (11, "-"),
              "Kokalukuna": (18, 1), "Murhum": (17, 2), "Lea-Lea": (8, "-"), "Batupoaro": (19, 2)}
    for region, (masjid, gereja) in counts.items():
        ws.append([region, masjid, gereja])
    ws.append(["JUMLAH", 133, 9])
    sheet = tmp_path / "tempat_ibadah_2025.xlsx"
    wb.save(sheet)
    key = f"opd/{name}/2026-03-01/tempat_ibadah_2025.xlsx"
    objectstore.upload_file(settings, settings.bucket_landing, key, sheet, "application/octet-stream")

    env = settings.env_for_children()
    env["SATUDATA_DATASETS_DIRS"] = os.pathsep.join([str(PROJECT_ROOT / "datasets"), str(folder)])
    try:
        proc = subprocess.run([str(Path(sys.executable).parent / "satudata"), "run", "muat_data_opd"],
                              env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert f"bronze/opd/{name}" in proc.stdout
    finally:
        dbt_project.prepare(get_settings())  # the generated dbt files follow the default declarations again

    con = connect(settings)
    bronze = con.execute(
        f"select count(*), sum(nilai) from read_parquet('{settings.lake_uri(f'bronze/opd/{name}/*/*.parquet')}')"
    ).fetchone()
    assert bronze == (16, Decimal("142.0000"))
    mart = _mart(settings, "fct_statistik_sektoral", f"dataset = '{name}'")
    assert len(mart) == 16, proc.stdout[-3000:]
    assert sum(r["nilai"] for r in mart) == 142
    assert {r["produsen"] for r in mart} == {"kesra"} and {r["nama_indikator"] for r in mart} == {"Jumlah tempat ibadah"}
    wolio = next(r for r in mart if r["kode_wilayah"] == "74.72.02" and r["rincian"] == "jenis=masjid")
    assert wolio["nilai"] == 30 and wolio["rincian_peta"] == {"jenis": "masjid"}
    [meta] = _mart(settings, "dim_dataset", f"dataset = '{name}'")
    assert meta["produsen_slug"] == "kesra" and meta["judul"] == "Jumlah Tempat Ibadah menurut Kecamatan"
    assert meta["topik"] == "Sosial Budaya" and meta["berkas_deklarasi"].endswith(f"{name}.yaml")
