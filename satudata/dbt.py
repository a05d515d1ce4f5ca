"""The dbt project as the platform runs it: sources generated from declarations, offline profile.

Dataset declarations are the one place a dataset is described, so the dbt ``sources`` file (and
the list of statistical tables the OPD union reads) is generated from them before dbt parses.
The generated files and the parsed manifest live under the state folder, in a folder keyed by
their content (``$SATUDATA_HOME/dbt/generated/<hash>/``, passed to dbt as
``SATUDATA_DBT_GENERATED``): two processes that see different declarations — a walidata trying a
new ``SATUDATA_DATASETS_DIRS`` folder while the UI runs, or two test suites in one work tree —
never overwrite each other's sources. The manifest is rebuilt only when an input changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from satudata.contracts import Dataset, load_datasets
from satudata.duck import httpfs_extension_path
from satudata.settings import PROJECT_ROOT, Settings

DBT_DIR = PROJECT_ROOT / "dbt_project"
SOURCES_FILE = Path("models") / "_sources_generated.yml"  # relative to generated_dir()
MACROS_FILE = Path("macros") / "_statistik_generated.sql"
MANIFEST = Path("target") / "manifest.json"
LEGACY_FILES = (DBT_DIR / "models" / "staging" / "_sources_generated.yml", DBT_DIR / "macros" / "_statistik_generated.sql")

LINEAGE_DOCS = {
    "periode": "Partisi bronze: periode berkas (tahun, YYYY-MM, atau tanggal)",
    "_berkas_sumber": "Kunci objek berkas di bucket landing (asal baris)",
    "_sha256_berkas": "SHA-256 berkas yang dikirim",
    "_baris_berkas": "Nomor baris di berkas asli (baris/sheet row)",
    "_dimuat_pada": "Waktu baris dimuat ke bronze (UTC)",
}


class DbtError(RuntimeError):
    """dbt failed; the message carries dbt's own summary lines."""


def bronze_asset_key(dataset: Dataset) -> list[str]:
    return ["bronze", dataset.source, dataset.name]


def _external_location(settings: Settings, dataset: Dataset) -> str:
    uri = settings.lake_uri(f"{dataset.bronze_prefix}*/*.parquet")
    return f"read_parquet('{uri}', hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"


def sources_yaml(settings: Settings) -> str:
    """The dbt sources document for every declared dataset, grouped by source system."""
    by_source: dict[str, list[Dataset]] = {}
    for dataset in load_datasets(settings):
        by_source.setdefault(dataset.source, []).append(dataset)
    sources = []
    for source, datasets in sorted(by_source.items()):
        tables = []
        for d in datasets:
            columns = [{"name": c.name, "description": c.description, "meta": {"pii": c.pii, "tipe": c.type}} for c in d.columns]
            columns += [{"name": n, "description": text} for n, text in LINEAGE_DOCS.items()]
            tables.append(
                {
                    "name": d.name,
                    "description": d.description,
                    "meta": {
                        "external_location": _external_location(settings, d),
                        "dagster": {"asset_key": bronze_asset_key(d)},
                        "domain": d.domain,
                    },
                    "columns": columns,
                }
            )
        sources.append({"name": source, "description": f"Bronze dari sistem {source} (dibangkitkan dari deklarasi dataset)", "tables": tables})
    sources.append(_audit_source(settings))
    sources.append(_metadata_source(settings))
    sources.append(_fhir_source(settings))
    header = "# GENERATED from datasets/*.yaml by satudata.dbt — do not edit by hand.\n"
    return header + yaml.safe_dump({"version": 2, "sources": sources}, allow_unicode=True, sort_keys=False)


AUDIT_ASSET_KEY = ["lake", "audit"]


def _audit_source(settings: Settings) -> dict[str, object]:
    """The platform's own audit tables (consolidated ledger and check results, see quality.audit)."""
    from quality.audit import CHECKS_PARQUET, LEDGER_PARQUET

    def table(name: str, key: str, description: str) -> dict[str, object]:
        return {
            "name": name,
            "description": description,
            "meta": {
                "external_location": f"read_parquet('{settings.lake_uri(key)}')",
                "dagster": {"asset_key": AUDIT_ASSET_KEY},
                "domain": "core",
            },
        }

    return {
        "name": "audit",
        "description": "Buku besar berkas dan hasil pemeriksaan kualitas yang ditulis platform sendiri",
        "tables": [
            table("buku_besar_berkas", LEDGER_PARQUET, "Satu baris per berkas yang dikirim ke landing"),
            table("hasil_pemeriksaan", CHECKS_PARQUET, "Satu baris per berkas × pemeriksaan kualitas"),
        ],
    }


def _fhir_source(settings: Settings) -> dict[str, object]:
    """Pseudonymised FHIR bronze tables, one per resource type (ingest.fhir), all versions kept."""
    from ingest.fhir import COLUMN_DOCS, RESOURCE_TYPES, SCHEMAS, bronze_prefix

    tables = []
    for kind in RESOURCE_TYPES:
        uri = settings.lake_uri(f"{bronze_prefix(kind)}*/*.parquet")
        columns = [{"name": c, "description": COLUMN_DOCS.get(c, c)} for c in SCHEMAS[kind]]
        columns += [{"name": n, "description": text} for n, text in LINEAGE_DOCS.items()]
        tables.append({
            "name": kind.lower(),
            "description": f"FHIR {kind} dari SIMRS RSUD dan Puskesmas (semua versi; pengenal orang disamarkan)",
            "meta": {
                "external_location": f"read_parquet('{uri}', hive_partitioning = true, hive_types_autocast = false, "
                                     "union_by_name = true)",
                "dagster": {"asset_key": ["bronze", "fhir", kind.lower()]},
                "domain": "kesehatan",
            },
            "columns": columns,
        })
    return {"name": "fhir", "description": "Bronze FHIR SATUSEHAT per tipe sumber daya (ingest.fhir)", "tables": tables}


METADATA_ASSET_KEY = ["metadata", "dataset"]
METADATA_PARQUET = "metadata/dataset.parquet"


def _metadata_source(settings: Settings) -> dict[str, object]:
    """Satu Data metadata of every declared dataset, written to the lake by ``ingest.metadata``."""
    return {
        "name": "metadata",
        "description": "Metadata Satu Data setiap dataset yang dideklarasikan (ditulis dari deklarasi)",
        "tables": [
            {
                "name": "dataset",
                "description": "Satu baris per dataset yang dideklarasikan, dengan metadata MS-Ind dan daftar indikatornya",
                "meta": {
                    "external_location": f"read_parquet('{settings.lake_uri(METADATA_PARQUET)}')",
                    "dagster": {"asset_key": METADATA_ASSET_KEY},
                    "domain": "opd",
                },
            }
        ],
    }


def statistic_macros(settings: Settings) -> str:
    """A dbt macro listing every statistical table (source, name, bronze glob), from the declarations.

    ``stg_opd__statistik`` unions them, so a newly declared OPD dataset reaches the long mart with
    no SQL change; the list is generated because dbt must see each ``source()`` when it parses.
    """
    tables = [
        {"source": d.source, "name": d.name, "glob": settings.lake_uri(f"{d.bronze_prefix}*/*.parquet")}
        for d in load_datasets(settings)
        if d.is_statistic
    ]
    body = json.dumps(tables, ensure_ascii=False, indent=1)
    return (
        "{# GENERATED from datasets/*.yaml by satudata.dbt — do not edit by hand. #}\n"
        "{% macro satudata_tabel_statistik() %}\n"
        f"{{{{ return({body}) }}}}\n"
        "{% endmacro %}\n"
    )


def _generated_files(settings: Settings) -> dict[Path, str]:
    return {SOURCES_FILE: sources_yaml(settings), MACROS_FILE: statistic_macros(settings)}


def generated_dir(settings: Settings) -> Path:
    """Where this declaration set's generated dbt files and manifest live (see module docstring)."""
    digest = hashlib.sha256()
    for path, text in sorted(_generated_files(settings).items()):
        digest.update(str(path).encode() + b"\0" + text.encode() + b"\0")
    return settings.home / "dbt" / "generated" / digest.hexdigest()[:16]


def write_generated(settings: Settings) -> Path:
    """Write this declaration set's generated dbt files if missing or changed; return their folder.

    Called before every dbt run (not only at parse time): the state folder may have been wiped
    since the manifest was read (a fresh test stack), and dbt re-reads these files on every run.
    """
    for legacy in LEGACY_FILES:  # generated into the source tree by earlier versions: would duplicate sources
        legacy.unlink(missing_ok=True)
    generated = generated_dir(settings)
    for name, text in _generated_files(settings).items():
        path = generated / name
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
            tmp.write_text(text)
            tmp.replace(path)  # atomic: a concurrent parse never reads half a file
    return generated


def dbt_env(settings: Settings) -> dict[str, str]:
    env = settings.env_for_children()
    env["SATUDATA_DBT_GENERATED"] = str(write_generated(settings))
    env["SATUDATA_HTTPFS_EXTENSION"] = str(httpfs_extension_path())
    env["DBT_PROFILES_DIR"] = str(DBT_DIR)
    env["DBT_PARTIAL_PARSE"] = "true"
    # Domains build separately; a test spanning two domains (a relationships test from a revenue
    # mart to dim_wilayah) must run with the domain whose models are its last parent.
    env["DBT_INDIRECT_SELECTION"] = "buildable"
    return env


def _inputs_mtime(generated: Path) -> float:
    paths = [p for sub in ("models", "seeds", "macros", "tests") for p in (DBT_DIR / sub).rglob("*") if p.is_file()]
    paths += [generated / SOURCES_FILE, generated / MACROS_FILE]
    paths += [DBT_DIR / "dbt_project.yml", DBT_DIR / "profiles.yml"]
    return max(p.stat().st_mtime for p in paths)


def prepare(settings: Settings) -> Path:
    """Write the generated sources and (re)parse the project if anything changed; return the manifest."""
    generated = write_generated(settings)
    manifest = generated / MANIFEST
    if not manifest.exists() or manifest.stat().st_mtime < _inputs_mtime(generated):
        run(settings, ["parse", "--quiet", "--target-path", str(manifest.parent)])
    return manifest


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def run(settings: Settings, args: list[str]) -> str:
    """Run a dbt command in the project with the platform's environment; raise on failure."""
    (settings.home / "dbt").mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)],
        cwd=DBT_DIR,
        env=dbt_env(settings),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise DbtError(f"dbt {' '.join(args)} gagal (exit {proc.returncode}):\n{tail}")
    return proc.stdout
