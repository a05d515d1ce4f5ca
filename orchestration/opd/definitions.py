"""OPD domain: sectoral statistics declared in ``datasets/opd/*.yaml``, from spreadsheet to mart.

Landing specs and bronze assets come from the declarations through the same factory as every
domain; the dataset metadata asset writes the Satu Data metadata of every declaration to the lake
(``dim_dataset`` reads it); dbt builds the models tagged ``opd`` (``fct_statistik_sektoral``,
``dim_dataset``, ``fct_pad_per_kapita``). A new declaration adds its assets here with no code change.
"""

from dagster import AssetExecutionContext, AssetKey, Definitions, MaterializeResult, MetadataValue, asset

from ingest import metadata
from orchestration.automation import HARIAN
from orchestration.bronze import bronze_asset, landing_spec
from orchestration.dbt import domain_dbt_assets
from orchestration.resources import SatuDataResource
from orchestration.sensors import Feed, landing_sensor, load_jobs
from satudata.contracts import load_datasets
from satudata.dbt import METADATA_ASSET_KEY
from satudata.settings import get_settings

DOMAIN = "opd"
datasets = load_datasets(get_settings(), domain=DOMAIN)


@asset(
    key=AssetKey(METADATA_ASSET_KEY),
    group_name=DOMAIN,
    kinds={"parquet", "s3"},
    automation_condition=HARIAN,
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


feeds = [Feed.of(d) for d in datasets]
jobs = load_jobs(
    DOMAIN, feeds,
    "Muat statistik sektoral OPD dari landing/opd ke bronze (bentuk panjang, wilayah dicocokkan, baris jumlah "
    "diperiksa); metadata dataset, fct_statistik_sektoral, dim_dataset dan fct_pad_per_kapita menyusul otomatis.",
)

defs = Definitions(
    assets=[landing_spec(d) for d in datasets] + [bronze_asset(d) for d in datasets]
    + [metadata_dataset, domain_dbt_assets(DOMAIN)],
    jobs=list(jobs.values()),
    sensors=[landing_sensor(DOMAIN, feeds, jobs)],
)
