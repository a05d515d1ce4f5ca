"""DCAT profile ``satudata``: Satu Data fields in the terms harvesters read.

The provincial data centre and data.go.id harvest the portal's DCAT (``/catalog.ttl``,
``/dataset/<name>.rdf``). ckanext-dcat's DCAT-AP profile already knows how to serialise a
frequency, a temporal coverage and a checksum, under CKAN field names (``frequency``,
``temporal_start``/``temporal_end``, resource ``hash``/``hash_algorithm``). This profile runs
first (``ckanext.dcat.rdf.profiles = satudata euro_dcat_ap_3``) and fills those names from the
Satu Data fields, so the standard profile emits ``dct:accrualPeriodicity`` (EU frequency
vocabulary), ``dct:temporal`` and ``spdx:checksum`` (SHA-256) without a second serialiser.
"""

from __future__ import annotations

from typing import Any

from ckanext.dcat.profiles import RDFProfile

_EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES = {
    "tahunan": _EU_FREQUENCY + "ANNUAL",
    "semesteran": _EU_FREQUENCY + "ANNUAL_2",
    "triwulanan": _EU_FREQUENCY + "QUARTERLY",
    "bulanan": _EU_FREQUENCY + "MONTHLY",
    "harian": _EU_FREQUENCY + "DAILY",
}
SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"


def enrich(dataset_dict: dict[str, Any]) -> dict[str, Any]:
    """Add the DCAT-AP field names for the Satu Data fields (never overriding explicit values)."""
    frequency = FREQUENCIES.get(dataset_dict.get("frekuensi") or "")
    if frequency:
        dataset_dict.setdefault("frequency", frequency)
    if dataset_dict.get("periode_awal"):
        dataset_dict.setdefault("temporal_start", dataset_dict["periode_awal"])
    if dataset_dict.get("periode_akhir"):
        dataset_dict.setdefault("temporal_end", dataset_dict["periode_akhir"])
    for resource in dataset_dict.get("resources") or []:
        if resource.get("sha256") and not resource.get("hash"):
            resource["hash"] = resource["sha256"]
            resource["hash_algorithm"] = SHA256
    return dataset_dict


class SatudataDCATProfile(RDFProfile):
    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        enrich(dataset_dict)
