"""OPD domain: sectoral statistics declared in ``datasets/opd/*.yaml``, from spreadsheet to mart.

Landing specs and bronze assets come from the declarations through the same factory as every
domain; the dataset metadata asset writes the Satu Data metadata of every declaration to the lake
(``dim_dataset`` reads it); dbt builds the models tagged ``opd`` (``fct_statistik_sektoral``,
``dim_dataset``, ``fct_pad_per_kapita``). A new declaration adds its assets here with no code change.
"""

from dagster import AssetExecutionContext, AssetKey, AssetSelection, Definitions, MaterializeResult, MetadataValue, asset, define_asset_job

from ingest import metadata
from orchestration.bronze import bronze_asset, landing_spec
from orchestration.dbt import domain_dbt_assets
from orchestration.resources import SatuDataResource
from orchestration.sensors import landing_sensor
from satudata.contracts import load_datasets
from satudata.dbt import METADATA_ASSET_KEY
from satudata.settings import get_settings

DOMAIN = "opd"
datasets = load_datasets(get_settings(), domain=DOMAIN)


@asset(
    key=AssetKey(METADATA_ASSET_KEY),
    group_name=DOMAIN,
    kinds={"parquet", "s3"},
    description=(
        "Metadata Satu Data (MS-Ind: konsep, definisi, satuan, produsen data, walidata, …) setiap dataset "
        "yang dideklarasikan, ditulis ke lake/metadata/dataset.parquet untuk dim_dataset dan katalog."
    ),
)
def metadata_dataset(context: AssetExecutionContext, satudata: SatuDataResource) -> MaterializeResult:
    settings = satudata.settings()
    key, count = metadata.write(settings)
    context.log.info(f"Metadata {count} dataset ditulis ke s3://{settings.bucket_lake}/{key}")
    return MaterializeResult(metadata={"dataset": MetadataValue.int(count), "objek": MetadataValue.text(key)})


muat_data_opd = define_asset_job(
    name="muat_data_opd",
    selection=AssetSelection.groups(DOMAIN).materializable().downstream(),
    description=(
        "Muat data statistik sektoral OPD: berkas baru di landing/opd → bronze (bentuk panjang, wilayah "
        "dicocokkan, baris jumlah diperiksa) → metadata dataset → fct_statistik_sektoral, dim_dataset, "
        "fct_pad_per_kapita → warehouse analis."
    ),
)

defs = Definitions(
    assets=[landing_spec(d) for d in datasets] + [bronze_asset(d) for d in datasets]
    + [metadata_dataset, domain_dbt_assets(DOMAIN)],
    jobs=[muat_data_opd],
    sensors=[landing_sensor(DOMAIN, datasets, muat_data_opd.name)],
)
