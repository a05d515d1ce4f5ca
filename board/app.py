"""The Command Center page: ``streamlit run board/app.py`` (the local stack's ``board`` service).

The page body is one fragment that reruns every :data:`REFRESH_DETIK` seconds, so the screen
follows each pipeline run without a reload. Each refresh opens the warehouse read-only and closes
it again: the board never holds a lock, and it picks up the file the next build swaps in. A mart
that is not there yet shows its panel as "Belum ada data"; nothing here fails the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from board import early_warning, freshness, queries
from board.format import (
    angka, bilangan, nama_bulan, periode, persen, perubahan, rupiah, rupiah_penuh, tanggal, waktu,
)
from board.queries import Con
from satudata import warehouse
from satudata.settings import get_settings

REFRESH_DETIK = 30
BELUM_ADA_DATA = "Belum ada data"


# --------------------------------------------------------------------------- small drawing helpers
def _belum_ada(*marts: str) -> None:
    st.info(f"{BELUM_ADA_DATA} — mart {', '.join(marts)} belum ada di warehouse.")


def _ada(con: Con | None, *marts: str) -> bool:
    """Whether a panel part can draw; otherwise say so in its place."""
    if con is not None and queries.tabel_ada(con, *marts):
        return True
    _belum_ada(*marts)
    return False


def _indonesia(expr: str, fmt: str) -> str:
    """A Vega label expression formatting ``expr`` with Indonesian separators (Vega's locale is English)."""
    return (f"replace(replace(replace(format({expr}, '{fmt}'), regexp(',', 'g'), '_'), '.', ','), "
            "regexp('_', 'g'), '.')")


def _sumbu_rupiah(skala: float, satuan: str) -> alt.Axis:
    """An axis in ``satuan`` (juta/miliar Rp): long Rupiah amounts do not fit on an axis."""
    return alt.Axis(title=satuan, labelExpr=_indonesia(f"datum.value / {skala}", ",.1~f"))


def _sumbu_angka(title: str) -> alt.Axis:
    return alt.Axis(title=title, labelExpr=_indonesia("datum.value", ",.0f"))


def _batang(frame: pd.DataFrame, x: str, y: str, x_axis: alt.Axis, tooltip: list[str], color: str | None = None,
            sort: str = "-x") -> None:
    """Horizontal bars (largest first), one readable row per category, with Indonesian tooltips."""
    enc = {
        "x": alt.X(f"{x}:Q", axis=x_axis),
        "y": alt.Y(f"{y}:N", sort=sort, title=None, axis=alt.Axis(labelLimit=260)),
        "tooltip": tooltip,
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", legend=alt.Legend(title=None, orient="top"))
    st.altair_chart(alt.Chart(frame).mark_bar().encode(**enc).properties(height=alt.Step(24)), width="stretch")


# --------------------------------------------------------------------------- pendapatan
def panel_pendapatan(con: Con | None) -> None:
    st.header("Pendapatan Asli Daerah")
    if not _ada(con, "fct_realisasi_pad_bulanan"):
        return
    p = queries.posisi_pad(con)
    if p is None:
        _belum_ada("fct_realisasi_pad_bulanan")
        return
    r = queries.ringkasan_pad(con, p)
    bulanan = queries.pad_bulanan(con, p.tahun)
    st.caption(f"Tahun anggaran {p.tahun}, realisasi (pokok) sampai dengan {periode(p.tahun, p.bulan)}.")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Realisasi PAD s.d. bulan ini", rupiah(r["realisasi_kumulatif"]), help=rupiah_penuh(r["realisasi_kumulatif"]),
              border=True)
    c2.metric("Target APBD", rupiah(r["target_tahunan"]), help=rupiah_penuh(r["target_tahunan"]), border=True)
    selisih = None if r["persen_capaian"] is None or r["persen_jadwal"] is None else r["persen_capaian"] - r["persen_jadwal"]
    c3.metric("Persen capaian", persen(r["persen_capaian"]),
              delta=None if selisih is None else f"{'+' if selisih >= 0 else ''}{angka(selisih, 1)} poin",
              delta_description=f"terhadap target s.d. {nama_bulan(p.bulan)}", border=True)
    with c4:
        if _ada(con, "fct_pad_per_kapita"):
            kota, _ = queries.pad_per_kapita(con, p.tahun)
            if kota:
                st.metric(f"PAD per kapita {kota['tahun']}", rupiah(kota["pad_per_kapita"]), border=True,
                          help=f"{rupiah_penuh(kota['realisasi_pad'])} ÷ {angka(kota['jumlah_penduduk'])} jiwa "
                               f"(penduduk {kota['tahun_penduduk']}, Disdukcapil)")
            else:
                _belum_ada("fct_pad_per_kapita")

    kiri, kanan = st.columns(2)
    with kiri:
        st.subheader("Realisasi per jenis pendapatan")
        jenis = queries.pad_per_jenis(con, p)
        jenis["Realisasi"] = jenis["realisasi_kumulatif"].map(rupiah)
        jenis["Target"] = jenis["target_tahunan"].map(rupiah)
        jenis["Capaian"] = jenis["persen_capaian"].map(persen)
        _batang(jenis, "realisasi_kumulatif", "nama_jenis_pendapatan", _sumbu_rupiah(1e9, "miliar Rp"),
                ["nama_jenis_pendapatan", "Realisasi", "Target", "Capaian"], color="kelompok")
    with kanan:
        st.subheader("Realisasi per bulan")
        bulanan["Bulan"] = bulanan["bulan"].map(lambda b: nama_bulan(int(b))[:3])
        urutan = bulanan["Bulan"].tolist()
        garis = bulanan.melt(id_vars=["Bulan"], value_vars=["realisasi_kumulatif", "target_kumulatif"],
                             var_name="seri", value_name="nilai")
        garis["seri"] = garis["seri"].map({"realisasi_kumulatif": "Realisasi kumulatif", "target_kumulatif": "Target kumulatif"})
        garis["Nilai"] = garis["nilai"].map(rupiah)
        batang = alt.Chart(bulanan.assign(Realisasi=bulanan["realisasi"].map(rupiah))).mark_bar(opacity=0.35).encode(
            x=alt.X("Bulan:N", sort=urutan, title=None), y=alt.Y("realisasi:Q", axis=_sumbu_rupiah(1e9, "miliar Rp")),
            tooltip=["Bulan", "Realisasi"])
        lini = alt.Chart(garis).mark_line(point=True).encode(
            x=alt.X("Bulan:N", sort=urutan), y="nilai:Q",
            color=alt.Color("seri:N", legend=alt.Legend(title=None, orient="bottom")), tooltip=["Bulan", "seri", "Nilai"])
        st.altair_chart(batang + lini, width="stretch", height=360)

    c1, c2, c3 = st.columns(3)
    with c1:
        st.subheader("Paling tertinggal dari target")
        tertinggal = queries.pad_tertinggal(con, p)
        st.dataframe(pd.DataFrame({
            "Jenis pendapatan": tertinggal["nama_jenis_pendapatan"],
            f"Capaian thd target s.d. {nama_bulan(p.bulan)}": tertinggal["persen_terhadap_jadwal"].map(persen),
            "Capaian thd target tahunan": tertinggal["persen_capaian"].map(persen),
            "Kekurangan": tertinggal["kekurangan"].map(rupiah),
        }), hide_index=True)
    with c2:
        st.subheader("Tunggakan PBB-P2 per kecamatan")
        if _ada(con, "fct_tunggakan_pbb"):
            tahun_pajak, pbb = queries.tunggakan_pbb(con)
            if pbb.empty:
                _belum_ada("fct_tunggakan_pbb")
            else:
                st.metric(f"Tunggakan PBB-P2 tahun pajak {tahun_pajak}", rupiah(pbb["tunggakan"].sum()),
                          help=f"{rupiah_penuh(pbb['tunggakan'].sum())} dari ketetapan {rupiah_penuh(pbb['ketetapan'].sum())}")
                pbb["Tunggakan"] = pbb["tunggakan"].map(rupiah)
                pbb["Persen tunggakan"] = pbb["persen_tunggakan"].map(persen)
                _batang(pbb, "tunggakan", "nama_kecamatan", _sumbu_rupiah(1e6, "juta Rp"),
                        ["nama_kecamatan", "Tunggakan", "Persen tunggakan"])
    with c3:
        st.subheader("PAD per kapita per kecamatan")
        if _ada(con, "fct_pad_per_kapita"):
            _, kec = queries.pad_per_kapita(con, p.tahun)
            kec["PAD per kapita"] = kec["pad_per_kapita"].map(rupiah)
            kec["Penduduk"] = kec["jumlah_penduduk"].map(angka)
            _batang(kec, "pad_per_kapita", "nama_wilayah", _sumbu_rupiah(1e3, "ribu Rp"),
                    ["nama_wilayah", "PAD per kapita", "Penduduk"])


# --------------------------------------------------------------------------- kesehatan
def panel_kesehatan(con: Con | None) -> None:
    st.header("Kesehatan")
    h = None
    if _ada(con, "fct_kunjungan_faskes_bulanan"):
        h = queries.bulan_kesehatan(con)
        if h is None:
            _belum_ada("fct_kunjungan_faskes_bulanan")
        else:
            _kunjungan(con, h)
    kiri, kanan = st.columns(2)
    with kiri:
        st.subheader("Diagnosis terbanyak" + (f", {periode(h.tahun, h.bulan)}" if h else ""))
        if h is not None and _ada(con, "fct_penyakit_terbanyak"):
            dx = queries.penyakit_terbanyak(con, h)
            dx["Diagnosis"] = dx["kode_icd10"] + " · " + dx["nama_bab_icd10"].fillna("")
            dx["Kunjungan"] = dx["jumlah_kunjungan"].map(angka)
            _batang(dx, "jumlah_kunjungan", "Diagnosis", _sumbu_angka("kunjungan"), ["Diagnosis", "Kunjungan"])
        elif h is None:
            _belum_ada("fct_kunjungan_faskes_bulanan")
    with kanan:
        panel_peringatan(con)


def _kunjungan(con: Con, h: queries.Periode) -> None:
    """Visits of the month against last month and last year, by faskes and payer, and BP screening."""
    batas = queries.batas_data_kesehatan(con)
    st.caption(f"Bulan lengkap terakhir: {periode(h.tahun, h.bulan)}"
               + (f"; data kunjungan FHIR diterima sampai {tanggal(batas)}." if batas else ".")
               + f" Sel dengan kurang dari {queries.SEL_MINIMUM} kunjungan tidak ditampilkan.")
    k = queries.ringkasan_kunjungan(con, h)
    lalu, setahun = h.sebelumnya(), h.tahun_lalu()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(f"Kunjungan {periode(h.tahun, h.bulan)}", angka(k["bulan_ini"]), border=True,
              delta=perubahan(k["bulan_ini"], k["bulan_lalu"]),
              delta_description=f"dibanding {periode(lalu.tahun, lalu.bulan)} ({angka(k['bulan_lalu'])})" if k["bulan_lalu"] else None)
    c2.metric(f"Kunjungan {periode(setahun.tahun, setahun.bulan)}",
              angka(k["tahun_lalu"]) if k["tahun_lalu"] is not None else BELUM_ADA_DATA, border=True,
              delta=perubahan(k["bulan_ini"], k["tahun_lalu"]),
              delta_description="bulan ini dibanding bulan yang sama tahun lalu" if k["tahun_lalu"] else None)
    if queries.tabel_ada(con, "fct_skrining_tekanan_darah"):
        td, td_faskes = queries.skrining_tekanan_darah(con, h)
        c3.metric("Skrining tekanan darah", persen(td["persen_diukur"]), border=True,
                  help=f"{angka(td['diukur'] or 0)} dari {angka(td['dewasa'] or 0)} kunjungan rawat jalan dewasa (≥ 18 tahun) diukur")
        c4.metric("Tekanan darah ≥ 140/90", persen(td["persen_tinggi"]), border=True,
                  help=f"{angka(td['tinggi'] or 0)} dari {angka(td['diukur'] or 0)} kunjungan yang diukur")
    else:
        td_faskes = None
        with c3:
            _belum_ada("fct_skrining_tekanan_darah")

    kiri, kanan = st.columns(2)
    with kiri:
        st.subheader("Kunjungan per faskes")
        faskes = queries.kunjungan_per_faskes(con, h)
        faskes["Bulan ini"] = faskes["bulan_ini"].map(angka)
        faskes["Bulan lalu"] = faskes["bulan_lalu"].map(lambda v: "–" if pd.isna(v) else angka(int(v)))
        _batang(faskes, "bulan_ini", "nama_faskes", _sumbu_angka("kunjungan"),
                ["nama_faskes", "Bulan ini", "Bulan lalu"], color="jenis_faskes")
    with kanan:
        st.subheader("Kunjungan per penjamin")
        penjamin = queries.kunjungan_per_penjamin(con, h)
        penjamin["Kunjungan"] = penjamin["jumlah_kunjungan"].map(angka)
        _batang(penjamin, "jumlah_kunjungan", "penjamin", _sumbu_angka("kunjungan"),
                ["penjamin", "kelas", "Kunjungan"], color="kelas")
        st.subheader("Skrining tekanan darah per faskes")
        if td_faskes is not None:
            td_faskes["Diukur"] = td_faskes["persen_diukur"].map(persen)
            td_faskes["Kunjungan dewasa"] = td_faskes["dewasa"].map(angka)
            _batang(td_faskes, "persen_diukur", "nama_faskes", alt.Axis(title="% kunjungan dewasa diukur"),
                    ["nama_faskes", "Diukur", "Kunjungan dewasa"], sort="x")
        else:
            _belum_ada("fct_skrining_tekanan_darah")


def panel_peringatan(con: Con) -> None:
    with st.container(key="peringatan-dini"):
        st.subheader("Peringatan dini")
        st.caption(early_warning.ATURAN.uraian())
        if not _ada(con, "fct_penyakit_mingguan"):
            return
        minggu = early_warning.minggu_evaluasi(con)
        if minggu is None:
            _belum_ada("fct_penyakit_mingguan")
            return
        hasil = early_warning.peringatan_dini(con, minggu)
        label = early_warning.label_minggu(minggu)
        if hasil.empty:
            st.success(f"Minggu {label}: tidak ada diagnosis × kecamatan di atas ambang.")
            return
        st.error(f"Minggu {label}: {len(hasil)} diagnosis × kecamatan di atas ambang.")
        st.dataframe(pd.DataFrame({
            "Kecamatan": hasil["nama_kecamatan"],
            "Diagnosis": hasil["kode_icd10"] + " · " + hasil["nama_bab_icd10"].fillna(""),
            "Kunjungan minggu ini": hasil["jumlah_kunjungan"].astype(int),
            "Rata-rata sebelumnya": hasil["rata_rata"].map(lambda v: bilangan(round(v, 1))),
            "Ambang": hasil["ambang"].map(lambda v: bilangan(round(v, 1))),
        }), hide_index=True)


# --------------------------------------------------------------------------- statistik sektoral
def panel_statistik(con: Con | None) -> None:
    st.header("Statistik sektoral")
    if not _ada(con, "fct_statistik_sektoral"):
        return
    frame = queries.indikator_utama(con)
    if frame.empty:
        _belum_ada("fct_statistik_sektoral")
        return
    st.caption("Angka kota = jumlah seluruh kecamatan/kelurahan pada tahun terakhir yang dilaporkan OPD.")
    per_baris = 4
    for start in range(0, len(frame), per_baris):
        for col, row in zip(st.columns(per_baris), frame.iloc[start:start + per_baris].itertuples(index=False)):
            with col:
                nilai = "per wilayah" if pd.isna(row.nilai) else f"{bilangan(row.nilai)} {row.satuan}"
                sebelumnya = None if pd.isna(row.nilai) or pd.isna(row.nilai_sebelumnya) else row.nilai_sebelumnya
                st.metric(f"{row.nama_indikator} ({row.tahun})", nilai, border=True,
                          delta=perubahan(row.nilai, sebelumnya),
                          delta_description=f"dibanding {int(row.tahun_sebelumnya)}" if sebelumnya is not None else None,
                          help=f"{row.judul_dataset}" + ("" if row.lengkap else " — sebagian wilayah tidak tersedia"))
                st.caption(row.produsen)


# --------------------------------------------------------------------------- kesegaran & kualitas
def panel_kesegaran(con: Con | None) -> None:
    st.header("Kesegaran & kualitas data")
    if not _ada(con, "fct_buku_besar_berkas"):
        return
    frame, dari_lake = freshness.kesegaran(con, get_settings())
    terlambat = int((frame["Terlambat (hari)"] > 0).sum())
    diblokir = int(frame["Pemeriksaan terakhir"].str.startswith("diblokir").sum())
    c1, c2, c3 = st.columns(3)
    c1.metric("Dataset terlambat", f"{terlambat} dari {len(frame)}", border=True)
    c2.metric("Dataset diblokir gerbang mutu", str(diblokir), border=True)
    c3.metric("Baris dikarantina (pengiriman terakhir)", angka(int(frame["Baris karantina"].sum())), border=True)
    if not dari_lake:
        st.caption("Object store tidak terjangkau: status pemeriksaan diambil dari buku besar berkas di warehouse.")
    st.dataframe(frame.drop(columns=["Baris karantina", "Terlambat (hari)"]), hide_index=True,
                 height=38 + 35 * len(frame), column_config={"Dataset": st.column_config.TextColumn(width="large")})


# --------------------------------------------------------------------------- page
PANELS: tuple[tuple[str, Callable[[Con | None], None]], ...] = (
    ("panel-pendapatan", panel_pendapatan),
    ("panel-kesehatan", panel_kesehatan),
    ("panel-statistik", panel_statistik),
    ("panel-kesegaran", panel_kesegaran),
)


def _dibangun(con: Con) -> str:
    if not queries.tabel_ada(con, "_info_warehouse"):
        return "–"
    return waktu(con.execute("SELECT max(dibangun_pada) FROM _info_warehouse").fetchone()[0])


@st.fragment(run_every=REFRESH_DETIK)
def papan() -> None:
    """Everything that refreshes: one read-only session per refresh, closed at the end."""
    settings = get_settings()
    try:
        con = warehouse.open_readonly(settings)
    except FileNotFoundError:
        con = None
        st.warning(f"Warehouse analis {settings.warehouse_path} belum ada; jalankan 'make demo' atau 'satudata run'.")
    try:
        for key, panel in PANELS:
            with st.container(border=True, key=key):
                panel(con)
        st.caption(f"Warehouse dibangun {_dibangun(con) if con else '–'} · diperbarui "
                   f"{waktu(dt.datetime.now(dt.timezone.utc))} · otomatis setiap {REFRESH_DETIK} detik")
    finally:
        if con is not None:
            con.close()


st.set_page_config(page_title="Command Center · Satu Data Baubau", layout="wide")
st.title("Command Center Kota Baubau")
st.caption("Satu Data Baubau — angka agregat dari warehouse analis; tidak ada data perorangan atau wajib pajak.")
papan()
