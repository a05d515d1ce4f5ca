-- PAD realisation per resident by year, for the city and each kecamatan.
-- Numerator: realisasi (pokok) from fct_realisasi_pad_bulanan summed over the year's months and
-- revenue types, at the same level ('kota' = all PAD; 'kecamatan' = PAD whose source names a
-- location in that kecamatan). Denominator: Disdukcapil population (dataset 'penduduk', both
-- sexes summed over the kelurahan of each kecamatan) of the same year, else the nearest earlier
-- year, else the nearest later year; tahun_penduduk says which year was used.
with pad as (
    select tahun, tingkat_wilayah, kode_wilayah, nama_wilayah, sum(realisasi) as realisasi_pad
    from {{ ref('fct_realisasi_pad_bulanan') }}
    group by all
),

penduduk_kecamatan as (
    select tahun, kode_kecamatan as kode_wilayah, sum(nilai) as jumlah_penduduk
    from {{ ref('fct_statistik_sektoral') }}
    where dataset = 'penduduk' and indikator = 'jumlah_penduduk' and tingkat_wilayah = 'kelurahan'
    group by all
),

penduduk as (
    select tahun, 'kecamatan' as tingkat_wilayah, kode_wilayah, jumlah_penduduk from penduduk_kecamatan
    union all
    select tahun, 'kota', '74.72', sum(jumlah_penduduk) from penduduk_kecamatan group by tahun
),

pasangan as (
    select
        pad.*,
        p.tahun as tahun_penduduk,
        p.jumlah_penduduk
    from pad
    left join penduduk as p
        on p.tingkat_wilayah = pad.tingkat_wilayah and p.kode_wilayah = pad.kode_wilayah
    qualify row_number() over (
        partition by pad.tahun, pad.tingkat_wilayah, pad.kode_wilayah
        order by (p.tahun <= pad.tahun) desc nulls last, abs(p.tahun - pad.tahun)
    ) = 1
)

select
    tahun,
    tingkat_wilayah,
    kode_wilayah,
    nama_wilayah,
    realisasi_pad,
    cast(jumlah_penduduk as bigint) as jumlah_penduduk,
    tahun_penduduk,
    cast(round(realisasi_pad / nullif(jumlah_penduduk, 0), 2) as decimal(18, 2)) as pad_per_kapita
from pasangan
