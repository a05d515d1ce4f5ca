-- Diagnoses (ICD-10, latest version of each Condition) per week and kecamatan of residence: the
-- weekly series against which the Command Center's early warning compares each cell with its own
-- recent history (monthly counts are too coarse to see an outbreak in time, and a same-month
-- comparison needs years of history). Weeks start on Monday, WITA. Aggregate only.
with diagnosis as (
    select
        c.kode_icd10,
        date_trunc('week', k.tanggal_kunjungan)::date as minggu,
        k.kode_kecamatan_pasien as kode_kecamatan,
        k.kunjungan_id,
        k.pasien_id
    from {{ ref('stg_fhir__condition') }} as c
    join {{ ref('int_kesehatan__kunjungan') }} as k on k.kunjungan_id = c.kunjungan_id
)
select
    d.minggu,
    cast(yearweek(d.minggu) // 100 as integer) as tahun_iso,
    cast(weekofyear(d.minggu) as integer) as minggu_ke,
    d.kode_kecamatan,
    coalesce(w.nama, 'Tidak diketahui') as nama_kecamatan,
    d.kode_icd10,
    {{ icd10_bab('d.kode_icd10') }} as bab_icd10,
    {{ icd10_nama_bab(icd10_bab('d.kode_icd10')) }} as nama_bab_icd10,
    count(distinct d.kunjungan_id) as jumlah_kunjungan,
    count(distinct d.pasien_id) as jumlah_pasien
from diagnosis as d
left join {{ ref('wilayah_kota_baubau') }} as w on w.kode = d.kode_kecamatan
group by all
