select
    no_sspd,
    nop,
    tgl_perolehan,
    jenis_perolehan,
    npop,
    npoptkp,
    tarif_persen,
    bphtb_terutang,
    tgl_bayar,
    jml_bayar,
    kode_ppat,
    periode,
    _berkas_sumber,
    _baris_berkas
from {{ source('bphtb', 'bphtb_transaksi') }}
