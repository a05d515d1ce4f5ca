"""The leak check finds a planted raw identifier (so a passing leak test means something)."""

from __future__ import annotations

import io
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from quality.privacy import Needles, scan_bytes, scan_duckdb

IDS = {"nik": {"7472015406780001"}, "ihs": {"P42627766213"}, "nama": {"Wa Rosmiati Haris", "Ahmad"},
       "telepon": {"+6285359018531"}, "sep": {"0212R0010125V000010"}}


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def test_clean_objects_pass():
    needles = Needles(IDS)
    clean = _parquet(pa.table({"pasien_id": ["9a40f5a71eb263a6f9f90a6b446ed39c"], "nama": ["Ahmad"],
                               "angka": ["74720154067800012"]}))
    assert scan_bytes(needles, "lake/x.parquet", clean) == []
    assert scan_bytes(needles, "open/x.json", json.dumps({"nama_faskes": "Puskesmas Wolio", "n": 5}).encode()) == []


def test_planted_leaks_are_found_in_parquet_json_and_warehouse(tmp_path):
    needles = Needles(IDS)
    leaked = _parquet(pa.table({"ok": ["a", "b"], "bocor": [None, "7472015406780001"]}))
    [finding] = scan_bytes(needles, "lake/bronze/x.parquet", leaked)
    assert (finding.kind, finding.where) == ("nik", "lake/bronze/x.parquet:bocor")
    text = b'{"pesan": "pasien WA ROSMIATI HARIS (+6285359018531) sep 0212R0010125V000010"}'
    assert {f.kind for f in scan_bytes(needles, "lake/ledger/x.json", text)} == {"nama", "telepon", "sep"}
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table fct_x as select 'P42627766213' as ihs, 3 as n")
    con.close()
    assert [f.kind for f in scan_duckdb(db, needles)] == ["ihs"]
