-- One row per declared indicator of a statistical dataset (the declaration's indicators list).
with daftar as (
    select dataset, unnest(indikator) as i
    from {{ ref('stg_metadata__dataset') }}
)
select
    dataset,
    i.kode as indikator,
    i.nama as nama_indikator,
    i.satuan as satuan,
    i.deskripsi as deskripsi_indikator
from daftar
