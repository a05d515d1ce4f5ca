{{ config(tags=['kesehatan']) }}
-- Open data: the ten most frequent diagnoses per month and kecamatan of residence. Cells from
-- fewer than 5 visits are suppressed and flagged; the rank is kept so the list stays readable.
select
    tahun,
    bulan,
    periode,
    kode_kecamatan,
    nama_kecamatan,
    peringkat,
    kode_icd10,
    bab_icd10,
    nama_bab_icd10,
    case when jumlah_kunjungan >= {{ var('sel_minimum', 5) }} then jumlah_kunjungan end as jumlah_kunjungan,
    jumlah_kunjungan < {{ var('sel_minimum', 5) }} as disembunyikan
from {{ ref('fct_penyakit_terbanyak') }}
where peringkat <= 10 and kode_kecamatan <> 'tidak diketahui'
