select
    kode_jenis_pendapatan,
    nama_jenis_pendapatan,
    kelompok,
    sub_kelompok,
    kode_rekening,
    sumber_data,
    dasar_hukum
from {{ ref('jenis_pendapatan') }}
