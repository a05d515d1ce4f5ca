-- BPJS claims as loaded (person identifiers already pseudonymised at bronze).
select
    sep_pseudonim,
    pasien_id,
    tanggal_sep,
    tanggal_pulang,
    kode_faskes,
    nama_faskes,
    jenis_pelayanan,
    kelas_rawat,
    poli,
    diagnosa_icd10,
    diagnosa_sekunder,
    kode_inacbg,
    deskripsi_inacbg,
    tarif_inacbg,
    status_klaim,
    periode,
    _berkas_sumber,
    _baris_berkas
from {{ source('bpjs', 'klaim') }}
