-- One row per kelurahan with its kecamatan and the SISMIOP region prefix used in NOPs
-- (prov 74, kab 72, kecamatan ×10 in three digits, last three digits of the kelurahan code).
with wilayah as (
    select * from {{ ref('wilayah_kota_baubau') }}
)
select
    kel.kode as kode_kelurahan,
    kel.nama as nama_kelurahan,
    kec.kode as kode_kecamatan,
    kec.nama as nama_kecamatan,
    '7472' || split_part(kel.kode, '.', 3) || '0' || right(split_part(kel.kode, '.', 4), 3) as prefiks_nop
from wilayah as kel
join wilayah as kec on kec.kode = kel.kode_induk
where kel.tingkat = 'kelurahan'
