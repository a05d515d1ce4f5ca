"""Landing → bronze for one delivered file: Extract, Validate, Load, Report.

A delivery is streamed from landing to a local working file (hashing it on the way), read batch
by batch, typed and checked in DuckDB (``ingest.rules``), and split into bronze rows and
quarantined rows. A delivery is the complete statement for its period (the period most of its rows
fall in); rows of another period are quarantined, and the bronze object for that period is
replaced in one PUT, so a corrected re-delivery replaces exactly its period and readers never see
half a file. The ledger entry is written last: a file without one is simply processed again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest import ledger
from ingest.readers import ROW_COLUMN, FileRejected, MalformedRow, read_file
from ingest.rules import compile_query, q
from satudata import objectstore
from satudata.contracts import Dataset
from satudata.settings import Settings

LINEAGE_COLUMNS = ("_berkas_sumber", "_sha256_berkas", "_baris_berkas", "_dimuat_pada")


def bronze_key(dataset: Dataset, period: str) -> str:
    return f"{dataset.bronze_prefix}periode={period}/data.parquet"


def quarantine_key(dataset: Dataset, landing_key: str) -> str:
    return f"quarantine/{landing_key}.parquet"


def load_delivery(settings: Settings, dataset: Dataset, landing_key: str, known_sha: dict[str, str]) -> ledger.LedgerEntry:
    """Process one landing object and record the outcome in the ledger.

    ``known_sha`` maps sha256 → landing key of files already loaded for this dataset; a file with a
    known hash is recorded as a duplicate and changes nothing else.
    """
    return ledger.receive(settings, dataset, landing_key, known_sha,
                          lambda local, work, entry: _load(settings, dataset, landing_key, local, work, entry))


def _load(settings: Settings, dataset: Dataset, landing_key: str, local: Path, work: Path, entry: ledger.LedgerEntry) -> None:
    if dataset.is_statistic:
        # OPD tables unpivot to long rows, check totals and may hold several years (ingest.statistik).
        from ingest.statistik import load_table

        load_table(settings, dataset, landing_key, local, work, entry)
        return
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    person_data = any(c.pii == "person" for c in dataset.columns)
    if any(c.pseudonym for c in dataset.columns):
        from ingest.pseudonym import register_duckdb

        register_duckdb(con, settings)
    malformed: list[MalformedRow] = []
    typed_path = work / "typed.parquet"
    raw_names = [c.source for c in dataset.columns]
    schema = pa.schema([(n, pa.string()) for n in raw_names] + [(ROW_COLUMN, pa.int64())])

    rejected: list[FileRejected] = []

    def batches():
        # A reader's FileRejected must not surface as an opaque DuckDB error: keep it and end the stream.
        try:
            for raw in read_file(local, dataset):
                malformed.extend(raw.malformed)
                yield from raw.table.select(raw_names + [ROW_COLUMN]).to_batches()
        except FileRejected as exc:
            rejected.append(exc)

    con.register("batch", pa.RecordBatchReader.from_batches(schema, batches()))
    con.execute(f"COPY ({compile_query(dataset, settings)}) TO '{typed_path}' (FORMAT parquet)")
    con.unregister("batch")
    if rejected:
        raise rejected[0]

    # A business key seen earlier in the same delivery makes the later row a duplicate (quarantined).
    if dataset.key:
        keys = ", ".join(q(k) for k in dataset.key)
        first = f"CASE WHEN NOT _ditolak THEN min(_baris) OVER (PARTITION BY _ditolak, {keys}) END"
    else:
        first = "_baris"
    con.execute(f"CREATE TEMP VIEW checked AS SELECT *, {first} AS _baris_pertama FROM read_parquet('{typed_path}')")
    con.execute(
        "CREATE TEMP VIEW typed AS SELECT * EXCLUDE (_ditolak, _baris_pertama), "
        "_ditolak OR _baris_pertama <> _baris AS _ditolak, "
        "CASE WHEN NOT _ditolak AND _baris_pertama <> _baris THEN _baris_pertama END AS _ganda_dari FROM checked"
    )
    typed = "typed"
    row = con.execute(
        f"SELECT periode, count(*) FROM {typed} WHERE NOT _ditolak GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
    ).fetchone()
    period = row[0] if row else None
    loaded_at = entry.diproses_pada
    lineage = (
        f"{_sql_str(landing_key)} AS _berkas_sumber, {_sql_str(entry.sha256)} AS _sha256_berkas, "
        f"_baris AS _baris_berkas, TIMESTAMPTZ {_sql_str(loaded_at)} AS _dimuat_pada"
    )
    typed_cols = ", ".join(q(c.name) for c in dataset.columns)
    raw_cols = ", ".join(q("asli:" + c.source) for c in dataset.columns)
    off_period = (
        f"'periode_berkas' AS _aturan, {_sql_str(dataset.column(dataset.period.column).source)} AS _kolom, "
        f"periode AS _nilai, 'periode baris (' || periode || ') berbeda dari periode berkas ({period})' AS _alasan"
    )
    key_label = ", ".join(c.source for c in dataset.columns if c.name in dataset.key)
    duplicate = (
        f"'kunci_ganda' AS _aturan, {_sql_str(key_label)} AS _kolom, NULL::VARCHAR AS _nilai, "
        f"'kunci ({key_label}) sama dengan baris ' || _ganda_dari || ' di berkas yang sama' AS _alasan"
    )
    quarantine_sql = f"""
        SELECT _baris, _aturan, _kolom, _nilai, _alasan, {raw_cols}, NULL::VARCHAR AS _teks_asli, {lineage}
        FROM {typed} WHERE _ditolak AND _ganda_dari IS NULL
        UNION ALL
        SELECT _baris, {duplicate}, {raw_cols}, NULL::VARCHAR AS _teks_asli, {lineage}
        FROM {typed} WHERE _ganda_dari IS NOT NULL
        UNION ALL
        SELECT _baris, {off_period}, {raw_cols}, NULL::VARCHAR AS _teks_asli, {lineage}
        FROM {typed} WHERE NOT _ditolak AND periode IS DISTINCT FROM {_sql_str(period)}
    """
    if malformed and person_data:
        # A row that could not be split may hold a NIK or a name: quarantine keeps only its size.
        from ingest.pseudonym import redact

        malformed = [MalformedRow(m.line, m.reason, redact(m.text)) for m in malformed]
    if malformed:
        bad = pa.table(
            {
                "_baris": pa.array([m.line for m in malformed], pa.int64()),
                "_alasan": pa.array([m.reason for m in malformed], pa.string()),
                "_teks_asli": pa.array([m.text for m in malformed], pa.string()),
            }
        )
        con.register("malformed", bad)
        nulls = ", ".join(f"NULL::VARCHAR AS {q('asli:' + c.source)}" for c in dataset.columns)
        quarantine_sql += f"""
        UNION ALL
        SELECT _baris, 'struktur_baris' AS _aturan, NULL::VARCHAR AS _kolom, NULL::VARCHAR AS _nilai, _alasan,
          {nulls}, _teks_asli, {lineage}
        FROM malformed
        """
    quarantine_path = work / "quarantine.parquet"
    con.execute(f"COPY (SELECT * FROM ({quarantine_sql}) ORDER BY _baris) TO '{quarantine_path}' (FORMAT parquet)")
    by_rule = dict(
        con.execute(f"SELECT _aturan, count(*) FROM read_parquet('{quarantine_path}') GROUP BY 1 ORDER BY 2 DESC").fetchall()
    )
    entry.baris_karantina = sum(by_rule.values())
    entry.karantina_per_aturan = by_rule
    entry.periode = period

    if period is not None:
        bronze_path = work / "bronze.parquet"
        con.execute(
            f"COPY (SELECT {typed_cols}, {lineage} FROM {typed} "
            f"WHERE NOT _ditolak AND periode = {_sql_str(period)} ORDER BY _baris) "
            f"TO '{bronze_path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
        )
        entry.baris_dimuat = con.execute(f"SELECT count(*) FROM read_parquet('{bronze_path}')").fetchone()[0]
        entry.objek_bronze = bronze_key(dataset, period)
        objectstore.upload_file(settings, settings.bucket_lake, entry.objek_bronze, bronze_path, "application/vnd.apache.parquet")
    entry.baris_dibaca = entry.baris_dimuat + entry.baris_karantina
    if entry.baris_karantina:
        entry.objek_karantina = quarantine_key(dataset, landing_key)
        objectstore.upload_file(settings, settings.bucket_lake, entry.objek_karantina, quarantine_path, "application/vnd.apache.parquet")
    if entry.baris_dibaca == 0:
        raise FileRejected("berkas tidak berisi baris data")
    con.close()


def _sql_str(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def load_pending(
    settings: Settings, dataset: Dataset, on_file: Callable[[ledger.LedgerEntry], None] | None = None
) -> list[ledger.LedgerEntry]:
    """Process every landing file of ``dataset`` that has no ledger entry yet, oldest first."""
    return load_deliveries(settings, dataset, ledger.pending(settings, dataset), on_file)


def load_deliveries(
    settings: Settings, dataset: Dataset, keys: list[str], on_file: Callable[[ledger.LedgerEntry], None] | None = None
) -> list[ledger.LedgerEntry]:
    """Process the given landing files in order (see :func:`ingest.ledger.process`).

    A delivery states its whole period, so only the one currently in bronze makes identical bytes a
    duplicate: re-sending an earlier good version after a bad correction restores the period.
    """
    return ledger.process(settings, dataset, keys, lambda key, known: load_delivery(settings, dataset, key, known),
                          on_file, current_only=True)


def summarize(entries: list[ledger.LedgerEntry]) -> dict[str, int]:
    """Totals over a run's ledger entries (for Dagster metadata and the CLI)."""
    counts = Counter(e.status for e in entries)
    return {
        "berkas_dimuat": counts[ledger.STATUS_LOADED],
        "berkas_ditolak": counts[ledger.STATUS_REJECTED],
        "berkas_duplikat": counts[ledger.STATUS_DUPLICATE],
        "baris_dimuat": sum(e.baris_dimuat for e in entries),
        "baris_karantina": sum(e.baris_karantina for e in entries),
    }
