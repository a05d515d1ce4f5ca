{{ config(tags=['pajak']) }}
-- Open data: yearly realisation per kecamatan and revenue type. A cell built from fewer than
-- 5 transactions could reveal what one taxpayer paid, so its amounts are suppressed and flagged.
with tahunan as (
    select
        tahun,
        kode_wilayah as kode_kecamatan,
        nama_wilayah as nama_kecamatan,
        kode_jenis_pendapatan,
        nama_jenis_pendapatan,
        sum(jumlah_transaksi) as jumlah_transaksi,
        sum(realisasi) as realisasi
    from {{ ref('fct_realisasi_pad_bulanan') }}
    where tingkat_wilayah = 'kecamatan'
    group by all
)
select
    tahun,
    kode_kecamatan,
    nama_kecamatan,
    kode_jenis_pendapatan,
    nama_jenis_pendapatan,
    case when jumlah_transaksi >= {{ var('sel_minimum', 5) }} then jumlah_transaksi end as jumlah_transaksi,
    case when jumlah_transaksi >= {{ var('sel_minimum', 5) }} then realisasi end as realisasi,
    jumlah_transaksi < {{ var('sel_minimum', 5) }} as disembunyikan
from tahunan
