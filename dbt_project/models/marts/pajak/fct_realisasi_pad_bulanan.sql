-- Monthly PAD realisation per revenue type, at two levels:
--   tingkat_wilayah = 'kota'      one row per month × type, with the APBD target, year-to-date
--                                 realisation and persen capaian (the standard Bapenda report);
--   tingkat_wilayah = 'kecamatan' the same realisation split by kecamatan where the source says
--                                 where the revenue arose (targets are set for the whole city only).
-- Months run from January to the last month with any receipt in that year, so a year in progress
-- does not show empty future months. Realisasi is the principal (pokok); denda is shown apart.
with transaksi as (
    select t.*, w.kode_kecamatan
    from {{ ref('int_pendapatan__transaksi') }} as t
    left join {{ ref('dim_wilayah') }} as w on w.kode_wilayah = t.kode_kelurahan
),

jenis as (
    select * from {{ ref('dim_jenis_pendapatan') }}
),

target as (
    select
        t.tahun_anggaran as tahun,
        j.kode_jenis_pendapatan,
        coalesce(t.target_perubahan, t.target_murni) as target_tahunan,
        t.target_murni
    from {{ ref('stg_sipd__target_apbd') }} as t
    join jenis as j on j.kode_rekening = t.kode_rekening
),

tahun as (
    select year(tanggal) as tahun, max(month(tanggal)) as bulan_terakhir from transaksi group by 1
    union
    select tahun, 12 from target where tahun not in (select year(tanggal) from transaksi)
),

bulan as (
    select tahun, b.bulan
    from tahun, range(1, 13) as b(bulan)
    where b.bulan <= bulan_terakhir
),

wilayah as (
    select 'kota' as tingkat_wilayah, '74.72' as kode_wilayah, 'KOTA BAUBAU' as nama_wilayah
    union all
    select 'kecamatan', kode_wilayah, nama_wilayah from {{ ref('dim_wilayah') }} where tingkat = 'kecamatan'
),

spine as (
    select bulan.tahun, bulan.bulan, jenis.kode_jenis_pendapatan, wilayah.*
    from bulan, jenis, wilayah
),

per_bulan as (
    select
        year(tanggal) as tahun,
        month(tanggal) as bulan,
        kode_jenis_pendapatan,
        grouping(kode_kecamatan) as is_kota,
        kode_kecamatan,
        sum(pokok) as realisasi,
        sum(denda) as denda,
        count(*) as jumlah_transaksi
    from transaksi
    group by grouping sets ((1, 2, 3), (1, 2, 3, kode_kecamatan))
),

gabung as (
    select
        s.tahun,
        s.bulan,
        s.kode_jenis_pendapatan,
        s.tingkat_wilayah,
        s.kode_wilayah,
        s.nama_wilayah,
        coalesce(p.realisasi, 0) as realisasi,
        coalesce(p.denda, 0) as denda,
        coalesce(p.jumlah_transaksi, 0) as jumlah_transaksi
    from spine as s
    left join per_bulan as p
        on p.tahun = s.tahun and p.bulan = s.bulan and p.kode_jenis_pendapatan = s.kode_jenis_pendapatan
        and (
            (s.tingkat_wilayah = 'kota' and p.is_kota = 1)
            or (s.tingkat_wilayah = 'kecamatan' and p.is_kota = 0 and p.kode_kecamatan = s.kode_wilayah)
        )
)

select
    g.tahun,
    g.bulan,
    printf('%04d-%02d', g.tahun, g.bulan) as periode,
    g.kode_jenis_pendapatan,
    j.nama_jenis_pendapatan,
    j.kelompok,
    g.tingkat_wilayah,
    g.kode_wilayah,
    g.nama_wilayah,
    g.realisasi,
    g.denda,
    g.jumlah_transaksi,
    sum(g.realisasi) over (
        partition by g.tahun, g.kode_jenis_pendapatan, g.tingkat_wilayah, g.kode_wilayah order by g.bulan
    ) as realisasi_kumulatif,
    case when g.tingkat_wilayah = 'kota' then t.target_tahunan end as target_tahunan,
    case when g.tingkat_wilayah = 'kota' then round(t.target_tahunan * g.bulan / 12, 2) end as target_kumulatif,
    case when g.tingkat_wilayah = 'kota' and t.target_tahunan > 0 then round(
        100 * sum(g.realisasi) over (
            partition by g.tahun, g.kode_jenis_pendapatan, g.tingkat_wilayah, g.kode_wilayah order by g.bulan
        ) / t.target_tahunan, 2) end as persen_capaian
from gabung as g
join jenis as j using (kode_jenis_pendapatan)
left join target as t on t.tahun = g.tahun and t.kode_jenis_pendapatan = g.kode_jenis_pendapatan
