{{ config(tags=["pajak"], meta={"dagster": {"ref": {"name": "fct_realisasi_pad_bulanan"}}}) }}
-- Reconciliation: the city-level realisation equals the sum of all valid receipts, per year and
-- type, and the kecamatan rows add up to the city rows where every receipt has a known kecamatan.
with mart as (
    select tahun, kode_jenis_pendapatan,
           sum(realisasi) filter (where tingkat_wilayah = 'kota') as kota,
           sum(realisasi) filter (where tingkat_wilayah = 'kecamatan') as kecamatan
    from {{ ref('fct_realisasi_pad_bulanan') }}
    group by 1, 2
),
sumber as (
    select year(tanggal) as tahun, kode_jenis_pendapatan, sum(pokok) as pokok,
           sum(pokok) filter (where kode_kelurahan is not null) as pokok_berwilayah
    from {{ ref('int_pendapatan__transaksi') }}
    group by 1, 2
)
select *
from mart
full join sumber using (tahun, kode_jenis_pendapatan)
where coalesce(mart.kota, 0) <> coalesce(sumber.pokok, 0)
   or coalesce(mart.kecamatan, 0) <> coalesce(sumber.pokok_berwilayah, 0)
