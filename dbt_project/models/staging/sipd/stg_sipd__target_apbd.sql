select
    tahun_anggaran,
    kode_rekening,
    uraian,
    target_murni,
    target_perubahan,
    periode,
    _berkas_sumber,
    _baris_berkas
from {{ source('sipd', 'target_apbd') }}
