"""The audit ledger as tables: every delivered file and every quality check, for analysts and stewards.

The per-file ledger entries (``ledger/…json``) and the stored validation results
(``quality/hasil/…json``) are consolidated into two Parquet files under ``lake/audit/`` that the
dbt mart ``fct_buku_besar_berkas`` reads. Consolidating in DuckDB keeps the JSON-per-file layout
(atomic, append-only) for writers and gives readers one scan.
"""

from __future__ import annotations

from satudata import objectstore
from satudata.duck import connect
from satudata.settings import Settings

LEDGER_PARQUET = "audit/buku_besar_berkas.parquet"
CHECKS_PARQUET = "audit/hasil_pemeriksaan.parquet"

LEDGER_COLUMNS = {
    "berkas": "VARCHAR", "dataset": "VARCHAR", "sumber": "VARCHAR", "sha256": "VARCHAR", "ukuran_byte": "BIGINT",
    "diterima_pada": "TIMESTAMPTZ", "diproses_pada": "TIMESTAMPTZ", "status": "VARCHAR",
    "baris_dibaca": "BIGINT", "baris_dimuat": "BIGINT", "baris_karantina": "BIGINT",
    "karantina_per_aturan": "MAP(VARCHAR, BIGINT)", "periode": "VARCHAR", "objek_bronze": "VARCHAR",
    "objek_karantina": "VARCHAR", "pesan": "VARCHAR", "duplikat_dari": "VARCHAR",
}
RESULT_COLUMNS = {
    "dataset": "VARCHAR", "source": "VARCHAR", "validated_at": "TIMESTAMPTZ", "blocked": "BOOLEAN",
    "deliveries": "MAP(VARCHAR, VARCHAR)",
    "outcomes": "STRUCT(name VARCHAR, severity VARCHAR, passed BOOLEAN, unexpected_count BIGINT)[]",
}


def _columns_sql(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"


def consolidate(settings: Settings) -> dict[str, int]:
    """Rewrite the two audit Parquet files from the JSON ledger and results; return row counts."""
    con = connect(settings)
    counts = {}
    ledger_glob = settings.lake_uri("ledger/**/*.json")
    results_glob = settings.lake_uri("quality/hasil/**/*.json")
    has_ledger = any(True for _ in objectstore.list_keys(settings, settings.bucket_lake, "ledger/"))
    has_results = any(True for _ in objectstore.list_keys(settings, settings.bucket_lake, "quality/hasil/"))
    ledger_sql = (
        f"SELECT * FROM read_json('{ledger_glob}', columns = {_columns_sql(LEDGER_COLUMNS)}, format = 'auto')"
        if has_ledger else
        "SELECT " + ", ".join(f"NULL::{t} AS {k}" for k, t in LEDGER_COLUMNS.items()) + " WHERE false"
    )
    results_sql = (
        "SELECT d.berkas, r.dataset, r.validated_at AS diperiksa_pada, r.blocked AS diblokir, "
        "o.name AS pemeriksaan, o.severity AS tingkat, o.passed AS lulus, o.unexpected_count AS baris_gagal "
        f"FROM read_json('{results_glob}', columns = {_columns_sql(RESULT_COLUMNS)}, format = 'auto', filename = true) AS r, "
        "unnest(map_values(r.deliveries)) AS d(berkas), unnest(r.outcomes) AS t(o) "
        "WHERE r.filename = "
        f"'{settings.lake_uri('quality/hasil/')}' || d.berkas || '.json'"
        if has_results else
        "SELECT NULL::VARCHAR AS berkas, NULL::VARCHAR AS dataset, NULL::TIMESTAMPTZ AS diperiksa_pada, NULL::BOOLEAN AS diblokir, "
        "NULL::VARCHAR AS pemeriksaan, NULL::VARCHAR AS tingkat, NULL::BOOLEAN AS lulus, NULL::BIGINT AS baris_gagal WHERE false"
    )
    for key, sql in ((LEDGER_PARQUET, ledger_sql), (CHECKS_PARQUET, results_sql)):
        con.execute(f"COPY ({sql}) TO '{settings.lake_uri(key)}' (FORMAT parquet)")
        counts[key] = con.execute(f"SELECT count(*) FROM read_parquet('{settings.lake_uri(key)}')").fetchone()[0]
    return counts
