select
    nop,
    tahun_pajak,
    pembayaran_ke,
    tgl_pembayaran,
    jml_dibayar,
    denda,
    tempat_bayar,
    periode,
    _berkas_sumber,
    _baris_berkas
from {{ source('sismiop', 'pbb_pembayaran') }}
