"""Core domain: region and reference seeds, ``dim_wilayah``, and the analyst warehouse asset."""


from dagster import AssetExecutionContext, Definitions, MaterializeResult, MetadataValue, asset

from orchestration.dbt import domain_dbt_assets, mart_asset_keys
from orchestration.resources import SatuDataResource
from satudata import warehouse


@asset(
    key=["warehouse", "analis"],
    deps=mart_asset_keys(),
    group_name="core",
    kinds={"duckdb"},
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
        }
    )


defs = Definitions(assets=[domain_dbt_assets("core"), warehouse_analis])
