-- Daily receipts by revenue type and kelurahan (cash basis, WITA date).
select
    t.tanggal,
    year(t.tanggal) as tahun,
    month(t.tanggal) as bulan,
    t.kode_jenis_pendapatan,
    w.kode_kecamatan,
    t.kode_kelurahan,
    count(*) as jumlah_transaksi,
    sum(t.pokok) as pokok,
    sum(t.denda) as denda,
    sum(t.pokok + t.denda) as total
from {{ ref('int_pendapatan__transaksi') }} as t
left join {{ ref('dim_wilayah') }} as w on w.kode_wilayah = t.kode_kelurahan
group by all
