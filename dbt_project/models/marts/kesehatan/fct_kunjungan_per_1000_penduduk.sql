-- Visits per 1 000 residents by year and kecamatan of residence. Denominator: Disdukcapil
-- population (dataset 'penduduk' in fct_statistik_sektoral) of the same year, else the nearest.
with kunjungan as (
    select year(tanggal_kunjungan) as tahun, kode_kecamatan_pasien as kode_kecamatan, count(*) as jumlah_kunjungan
    from {{ ref('int_kesehatan__kunjungan') }}
    where kode_kecamatan_pasien <> 'tidak diketahui'
    group by all
),
penduduk as (
    select tahun, kode_kecamatan, sum(nilai) as jumlah_penduduk
    from {{ ref('fct_statistik_sektoral') }}
    where dataset = 'penduduk' and indikator = 'jumlah_penduduk' and tingkat_wilayah = 'kelurahan'
    group by all
)
select
    k.tahun,
    k.kode_kecamatan,
    w.nama as nama_kecamatan,
    k.jumlah_kunjungan,
    p.tahun as tahun_penduduk,
    p.jumlah_penduduk,
    round(1000.0 * k.jumlah_kunjungan / nullif(p.jumlah_penduduk, 0), 1) as kunjungan_per_1000_penduduk
from kunjungan as k
left join {{ ref('wilayah_kota_baubau') }} as w on w.kode = k.kode_kecamatan
left join penduduk as p on p.kode_kecamatan = k.kode_kecamatan
qualify row_number() over (
    partition by k.tahun, k.kode_kecamatan order by (p.tahun <= k.tahun) desc nulls last, abs(p.tahun - k.tahun)
) = 1
