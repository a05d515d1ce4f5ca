"""The Satu Data metadata of every declared dataset, as one Parquet table in the lake.

``dim_dataset`` (dbt) and the catalog read this table instead of the YAML files, so the metadata
always matches the declarations the pipeline ran with — including datasets declared in extra
folders (``SATUDATA_DATASETS_DIRS``) — and needs no seed to be edited when a dataset is added.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from satudata import objectstore
from satudata.contracts import Dataset, load_datasets
from satudata.dbt import METADATA_PARQUET
from satudata.settings import PROJECT_ROOT, Settings

_TEXT = pa.string()
_INDICATOR = pa.struct([("kode", _TEXT), ("nama", _TEXT), ("satuan", _TEXT), ("deskripsi", _TEXT)])
_COLUMN = pa.struct([("nama", _TEXT), ("tipe", _TEXT), ("deskripsi", _TEXT), ("pii", _TEXT)])
SCHEMA = pa.schema([
    ("dataset", _TEXT), ("domain", _TEXT), ("jenis", _TEXT), ("sumber_sistem", _TEXT), ("deskripsi", _TEXT),
    ("judul", _TEXT), ("nama_indikator", _TEXT), ("konsep", _TEXT), ("definisi", _TEXT), ("interpretasi", _TEXT),
    ("rumus", _TEXT), ("satuan", _TEXT), ("ukuran", _TEXT), ("klasifikasi_penyajian", pa.list_(_TEXT)),
    ("frekuensi", _TEXT), ("produsen_nama", _TEXT), ("produsen_slug", _TEXT), ("walidata", _TEXT), ("topik", _TEXT),
    ("tingkat_penyajian", pa.list_(_TEXT)), ("sumber_data", _TEXT), ("lisensi", _TEXT), ("publikasi", pa.bool_()),
    ("prefiks_landing", _TEXT), ("lokasi_bronze", _TEXT), ("berkas_deklarasi", _TEXT),
    ("indikator", pa.list_(_INDICATOR)), ("kolom", pa.list_(_COLUMN)),
])


def _declaration_path(dataset: Dataset) -> str:
    if dataset.path is None:
        return ""
    try:
        return str(dataset.path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(dataset.path)


def record(dataset: Dataset, settings: Settings) -> dict[str, object]:
    """One dataset's row of the metadata table."""
    meta = dataset.satu_data
    indicators = [
        {"kode": i.code, "nama": i.name, "satuan": i.unit, "deskripsi": i.description} for i in dataset.indicators
    ]
    return {
        "dataset": dataset.name,
        "domain": dataset.domain,
        "jenis": "statistik" if dataset.is_statistic else "rekaman",
        "sumber_sistem": dataset.source,
        "deskripsi": dataset.description,
        "judul": meta.judul or dataset.name,
        "nama_indikator": meta.nama_indikator,
        "konsep": meta.konsep,
        "definisi": meta.definisi,
        "interpretasi": meta.interpretasi,
        "rumus": meta.rumus,
        "satuan": meta.satuan,
        "ukuran": meta.ukuran,
        "klasifikasi_penyajian": list(meta.klasifikasi_penyajian),
        "frekuensi": meta.frekuensi,
        "produsen_nama": meta.produsen.nama if meta.produsen else "",
        "produsen_slug": meta.produsen.slug if meta.produsen else "",
        "walidata": meta.walidata,
        "topik": meta.topik,
        "tingkat_penyajian": list(meta.tingkat_penyajian),
        "sumber_data": meta.sumber,
        "lisensi": meta.lisensi,
        "publikasi": meta.publikasi,
        "prefiks_landing": f"{settings.bucket_landing}/{dataset.landing_prefix}",
        "lokasi_bronze": settings.lake_uri(dataset.bronze_prefix),
        "berkas_deklarasi": _declaration_path(dataset),
        "indikator": indicators,
        "kolom": [{"nama": c.name, "tipe": c.type, "deskripsi": c.description, "pii": c.pii} for c in dataset.columns],
    }


def table(settings: Settings) -> pa.Table:
    return pa.Table.from_pylist([record(d, settings) for d in load_datasets(settings)], schema=SCHEMA)


def write(settings: Settings) -> tuple[str, int]:
    """Write the table to ``lake/metadata/dataset.parquet`` (one PUT); returns (key, datasets)."""
    data = table(settings)
    with tempfile.TemporaryDirectory(prefix="satudata-metadata-") as tmp:
        path = Path(tmp) / "dataset.parquet"
        pq.write_table(data, path, compression="zstd")
        objectstore.upload_file(settings, settings.bucket_lake, METADATA_PARQUET, path, "application/vnd.apache.parquet")
    return METADATA_PARQUET, data.num_rows
