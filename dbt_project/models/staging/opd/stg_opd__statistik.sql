-- Every OPD statistical table in the long shape (one row per region × indicator × breakdown × year),
-- unioned from each declared dataset's bronze (see macros/statistik.sql).
select
    dataset,
    indikator,
    kode_wilayah,
    nama_wilayah,
    tingkat_wilayah,
    cast(tahun as integer) as tahun,
    coalesce(rincian, '') as rincian,
    cast(nilai as decimal(18, 4)) as nilai,
    status_nilai,
    satuan,
    _berkas_sumber,
    _baris_berkas,
    _dimuat_pada
from ({{ gabung_bronze_statistik() }}) as bronze
