-- OPD sectoral statistics in one long table: one row per dataset × indicator × region × breakdown
-- × year, whatever the delivered sheet looked like. Total and subtotal rows of the sheets are not
-- here (they were checked at ingest); sum the rows to get them.
with statistik as (
    select * from {{ ref('stg_opd__statistik') }}
),

wilayah as (
    select * from {{ ref('dim_wilayah') }}
),

dataset as (
    select dataset, judul, produsen_slug, produsen_nama from {{ ref('stg_metadata__dataset') }}
),

indikator as (
    select * from {{ ref('int_opd__indikator') }}
)

select
    s.dataset,
    d.judul as judul_dataset,
    d.produsen_slug as produsen,
    s.indikator,
    i.nama_indikator,
    s.kode_wilayah,
    s.nama_wilayah,
    s.tingkat_wilayah,
    w.kode_kecamatan,
    w.nama_kecamatan,
    s.tahun,
    s.rincian,
    case when s.rincian = '' then map()::map(varchar, varchar) else map_from_entries(list_transform(
        string_split(s.rincian, '; '),
        x -> struct_pack(key := split_part(x, '=', 1), value := split_part(x, '=', 2))
    )) end as rincian_peta,
    s.nilai,
    s.status_nilai,
    s.satuan,
    s._berkas_sumber,
    s._baris_berkas
from statistik as s
left join wilayah as w on w.kode_wilayah = s.kode_wilayah
left join dataset as d on d.dataset = s.dataset
left join indikator as i on i.dataset = s.dataset and i.indikator = s.indikator
