-- BPJS/JKN claims by month (discharge), faskes, service type and claim status.
select
    cast(left(periode, 4) as integer) as tahun,
    cast(right(periode, 2) as integer) as bulan,
    periode,
    kode_faskes,
    nama_faskes,
    jenis_pelayanan,
    status_klaim,
    count(*) as jumlah_klaim,
    count(distinct pasien_id) as jumlah_pasien,
    sum(tarif_inacbg) as total_tarif_inacbg
from {{ ref('stg_bpjs__klaim_jkn') }}
group by all
