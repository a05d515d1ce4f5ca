-- Region hierarchy provinsi → kota → kecamatan → kelurahan, one row per region at every level.
with wilayah as (
    select * from {{ ref('wilayah_kota_baubau') }}
)
select
    w.kode as kode_wilayah,
    w.nama as nama_wilayah,
    w.tingkat,
    w.kode_induk,
    case w.tingkat when 'kelurahan' then w.kode_induk when 'kecamatan' then w.kode end as kode_kecamatan,
    case w.tingkat when 'kelurahan' then induk.nama when 'kecamatan' then w.nama end as nama_kecamatan,
    '74.72' as kode_kota,
    'KOTA BAUBAU' as nama_kota,
    '74' as kode_provinsi,
    'SULAWESI TENGGARA' as nama_provinsi,
    k.prefiks_nop
from wilayah as w
left join wilayah as induk on induk.kode = w.kode_induk
left join {{ ref('int_wilayah__kelurahan') }} as k on k.kode_kelurahan = w.kode
