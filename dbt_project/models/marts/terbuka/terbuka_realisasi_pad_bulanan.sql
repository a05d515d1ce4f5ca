{{ config(tags=['pajak']) }}
-- Open data: monthly PAD realisation against the APBD target for the whole city, per revenue type.
-- City-wide totals per type are budget-realisation figures the city reports publicly anyway.
select
    tahun,
    bulan,
    periode,
    kode_jenis_pendapatan,
    nama_jenis_pendapatan,
    kelompok,
    target_tahunan,
    realisasi,
    realisasi_kumulatif,
    persen_capaian
from {{ ref('fct_realisasi_pad_bulanan') }}
where tingkat_wilayah = 'kota'
