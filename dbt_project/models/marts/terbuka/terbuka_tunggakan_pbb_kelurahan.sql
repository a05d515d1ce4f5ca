{{ config(tags=['pajak']) }}
-- Open data: PBB-P2 arrears per kelurahan and tax year; kelurahan with fewer than 5 SPPT are suppressed.
select
    tahun_pajak,
    kode_kecamatan,
    nama_kecamatan,
    kode_kelurahan,
    nama_kelurahan,
    case when jumlah_sppt >= {{ var('sel_minimum', 5) }} then jumlah_sppt end as jumlah_sppt,
    case when jumlah_sppt >= {{ var('sel_minimum', 5) }} then ketetapan end as ketetapan,
    case when jumlah_sppt >= {{ var('sel_minimum', 5) }} then tunggakan end as tunggakan,
    case when jumlah_sppt >= {{ var('sel_minimum', 5) }} then persen_tunggakan end as persen_tunggakan,
    jumlah_sppt < {{ var('sel_minimum', 5) }} as disembunyikan,
    per_tanggal
from {{ ref('fct_tunggakan_pbb') }}
