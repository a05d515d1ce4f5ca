"""The analysts' DuckDB warehouse: every mart as a table in one file, replaced atomically.

dbt writes marts as Parquet under ``lake/marts/``. This module copies them into a fresh DuckDB
file next to the old one and renames it into place, so an analyst (``satudata sql``, DuckDB's
Python API or CLI) who has the warehouse open read-only never meets a write lock and never sees a
half-built warehouse: their session keeps the previous file until they reconnect.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb

from satudata import objectstore
from satudata.duck import connect
from satudata.settings import Settings

MARTS_PREFIX = "marts/"


def mart_names(settings: Settings) -> list[str]:
    """Mart tables present in the lake (one ``<name>.parquet`` each)."""
    names = []
    for key, _ in objectstore.list_keys(settings, settings.bucket_lake, MARTS_PREFIX):
        name = key[len(MARTS_PREFIX) :]
        if name.endswith(".parquet") and "/" not in name:
            names.append(name[: -len(".parquet")])
    return sorted(names)


def build(settings: Settings) -> dict[str, int]:
    """Rebuild the warehouse from the lake's marts; returns row counts per table."""
    target = settings.warehouse_path
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(f".building-{os.getpid()}.duckdb")
    staging.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = connect(settings, str(staging))
    try:
        for name in mart_names(settings):
            uri = settings.lake_uri(f"{MARTS_PREFIX}{name}.parquet")
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM read_parquet(\'{uri}\')')
            counts[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        con.execute(
            "CREATE TABLE _info_warehouse AS SELECT ?::TIMESTAMPTZ AS dibangun_pada, ? AS sumber",
            [dt.datetime.now(dt.timezone.utc), settings.lake_uri(MARTS_PREFIX)],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(staging, target)
    return counts


# What a steward wants to see on the warehouse asset in Dagster: the latest periods of the key marts.
HIGHLIGHTS = {
    "realisasi_vs_target": (
        "fct_realisasi_pad_bulanan",
        """SELECT periode, sum(realisasi) AS realisasi_bulan, sum(realisasi_kumulatif) AS realisasi_kumulatif,
                  sum(target_tahunan) AS target_tahunan,
                  round(100 * sum(realisasi_kumulatif) / nullif(sum(target_tahunan), 0), 1) AS persen_capaian
           FROM fct_realisasi_pad_bulanan WHERE tingkat_wilayah = 'kota'
           GROUP BY periode ORDER BY periode DESC LIMIT 6""",
    ),
    "tunggakan_pbb": (
        "fct_tunggakan_pbb",
        """SELECT tahun_pajak::VARCHAR AS tahun_pajak, sum(ketetapan) AS ketetapan, sum(terbayar) AS terbayar, sum(tunggakan) AS tunggakan,
                  round(100 * sum(tunggakan) / nullif(sum(ketetapan), 0), 1) AS persen_tunggakan
           FROM fct_tunggakan_pbb GROUP BY tahun_pajak ORDER BY tahun_pajak DESC LIMIT 3""",
    ),
    "kunjungan_faskes": (
        "fct_kunjungan_faskes_bulanan",
        """SELECT periode, sum(jumlah_kunjungan) FILTER (WHERE penjamin = 'BPJS') AS kunjungan_bpjs,
                  sum(jumlah_kunjungan) FILTER (WHERE penjamin <> 'BPJS') AS kunjungan_lain,
                  sum(jumlah_kunjungan) AS jumlah_kunjungan
           FROM fct_kunjungan_faskes_bulanan GROUP BY periode ORDER BY periode DESC LIMIT 6""",
    ),
}


def _markdown(columns: list[str], rows: list[tuple]) -> str:
    def cell(value: object) -> str:
        if value is None:
            return "-"
        if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
            return f"{value:,.1f}".replace(",", "·").replace(".", ",").replace("·", ".").removesuffix(",0")
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def highlights(settings: Settings) -> dict[str, str]:
    """Markdown tables of the latest periods of the key marts present in the warehouse (Indonesian numbers)."""
    con = open_readonly(settings)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        out = {}
        for name, (table, query) in HIGHLIGHTS.items():
            if table in tables:
                rel = con.execute(query)
                out[name] = _markdown([d[0] for d in rel.description], rel.fetchall())
        return out
    finally:
        con.close()


def open_readonly(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only session on the warehouse (no S3 credentials needed: the tables are local)."""
    path: Path = settings.warehouse_path
    if not path.exists():
        raise FileNotFoundError(
            f"warehouse {path} belum ada; jalankan 'make demo' atau 'satudata run' terlebih dahulu"
        )
    return duckdb.connect(str(path), read_only=True, config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
