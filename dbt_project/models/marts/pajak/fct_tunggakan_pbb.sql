-- PBB-P2 arrears by kelurahan and tax year, as of the latest payment delivered.
select
    s.tahun_pajak,
    k.kode_kecamatan,
    k.nama_kecamatan,
    k.kode_kelurahan,
    k.nama_kelurahan,
    count(*) as jumlah_sppt,
    count(*) filter (where s.status_pembayaran = 'lunas') as jumlah_sppt_lunas,
    count(*) filter (where s.status_pembayaran = 'sebagian') as jumlah_sppt_sebagian,
    count(*) filter (where s.status_pembayaran = 'belum_bayar') as jumlah_sppt_belum_bayar,
    sum(s.ketetapan) as ketetapan,
    sum(least(s.terbayar, s.ketetapan)) as terbayar,
    sum(s.tunggakan) as tunggakan,
    round(100 * sum(s.tunggakan) / nullif(sum(s.ketetapan), 0), 2) as persen_tunggakan,
    (select max(tgl_pembayaran) from {{ ref('stg_sismiop__pbb_pembayaran') }}) as per_tanggal
from {{ ref('int_pbb__status_sppt') }} as s
join {{ ref('int_wilayah__kelurahan') }} as k on k.prefiks_nop = s.prefiks_nop
group by all
