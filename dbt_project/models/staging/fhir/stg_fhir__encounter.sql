-- Latest version per business identifier (see macros/fhir_versi_terbaru.sql).
{{ fhir_versi_terbaru('encounter') }}
