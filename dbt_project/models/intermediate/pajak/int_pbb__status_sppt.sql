-- Payment status per SPPT (NOP × tax year): what was assessed, what has been paid so far, and the
-- arrears (never negative: an overpayment does not offset another object's arrears).
with sppt as (
    select * from {{ ref('stg_sismiop__pbb_sppt') }}
),

bayar as (
    select nop, tahun_pajak, sum(jml_dibayar) as terbayar, sum(denda) as denda_dibayar,
           max(tgl_pembayaran) as tgl_pembayaran_terakhir
    from {{ ref('stg_sismiop__pbb_pembayaran') }}
    group by 1, 2
)

select
    s.nop,
    s.tahun_pajak,
    left(s.nop, 10) as prefiks_nop,
    s.pbb_harus_dibayar as ketetapan,
    coalesce(b.terbayar, 0) as terbayar,
    coalesce(b.denda_dibayar, 0) as denda_dibayar,
    greatest(s.pbb_harus_dibayar - coalesce(b.terbayar, 0), 0) as tunggakan,
    s.tgl_jatuh_tempo,
    b.tgl_pembayaran_terakhir,
    case
        when coalesce(b.terbayar, 0) >= s.pbb_harus_dibayar then 'lunas'
        when coalesce(b.terbayar, 0) > 0 then 'sebagian'
        else 'belum_bayar'
    end as status_pembayaran
from sppt as s
left join bayar as b using (nop, tahun_pajak)
