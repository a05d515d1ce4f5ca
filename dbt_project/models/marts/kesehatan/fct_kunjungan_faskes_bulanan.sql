-- Visits by faskes x month x encounter class x payer (latest version of each encounter, so
-- re-sent resources are counted once). Person-level data never leaves this domain's marts.
select
    cast(left(periode, 4) as integer) as tahun,
    cast(right(periode, 2) as integer) as bulan,
    periode,
    organisasi_id,
    nama_faskes,
    case sumber when 'simrs' then 'RSUD' else 'Puskesmas' end as jenis_faskes,
    kode_kecamatan_faskes,
    kelas,
    penjamin,
    count(*) as jumlah_kunjungan,
    count(distinct pasien_id) as jumlah_pasien
from {{ ref('int_kesehatan__kunjungan') }}
group by all
