{#
  One row per FHIR business identifier: every delivered version of a resource is kept in bronze, and
  the latest meta.lastUpdated wins (then the later delivery, then the later entry), so re-sent
  resources update rather than duplicate.
#}
{% macro fhir_versi_terbaru(resource) %}
select * exclude (_rang)
from (
    select
        *,
        row_number() over (
            partition by id_bisnis
            order by terakhir_diperbarui desc, _dimuat_pada desc, _berkas_sumber desc, _baris_berkas desc
        ) as _rang
    from {{ source('fhir', resource) }}
)
where _rang = 1
{% endmacro %}
