"""Core domain: reference seeds, ``dim_wilayah``, the audit ledger, and the analyst warehouse."""

from dagster import AssetExecutionContext, AssetKey, Definitions, MaterializeResult, MetadataValue, asset

from orchestration.automation import SETELAH_HULU_DIPERBARUI
from orchestration.dbt import domain_dbt_assets, mart_asset_keys
from orchestration.resources import SatuDataResource
from quality import audit
from satudata import warehouse
from satudata.contracts import load_datasets
from satudata.dbt import AUDIT_ASSET_KEY, bronze_asset_key
from satudata.settings import get_settings


@asset(
    key=AUDIT_ASSET_KEY,
    deps=[AssetKey(bronze_asset_key(d)) for d in load_datasets(get_settings())],
    group_name="core",
    kinds={"parquet", "s3"},
    automation_condition=SETELAH_HULU_DIPERBARUI,
    description=(
        "Buku besar berkas dan hasil pemeriksaan kualitas, dikonsolidasikan dari JSON per berkas di lake "
        "menjadi Parquet (lake/audit/) untuk mart fct_buku_besar_berkas."
    ),
)
def audit_lake(context: AssetExecutionContext, satudata: SatuDataResource) -> MaterializeResult:
    counts = audit.consolidate(satudata.settings())
    return MaterializeResult(metadata={k: MetadataValue.int(v) for k, v in counts.items()})


@asset(
    key=["warehouse", "analis"],
    deps=mart_asset_keys(),
    group_name="core",
    kinds={"duckdb"},
    automation_condition=SETELAH_HULU_DIPERBARUI,
    description=(
        "Warehouse DuckDB untuk analis: setiap mart sebagai tabel, dibangun ulang lalu diganti secara "
        "atomik sehingga kueri yang sedang berjalan tidak terganggu."
    ),
)
def warehouse_analis(context: AssetExecutionContext, satudata: SatuDataResource) -> MaterializeResult:
    settings = satudata.settings()
    counts = warehouse.build(settings)
    context.log.info(f"Warehouse {settings.warehouse_path}: {len(counts)} tabel")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(settings.warehouse_path)),
            "tabel": MetadataValue.json(counts),
            **{name: MetadataValue.md(table) for name, table in warehouse.highlights(settings).items()},
        }
    )


defs = Definitions(assets=[audit_lake, domain_dbt_assets("core"), warehouse_analis])
