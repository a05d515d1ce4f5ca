-- The Dinkes monthly Puskesmas visit recap (declared in datasets/kesehatan/rekap_kunjungan.yaml).
select
    bulan,
    strftime(bulan, '%Y-%m') as periode,
    nama_puskesmas,
    kecamatan,
    poli_umum,
    poli_kia,
    poli_gigi,
    poli_lansia,
    ugd,
    rawat_inap,
    penjamin_bpjs,
    penjamin_umum,
    jumlah_kunjungan,
    _berkas_sumber
from {{ source('dinkes', 'rekap_kunjungan') }}
