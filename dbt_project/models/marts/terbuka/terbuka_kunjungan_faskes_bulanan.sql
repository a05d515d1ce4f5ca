{{ config(tags=['kesehatan']) }}
-- Open data: visits per faskes, month, class and payer. Cells from fewer than 5 visits are
-- suppressed (NULL) and flagged: a rare class at a small Puskesmas could point to one person.
select
    tahun,
    bulan,
    periode,
    nama_faskes,
    jenis_faskes,
    kelas,
    penjamin,
    case when jumlah_kunjungan >= {{ var('sel_minimum', 5) }} then jumlah_kunjungan end as jumlah_kunjungan,
    jumlah_kunjungan < {{ var('sel_minimum', 5) }} as disembunyikan
from {{ ref('fct_kunjungan_faskes_bulanan') }}
