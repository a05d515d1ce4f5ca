{{ config(tags=['kesehatan']) }}
-- Open data: blood-pressure screening of adult outpatients per month and faskes. Shares built
-- from fewer than 5 visits (or fewer than 5 readings) are suppressed and flagged.
select
    tahun,
    bulan,
    periode,
    nama_faskes,
    case when kunjungan_dewasa_rawat_jalan >= {{ var('sel_minimum', 5) }} then kunjungan_dewasa_rawat_jalan end
        as kunjungan_dewasa_rawat_jalan,
    case when kunjungan_dewasa_rawat_jalan >= {{ var('sel_minimum', 5) }} then persen_diukur end as persen_diukur,
    case when kunjungan_diukur >= {{ var('sel_minimum', 5) }} then persen_tekanan_tinggi end as persen_tekanan_tinggi,
    kunjungan_dewasa_rawat_jalan < {{ var('sel_minimum', 5) }} or kunjungan_diukur < {{ var('sel_minimum', 5) }}
        as disembunyikan
from {{ ref('fct_skrining_tekanan_darah') }}
