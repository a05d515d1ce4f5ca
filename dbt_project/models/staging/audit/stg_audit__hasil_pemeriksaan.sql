select
    berkas,
    dataset,
    diperiksa_pada,
    diblokir,
    pemeriksaan,
    tingkat,
    lulus,
    baris_gagal
from {{ source('audit', 'hasil_pemeriksaan') }}
