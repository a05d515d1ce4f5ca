-- Every revenue receipt from every tax system in one shape: one row per payment/receipt with its
-- revenue type, cash date (WITA) and kelurahan. This is the single source for realisasi.
with kelurahan as (
    select * from {{ ref('int_wilayah__kelurahan') }}
),

pbb as (
    select
        'pbb_p2' as kode_jenis_pendapatan,
        p.tgl_pembayaran as tanggal,
        k.kode_kelurahan,
        p.jml_dibayar as pokok,
        p.denda,
        p._berkas_sumber
    from {{ ref('stg_sismiop__pbb_pembayaran') }} as p
    left join kelurahan as k on k.prefiks_nop = left(p.nop, 10)
),

bphtb as (
    select
        'bphtb' as kode_jenis_pendapatan,
        b.tgl_bayar as tanggal,
        k.kode_kelurahan,
        b.jml_bayar as pokok,
        cast(0 as decimal(18, 2)) as denda,
        b._berkas_sumber
    from {{ ref('stg_bphtb__transaksi') }} as b
    left join kelurahan as k on k.prefiks_nop = left(b.nop, 10)
),

sptpd as (
    select
        case when jenis_pajak = 'mblb' then 'mblb' else 'pbjt_' || jenis_pajak end as kode_jenis_pendapatan,
        tgl_bayar_wita as tanggal,
        kode_kelurahan,
        total_bayar as pokok,
        cast(0 as decimal(18, 2)) as denda,
        _berkas_sumber
    from {{ ref('stg_simpatda__sptpd') }}
    where status_bayar = 'LUNAS'
),

retribusi as (
    select
        'retribusi_' || jenis_retribusi as kode_jenis_pendapatan,
        tanggal,
        kode_kelurahan,
        jumlah as pokok,
        cast(0 as decimal(18, 2)) as denda,
        _berkas_sumber
    from {{ ref('stg_eretribusi__retribusi') }}
)

select * from pbb
union all by name
select * from bphtb
union all by name
select * from sptpd
union all by name
select * from retribusi
