-- Blood-pressure screening of adults (>= 18 years in the visit's year) in outpatient visits (AMB):
-- share of visits with a reading (LOINC 85354-9 with systolic and diastolic) and share of read
-- visits at or above 140/90 mmHg, by month and faskes.
select
    cast(left(periode, 4) as integer) as tahun,
    cast(right(periode, 2) as integer) as bulan,
    periode,
    organisasi_id,
    nama_faskes,
    kode_kecamatan_faskes,
    count(*) as kunjungan_dewasa_rawat_jalan,
    count(*) filter (where diukur_tekanan_darah) as kunjungan_diukur,
    count(*) filter (where tekanan_darah_tinggi) as kunjungan_tekanan_tinggi,
    round(100.0 * count(*) filter (where diukur_tekanan_darah) / count(*), 1) as persen_diukur,
    round(100.0 * count(*) filter (where tekanan_darah_tinggi)
        / nullif(count(*) filter (where diukur_tekanan_darah), 0), 1) as persen_tekanan_tinggi
from {{ ref('int_kesehatan__kunjungan') }}
where kelas = 'AMB' and umur_tahun >= 18
group by all
