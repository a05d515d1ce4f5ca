"""OPD statistical tables: sheet layouts, Indonesian numbers, region names, totals, declarations."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from ingest.generate.opd import expected_values, generate_opd
from ingest.readers import FileRejected
from ingest.sheets import read_table
from ingest.statistik import compile_query, match_regions, parse_values
from satudata.contracts import ContractError, get_dataset, parse_dataset
from satudata.settings import get_settings

SETTINGS = get_settings()
D = Decimal


def typed(path: Path, dataset) -> list[dict]:
    con = duckdb.connect()
    con.register("batch", read_table(path, dataset))
    rel = con.sql(compile_query(dataset, SETTINGS))
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("text", "value", "status"),
    [
        ("1.234,5", D("1234.5"), "ada"),
        ("1.234.567", D("1234567"), "ada"),
        ("1234,25", D("1234.25"), "ada"),
        ("12", D("12"), "ada"),
        (" 7 ", D("7"), "ada"),
        ("-", D("0"), "nihil"),
        ("–", D("0"), "nihil"),
        ("", None, "tidak_tersedia"),
        (None, None, "tidak_tersedia"),
        ("...", None, "tidak_tersedia"),
        ("x", None, "dirahasiakan"),
        ("1.23", None, "ada"),  # ambiguous: neither thousands nor an Indonesian decimal
        ("1.205 KPM", None, "ada"),
        ("1,2,3", None, "ada"),
        ("l.234", None, "ada"),
    ],
)
def test_indonesian_numbers_dash_and_empty(text, value, status):
    [(parsed, kind)] = parse_values([text])
    assert (parsed, kind) == (value, status)


def test_numbers_with_a_decimal_point_when_declared():
    assert [v for v, _ in parse_values(["1,234.5", "1234.5", "1.234,5"], decimal=".")] == [D("1234.5"), D("1234.5"), None]


# --------------------------------------------------------------------------- regions
@pytest.mark.parametrize("name", ["Kec. Wolio", "WOLIO", "Wolio ", "Kecamatan Wolio", "kec.wolio", "  wolio"])
def test_kecamatan_names_match_in_every_spelling(name):
    [(_, kode, nama, tingkat, alasan)] = match_regions(SETTINGS, [name], "kecamatan")
    assert (kode, nama, tingkat, alasan) == ("74.72.02", "WOLIO", "kecamatan", "")


@pytest.mark.parametrize(
    ("name", "kode"),
    [("Kel. Wale", "74.72.02.1001"), ("Lowu Lowu", "74.72.07.1001"), ("Bone-Bone", "74.72.08.1001"),
     ("Ngkaring-Karing", "74.72.04.1002"), ("KELURAHAN BUKIT WOLIO INDAH", "74.72.02.1011"), ("kadolo", "74.72.05.1006")],
)
def test_kelurahan_names_match_despite_prefix_case_spaces_and_hyphens(name, kode):
    [(_, found, _, tingkat, _)] = match_regions(SETTINGS, [name], "kelurahan")
    assert (found, tingkat) == (kode, "kelurahan")


def test_lea_lea_with_a_space_is_the_kecamatan():
    [(_, kode, *_)] = match_regions(SETTINGS, ["Lea Lea"], "kecamatan")
    assert kode == "74.72.07"


def test_near_misses_are_unknown_and_list_the_closest_names():
    (_, kode, _, _, alasan), (_, kode2, _, _, alasan2) = match_regions(SETTINGS, ["Wolyo", "Katobenge"], "kecamatan")
    assert kode is None and "'Wolyo' tidak dikenal sebagai kecamatan" in alasan
    assert "yang paling mirip: WOLIO (74.72.02)" in alasan
    [(_, kode3, _, _, alasan3)] = match_regions(SETTINGS, ["Katobenge"], "kelurahan")
    assert kode3 is None and "KATOBENGKE (74.72.01.1007)" in alasan3.split("yang paling mirip: ")[1].split(",")[0]


def test_a_kecamatan_row_in_a_kelurahan_table_is_a_subtotal_and_a_kelurahan_in_a_kecamatan_table_is_wrong():
    [(_, kode, _, tingkat, alasan)] = match_regions(SETTINGS, ["Kecamatan Wolio"], "kelurahan")
    assert (kode, tingkat, alasan) == ("74.72.02", "kecamatan", "")
    [(_, kode, _, tingkat, alasan)] = match_regions(SETTINGS, ["Wale"], "kecamatan")
    assert tingkat == "kelurahan" and "adalah kelurahan WALE (74.72.02.1001), sedangkan tabel ini per kecamatan" in alasan


# --------------------------------------------------------------------------- layouts
@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    out = tmp_path_factory.mktemp("opd")
    return out, generate_opd(out, year=2025, seed=3, defect_rate=0.01, bad_files=True)


def test_every_generated_layout_reads_to_the_expected_long_rows(delivered):
    out, files = delivered
    expected = {(r["dataset"], r["indikator"], r["kode_wilayah"], r["tahun"], r["rincian"]): (r["nilai"], r["status_nilai"])
                for r in expected_values(2025, 3, 0.01)}
    loaded = {}
    for f in files:
        if f.kind == "bad_file":
            continue
        rows = typed(out / f.key, get_dataset(SETTINGS, f.dataset))
        assert sum(r["_ditolak"] or not r["_agregat"] for r in rows) == f.rows, f.key
        assert sum(r["_ditolak"] for r in rows) == f.defect_rows, f.key
        for r in rows:
            if not r["_ditolak"] and not r["_agregat"]:
                key = (r["dataset"], r["indikator"], r["kode_wilayah"], r["tahun"], r["rincian"])
                assert key not in loaded, key
                loaded[key] = (r["nilai"], r["status_nilai"])
    assert loaded == expected
    assert len({k[0] for k in loaded}) == 8


def test_title_block_merged_headings_units_row_total_and_notes(tmp_path):
    dataset = get_dataset(SETTINGS, "penduduk")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Penduduk"
    for line in ("PEMERINTAH KOTA BAUBAU", "DISDUKCAPIL", "JUMLAH PENDUDUK", "KEADAAN 31 DESEMBER 2024", None):
        ws.append([line])
    ws.append(["No", "Kecamatan/Kelurahan", "Jenis Kelamin", None, "Jumlah"])
    ws.append([None, None, "Laki-laki", "Perempuan", None])
    for cells in ("A6:A7", "B6:B7", "C6:D6", "E6:E7"):
        ws.merge_cells(cells)
    ws.append(["(1)", "(2)", "(3)", "(4)", "(5)"])
    ws.append([None, "KECAMATAN WOLIO", 30, 33, 63])
    ws.append([1, "Kel. Wale", 10, "1.1", 21])  # a decimal where a count belongs: not a number here
    ws.append([2, "TOMBA ", 20, "-", 20])
    ws.append([3, "Tomba", 1, 1, 2])
    ws.append([4, "Wajjo", 5, 5, 10])
    ws.append(["JUMLAH", None, 35, 6, 41])
    ws.merge_cells("A14:B14")
    ws.append([])
    ws.append(["Sumber: DKB"])
    path = tmp_path / "penduduk_2024.xlsx"
    wb.save(path)
    rows = typed(path, dataset)
    assert {r["_baris"] for r in rows} == {9, 10, 11, 12, 13, 14}
    assert {r["tahun"] for r in rows} == {2024}
    by = {(r["_baris"], r["rincian"]): r for r in rows}
    sub = by[(9, "jenis_kelamin=laki-laki")]
    assert sub["_agregat"] and sub["tingkat_wilayah"] == "kecamatan"
    bad = by[(10, "jenis_kelamin=perempuan")]
    assert bad["_aturan"] == "nilai_bukan_angka" and bad["_kolom"] == "D (Jenis Kelamin / Perempuan)"
    assert bad["_alasan"].startswith("berkas penduduk_2024.xlsx, sheet 'Penduduk', baris 10, kolom D (Jenis Kelamin / Perempuan): '1.1'")
    nihil = by[(11, "jenis_kelamin=perempuan")]
    assert (nihil["nilai"], nihil["status_nilai"], nihil["kode_wilayah"]) == (0, "nihil", "74.72.02.1002")
    dup = by[(12, "jenis_kelamin=laki-laki")]
    assert dup["_aturan"] == "wilayah_ganda" and "TOMBA sudah ada di baris 11" in dup["_alasan"]
    unknown = by[(13, "jenis_kelamin=laki-laki")]
    assert unknown["_aturan"] == "wilayah_tidak_dikenal" and "WAJO (74.72.06.1007)" in unknown["_alasan"]
    total = by[(14, "jenis_kelamin=laki-laki")]
    # 35 = 10 + 20 + 5: the duplicate is not counted, the unknown name is: the city total adds up
    assert total["_agregat"] and not total["_ditolak"] and total["tingkat_wilayah"] == "kota"
    # the subtotal of Wolio cannot be checked while a row of the table has an unknown name
    assert not sub["_ditolak"]


def test_total_and_subtotal_mismatches_name_both_numbers(tmp_path):
    dataset = get_dataset(SETTINGS, "penduduk")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Penduduk"
    for line in ("", "", "", "KEADAAN 31 DESEMBER 2025", ""):
        ws.append([line])
    ws.append(["No", "Kecamatan/Kelurahan", "Jenis Kelamin", None])
    ws.append([None, None, "Laki-laki", "Perempuan"])
    ws.merge_cells("C6:D6")
    ws.append([None, "Kec. Wolio", 1000, 2000])
    ws.append([1, "Wale", 400, "1.000"])
    ws.append([2, "Tomba", 500, 1000])
    ws.append(["Jumlah", None, 900, "2.000"])
    path = tmp_path / "penduduk_2025.xlsx"
    wb.save(path)
    rows = {(r["_baris"], r["rincian"]): r for r in typed(path, dataset)}
    sub = rows[(8, "jenis_kelamin=laki-laki")]
    assert sub["_aturan"] == "jumlah_tidak_sesuai"
    assert "baris 'Kec. Wolio' berisi 1.000 tetapi jumlah 2 baris kelurahan di kecamatan WOLIO = 900 (selisih 100)" in sub["_alasan"]
    assert not rows[(8, "jenis_kelamin=perempuan")]["_ditolak"]
    assert not rows[(11, "jenis_kelamin=laki-laki")]["_ditolak"] and rows[(11, "jenis_kelamin=laki-laki")]["_agregat"]
    assert not any(r["_ditolak"] for k, r in rows.items() if k[0] in (9, 10))


def test_csv_headings_merged_by_position_and_total_in_the_number_column(tmp_path):
    dataset = get_dataset(SETTINGS, "penerima_bansos")
    text = "\n".join([
        "DINAS SOSIAL;;;",
        "KPM TAHUN 2025;;;",
        "No;Kecamatan;Program Bantuan;",
        ";;PKH;Sembako/BPNT",
        "1;Kec. Murhum;1.200;2.400",
        "2;BUNGI;-;10",
        "JUMLAH;;1.200;2.410",
        ";;;",
        "Sumber: SIKS-NG;;;",
    ]) + "\n"
    path = tmp_path / "kpm_bansos_2025.csv"
    path.write_text(text, encoding="utf-8")
    rows = typed(path, dataset)
    assert len(rows) == 6 and not any(r["_ditolak"] for r in rows)
    data = sorted((r["kode_wilayah"], r["rincian"], r["nilai"]) for r in rows if not r["_agregat"])
    assert data == [("74.72.04", "program=PKH", 0), ("74.72.04", "program=Sembako", 10),
                    ("74.72.06", "program=PKH", 1200), ("74.72.06", "program=Sembako", 2400)]


def test_wide_year_columns_become_periods(tmp_path):
    dataset = get_dataset(SETTINGS, "produksi_perikanan")
    path = tmp_path / "p.csv"
    path.write_text("JUDUL;;;\n;;;\nNo;Kecamatan;2024;Tahun 2025\n1;Wolio;1.000,5;-\n;Jumlah;1.000,5;0\n", encoding="utf-8")
    rows = [r for r in typed(path, dataset) if not r["_agregat"]]
    assert sorted((r["tahun"], r["nilai"], r["status_nilai"]) for r in rows) == [(2024, D("1000.5"), "ada"), (2025, 0, "nihil")]
    assert {r["periode"] for r in rows} == {"2024", "2025"}


def test_broken_headings_reject_the_file_naming_sheet_rows_and_columns(delivered):
    out, files = delivered
    bad = {f.dataset: f for f in files if f.kind == "bad_file"}
    with pytest.raises(FileRejected) as renamed:
        read_table(out / bad["penduduk"].key, get_dataset(SETTINGS, "penduduk"))
    message = str(renamed.value)
    assert message.startswith("berkas penduduk_kelurahan_2025_revisi.xlsx, sheet 'Penduduk', baris 6–7 (judul kolom)")
    assert "'Jenis Kelamin / Perempuan' tidak ditemukan" in message and "D (Jenis Kelamin / Wanita)" in message
    with pytest.raises(FileRejected, match="ada di baris 6 kolom C: apakah ada baris yang disisipkan"):
        read_table(out / bad["kendaraan_bermotor"].key, get_dataset(SETTINGS, "kendaraan_bermotor"))


def test_missing_year_and_missing_sheet_reject_the_file(tmp_path):
    dataset = get_dataset(SETTINGS, "kejadian_bencana")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Bencana"
    for row in (["REKAP BENCANA (tanpa tahun)"], [], [],
                ["No", "Kecamatan", "Jenis Bencana", None, None, None],
                [None, None, "Banjir", "Tanah Longsor", "Kebakaran", "Cuaca Ekstrem"],
                [1, "Wolio", 1, 2, 3, 4]):
        ws.append(row)
    ws.merge_cells("C4:F4")
    path = tmp_path / "b.xlsx"
    wb.save(path)
    with pytest.raises(FileRejected, match="sheet 'Bencana': tahun data tidak ditemukan di judul tabel"):
        read_table(path, dataset)
    ws.title = "Sheet1"
    wb.save(path)
    with pytest.raises(FileRejected, match="sheet 'Bencana' tidak ada"):
        read_table(path, dataset)


# --------------------------------------------------------------------------- declarations
def _declaration(**changes) -> dict:
    raw = yaml.safe_load(Path(get_dataset(SETTINGS, "sekolah").path).read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        target = raw
        *parents, leaf = dotted.split("__")
        for p in parents:
            target = target[p]
        if value is None:
            target.pop(leaf)
        else:
            target[leaf] = value
    return raw


def test_a_table_declaration_generates_its_long_columns_and_metadata():
    dataset = parse_dataset(_declaration(), Path("sekolah.yaml"))
    assert dataset.is_statistic and [c.name for c in dataset.columns][:3] == ["dataset", "indikator", "kode_wilayah"]
    assert dataset.column("indikator").values == ("jumlah_sekolah", "jumlah_murid", "jumlah_guru")
    assert dataset.satu_data.produsen.slug == "dikbud" and dataset.satu_data.tingkat_penyajian == ("kota", "kecamatan")
    assert dataset.layout.values[0].breakdown_text == "jenjang=SD"
    assert get_dataset(SETTINGS, "retribusi").satu_data.produsen.slug == "bapenda"  # short form still valid


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metadata__konsep": None}, "Satu Data field\\(s\\) konsep missing"),
        ({"metadata__warna": "biru"}, "unknown field\\(s\\) warna"),
        ({"metadata__frekuensi": "kadang"}, "frekuensi 'kadang'"),
        ({"metadata__produsen": {"nama": "Dinas", "slug": "Dinas Pendidikan"}}, "slug 'Dinas Pendidikan'"),
        ({"layout__header_rows": [5, 7]}, "consecutive"),
        ({"layout__region": {"column": "Kecamatan", "level": "desa"}}, "region.level"),
        ({"layout__period": {"title": "TAHUN \\d{4}"}}, "exactly one group"),
        ({"layout__period": None}, "say where the year is"),
        ({"layout__kolom": 3}, "unknown field\\(s\\) kolom"),
        ({"columns": []}, "'columns' is generated"),
    ],
)
def test_table_declaration_errors_name_the_file_and_field(changes, message):
    with pytest.raises(ContractError, match=message) as info:
        parse_dataset(_declaration(**changes), Path("datasets/opd/sekolah.yaml"))
    assert str(info.value).startswith("datasets/opd/sekolah.yaml: ")


def test_a_value_column_must_name_a_declared_indicator():
    raw = _declaration()
    raw["layout"]["values"][0]["indicator"] = "jumlah_kelas"
    with pytest.raises(ContractError, match="indicator 'jumlah_kelas' is not in indicators"):
        parse_dataset(raw, Path("x.yaml"))
