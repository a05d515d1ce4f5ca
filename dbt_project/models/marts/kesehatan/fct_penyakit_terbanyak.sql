-- Diagnoses (ICD-10, latest version of each Condition) by month and the patient's kecamatan of
-- residence, ranked within each month x kecamatan; ICD-10 chapter from the code.
with diagnosis as (
    select
        c.kode_icd10,
        k.periode,
        k.kode_kecamatan_pasien as kode_kecamatan,
        k.kunjungan_id,
        k.pasien_id
    from {{ ref('stg_fhir__condition') }} as c
    join {{ ref('int_kesehatan__kunjungan') }} as k on k.kunjungan_id = c.kunjungan_id
),
agregat as (
    select
        periode,
        kode_kecamatan,
        kode_icd10,
        count(distinct kunjungan_id) as jumlah_kunjungan,
        count(distinct pasien_id) as jumlah_pasien
    from diagnosis
    group by all
)
select
    cast(left(a.periode, 4) as integer) as tahun,
    cast(right(a.periode, 2) as integer) as bulan,
    a.periode,
    a.kode_kecamatan,
    coalesce(w.nama, 'Tidak diketahui') as nama_kecamatan,
    a.kode_icd10,
    {{ icd10_bab('a.kode_icd10') }} as bab_icd10,
    {{ icd10_nama_bab(icd10_bab('a.kode_icd10')) }} as nama_bab_icd10,
    a.jumlah_kunjungan,
    a.jumlah_pasien,
    rank() over (partition by a.periode, a.kode_kecamatan order by a.jumlah_kunjungan desc) as peringkat
from agregat as a
left join {{ ref('wilayah_kota_baubau') }} as w on w.kode = a.kode_kecamatan
