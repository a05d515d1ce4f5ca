{#
  The union of every statistical table's bronze (the OPD long shape), for stg_opd__statistik.

  satudata_tabel_statistik() is generated from the declarations (satudata.dbt.statistic_macros),
  so a newly declared dataset is picked up with no SQL change. Every source() is called while dbt
  parses (lineage to each bronze asset); at run time only tables that already have bronze files
  are read, so declaring a dataset before its first delivery does not break the build.
#}
{% macro gabung_bronze_statistik() %}
  {%- set tabel = satudata_tabel_statistik() -%}
  {%- set ada = [] -%}
  {%- for t in tabel -%}
    {%- set relasi = source(t.source, t.name) -%}
    {%- if execute -%}
      {%- set jumlah = run_query("select count(*) from glob('" ~ t.glob ~ "')").columns[0].values()[0] -%}
      {%- if jumlah > 0 -%}{%- do ada.append(relasi) -%}{%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if ada -%}
    {%- for relasi in ada %}
    select * from {{ relasi }}
    {% if not loop.last %}union all by name{% endif %}
    {%- endfor -%}
  {%- else %}
    select
      null::varchar as dataset, null::varchar as indikator, null::varchar as kode_wilayah,
      null::varchar as nama_wilayah, null::varchar as tingkat_wilayah, null::bigint as tahun,
      null::varchar as rincian, null::decimal(18, 4) as nilai, null::varchar as status_nilai,
      null::varchar as satuan, null::varchar as periode, null::varchar as _berkas_sumber,
      null::varchar as _sha256_berkas, null::bigint as _baris_berkas, null::timestamptz as _dimuat_pada
    where false
  {%- endif -%}
{% endmacro %}
