select
    nop,
    tahun_pajak,
    luas_bumi,
    luas_bangunan,
    njop_bumi,
    njop_bangunan,
    njoptkp,
    pbb_terhutang,
    faktor_pengurang,
    pbb_harus_dibayar,
    tgl_jatuh_tempo,
    periode,
    _berkas_sumber,
    _baris_berkas
from {{ source('sismiop', 'pbb_sppt') }}
