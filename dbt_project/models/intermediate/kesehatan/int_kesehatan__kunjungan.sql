-- One row per encounter (latest version) with the person's residence, age at the visit, the
-- faskes and its kecamatan, and whether a blood pressure was read (and was >= 140/90).
with kunjungan as (
    select * from {{ ref('stg_fhir__encounter') }}
),
pasien as (
    select pasien_id, tahun_lahir, jenis_kelamin, kode_kelurahan, kode_kecamatan from {{ ref('stg_fhir__patient') }}
),
faskes as (
    select id_sumber_daya as organisasi_id, nama as nama_faskes, kode_kelurahan as kode_kelurahan_faskes
    from {{ ref('stg_fhir__organization') }}
),
tekanan_darah as (
    select
        kunjungan_id,
        true as diukur_tekanan_darah,
        bool_or(sistolik >= 140 or diastolik >= 90) as tekanan_darah_tinggi
    from {{ ref('stg_fhir__observation') }}
    where kode_loinc = '85354-9' and sistolik is not null and diastolik is not null
    group by kunjungan_id
)
select
    k.id_sumber_daya as kunjungan_id,
    k.id_bisnis,
    k.sumber,
    k.pasien_id,
    k.kelas,
    k.penjamin,
    k.status,
    k.mulai,
    timezone('Asia/Makassar', k.mulai)::date as tanggal_kunjungan,
    strftime(timezone('Asia/Makassar', k.mulai), '%Y-%m') as periode,
    k.organisasi_id,
    coalesce(f.nama_faskes, 'tidak diketahui') as nama_faskes,
    wf.kode_kecamatan as kode_kecamatan_faskes,
    p.jenis_kelamin,
    year(timezone('Asia/Makassar', k.mulai)) - p.tahun_lahir as umur_tahun,
    coalesce(p.kode_kecamatan, 'tidak diketahui') as kode_kecamatan_pasien,
    coalesce(td.diukur_tekanan_darah, false) as diukur_tekanan_darah,
    coalesce(td.tekanan_darah_tinggi, false) as tekanan_darah_tinggi,
    k._berkas_sumber
from kunjungan as k
left join pasien as p on p.pasien_id = k.pasien_id
left join faskes as f on f.organisasi_id = k.organisasi_id
left join {{ ref('int_wilayah__kelurahan') }} as wf on wf.kode_kelurahan = f.kode_kelurahan_faskes
left join tekanan_darah as td on td.kunjungan_id = k.id_sumber_daya
