"""dbt models as Dagster assets, with lineage from each landing dataset to each mart.

The translator keys models by layer (``staging/…``, ``intermediate/…``, ``marts/…``), maps each dbt
source to the bronze asset of its declaration, and groups assets by the domain tag set per folder
in ``dbt_project.yml``. Each domain selects its own models by that tag.
"""


import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AutomationCondition
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.automation import SETELAH_HULU_DIPERBARUI
from orchestration.resources import SatuDataResource
from quality import fhir as fhir_gate
from quality import gate
from satudata import dbt as dbt_project
from satudata.contracts import load_datasets
from satudata.settings import get_settings

DOMAINS = ("core", "pajak", "opd", "kesehatan")


class SatuDataTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True)
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(dbt_resource_props["meta"]["dagster"]["asset_key"])
        if dbt_resource_props["resource_type"] == "seed":
            return AssetKey(["seed", dbt_resource_props["name"]])
        layer = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "models"
        return AssetKey([layer, dbt_resource_props["name"]])

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        # Seeds change with the code only; models follow their upstream (bronze partitions, seeds).
        return None if dbt_resource_props["resource_type"] == "seed" else SETELAH_HULU_DIPERBARUI

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        tags = [t for t in dbt_resource_props.get("tags", []) if t in DOMAINS]
        return tags[0] if tags else "core"


def manifest_path() -> str:
    return str(dbt_project.prepare(get_settings()))


def dbt_cli_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(dbt_project.DBT_DIR),
        profiles_dir=str(dbt_project.DBT_DIR),
        dbt_executable=dbt_project.dbt_executable(),
    )


def domain_dbt_assets(domain: str) -> AssetsDefinition:
    """All dbt nodes tagged with ``domain`` as one multi-asset running ``dbt build``."""

    @dbt_assets(
        manifest=manifest_path(),
        select=f"tag:{domain}",
        name=f"dbt_{domain}",
        dagster_dbt_translator=SatuDataTranslator(),
    )
    def _models(context: AssetExecutionContext, dbt: DbtCliResource, satudata: SatuDataResource) -> Iterator[Any]:
        # dbt runs as a subprocess that inherits this process's environment: give it the lake's settings.
        settings = satudata.settings()
        os.environ.update(dbt_project.dbt_env(settings))
        target = settings.dbt_target_path / "runs" / f"{context.run_id[:8]}-{domain}"
        target.mkdir(parents=True, exist_ok=True)
        args = ["build"]
        blocked = gate.blocked_datasets(settings, load_datasets(settings))
        # The quality gate: nothing downstream of a dataset that failed a blocking check is built;
        # models fed only by other datasets still are.
        sources = [f"source:{d.source}.{d.name}+" for d in blocked]
        if fhir_gate.blocked_days(settings):
            sources.append("source:fhir+")
        if sources:
            context.log.warning(f"Gerbang kualitas: tidak membangun turunan dari {', '.join(sources)}")
            args += ["--exclude", " ".join(sources)]  # one value: dbt's --exclude takes a space-separated list
        yield from dbt.cli(args, context=context, target_path=target).stream()

    return _models


def mart_asset_keys() -> list[AssetKey]:
    """Every mart model (the tables analysts and the catalog read)."""
    import json

    with open(manifest_path()) as fh:
        manifest = json.load(fh)
    translator = SatuDataTranslator()
    return sorted(
        (
            translator.get_asset_key(node)
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["fqn"][1] == "marts"
        ),
        key=lambda k: k.to_user_string(),
    )
