"""Open exports: the exact files the portal publishes, written once per content version.

Each published mart becomes a CSV (UTF-8, comma, header), a Parquet file and a data dictionary
(CSV: kolom, tipe, deskripsi) in a local work folder and in the ``open`` bucket at
``<dataset>/<version>/…`` where the version is the first 12 hex digits of the CSV's sha256. Rows
are sorted so the same data always gives the same bytes — which is what makes publishing
idempotent.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from catalog.publications import Publication
from satudata import objectstore
from satudata.duck import connect
from satudata.settings import Settings

FORMATS = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


@dataclass(frozen=True)
class ExportFile:
    kind: str  # data-csv | data-parquet | kamus
    path: Path
    key: str
    sha256: str
    format: str


@dataclass(frozen=True)
class Export:
    publication: Publication
    version: str
    rows: int
    files: tuple[ExportFile, ...]
    periode_awal: str | None
    periode_akhir: str | None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _coverage(con, relation: str, columns: list[str]) -> tuple[str | None, str | None]:
    """First and last day covered, from a ``periode`` (YYYY-MM) or a year column."""
    if "periode" in columns:
        low, high = con.execute(f"SELECT min(periode), max(periode) FROM {relation}").fetchone()
        if low:
            last = con.execute(f"SELECT last_day(CAST('{high}-01' AS DATE))").fetchone()[0]
            return f"{low}-01", last.isoformat()
    for col in ("tahun", "tahun_pajak", "tahun_anggaran"):
        if col in columns:
            low, high = con.execute(f"SELECT min({col}), max({col}) FROM {relation}").fetchone()
            if low is not None:
                return f"{low}-01-01", f"{high}-12-31"
    return None, None


def export(settings: Settings, publication: Publication, workdir: Path) -> Export:
    """Write the open files of one publication locally and (if new) to the open bucket."""
    con = connect(settings)
    source = f"read_parquet('{settings.lake_uri(f'marts/{publication.model}.parquet')}')"
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})").fetchall())
    ordered = f"(SELECT * FROM {source} ORDER BY ALL)"
    out = workdir / publication.name
    out.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path, dictionary_path = out / f"{publication.name}.csv", out / f"{publication.name}.parquet", out / f"{publication.name}-kamus-data.csv"
    con.execute(f"COPY {ordered} TO '{csv_path}' (FORMAT csv, HEADER true, DELIMITER ',')")
    con.execute(f"COPY {ordered} TO '{parquet_path}' (FORMAT parquet, COMPRESSION zstd)")
    descriptions = dict(publication.columns)
    with open(dictionary_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kolom", "tipe", "deskripsi"])
        for col in columns:
            writer.writerow([col, types[col], descriptions.get(col, "")])
    rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    awal, akhir = _coverage(con, source, columns)
    csv_sha = _sha256(csv_path)
    version = csv_sha[:12]
    files = []
    for kind, path, fmt in (("data-csv", csv_path, "CSV"), ("data-parquet", parquet_path, "Parquet"), ("kamus", dictionary_path, "CSV")):
        key = f"{publication.name}/{version}/{path.name}"
        sha = csv_sha if path == csv_path else _sha256(path)
        files.append(ExportFile(kind, path, key, sha, fmt))
    existing = {k for k, _ in objectstore.list_keys(settings, settings.bucket_open, f"{publication.name}/{version}/")}
    for f in files:
        if f.key not in existing:
            objectstore.upload_file(settings, settings.bucket_open, f.key, f.path, FORMATS.get(f.path.suffix.lstrip("."), "text/csv"))
    return Export(publication, version, rows, tuple(files), awal, akhir)
