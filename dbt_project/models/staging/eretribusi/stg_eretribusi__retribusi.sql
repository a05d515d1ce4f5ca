select
    no_bukti,
    tanggal,
    jenis_retribusi,
    lokasi,
    kode_kelurahan,
    jumlah,
    periode,
    _berkas_sumber,
    _baris_berkas
from {{ source('eretribusi', 'retribusi') }}
