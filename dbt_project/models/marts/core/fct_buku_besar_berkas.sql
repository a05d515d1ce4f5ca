-- The audit ledger: one row per delivered file with what happened to it, whether its rows balance,
-- whether a later delivery for the same period replaced it, and its latest quality verdict.
with berkas as (
    select * from {{ ref('stg_audit__buku_besar_berkas') }}
),

pengganti as (
    select
        berkas,
        lead(berkas) over (partition by dataset, periode order by berkas) as digantikan_oleh
    from berkas
    where status = 'dimuat'
),

pemeriksaan as (
    select
        berkas,
        max(diperiksa_pada) as diperiksa_pada,
        count(*) filter (where lulus) as pemeriksaan_lulus,
        count(*) filter (where not lulus and tingkat = 'error') as pemeriksaan_gagal_galat,
        count(*) filter (where not lulus and tingkat = 'warn') as pemeriksaan_gagal_peringatan,
        bool_or(diblokir) as diblokir
    from {{ ref('stg_audit__hasil_pemeriksaan') }}
    group by 1
)

select
    b.berkas,
    b.dataset,
    b.sumber,
    b.status,
    b.periode,
    b.diterima_pada,
    b.diproses_pada,
    b.baris_dibaca,
    b.baris_dimuat,
    b.baris_karantina,
    cast(to_json(b.karantina_per_aturan) as varchar) as karantina_per_aturan,
    b.status <> 'dimuat' or b.baris_dibaca = b.baris_dimuat + b.baris_karantina as seimbang,
    p.digantikan_oleh,
    q.diperiksa_pada,
    coalesce(q.pemeriksaan_lulus, 0) as pemeriksaan_lulus,
    coalesce(q.pemeriksaan_gagal_galat, 0) as pemeriksaan_gagal_galat,
    coalesce(q.pemeriksaan_gagal_peringatan, 0) as pemeriksaan_gagal_peringatan,
    coalesce(q.diblokir, false) as diblokir,
    b.pesan,
    b.duplikat_dari,
    b.sha256
from berkas as b
left join pengganti as p using (berkas)
left join pemeriksaan as q using (berkas)
