"""Turn a dataset into its search-index document, the way CKAN flattens it for Solr.

CKAN 2.12's ``PackageSearchIndex.index_package`` flattens ``package_show`` output into one flat
document (extras lifted to the top level, tag and group names as lists, ``res_*`` lists from the
resources, ``capacity`` from ``private``, ``dataset_type`` from ``type``). Clients filter on those
names (``fq=res_format:CSV``), so the same names are kept here; on top of that the document keeps
list-valued custom (scheming) fields as lists so they can be filtered and faceted value by value,
and the text is split by weight for the full-text vector.

Pure Python: CKAN-specific lookups (vocabulary names, plugins, permission labels) are done by the
caller in :mod:`.backend`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

TYPE_FIELD = "entity_type"
PACKAGE_TYPE = "package"
KEY_CHARS = set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-")

# Fields CKAN reserves in the index (an extra with one of these names is not lifted to the top).
RESERVED_FIELDS = {
    TYPE_FIELD, "res_url", "text", "urls", "indexed_ts", "site_id",
    "tags", "groups", "res_name", "res_description", "res_format", "res_type",
}

RESOURCE_FIELDS = (
    ("name", "res_name"),
    ("description", "res_description"),
    ("format", "res_format"),
    ("url", "res_url"),
    ("resource_type", "res_type"),
)

# Core dataset keys that are not searchable prose (identifiers, URLs, states, dates, numbers).
NOT_TEXT = {
    "id", "name", "title", "notes", "state", "type", "dataset_type", "private", "capacity",
    "owner_org", "organization", "creator_user_id", "url", "license_id", "license_url",
    "metadata_created", "metadata_modified", "num_resources", "num_tags", "isopen",
    "author_email", "maintainer_email", "site_id", "index_id", "entity_type", "tags", "groups",
    "resources", "extras", "relationships_as_object", "relationships_as_subject", "tag_string",
    "permission_labels", "title_string", "data_dict", "validated_data_dict", "tracking_summary",
}


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if value.strip():
            yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, str) and item.strip():
                yield item


def _is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value)


def flatten(
    pkg_dict: dict[str, Any],
    validated: dict[str, Any],
    *,
    site_id: str,
    vocabulary_name: Callable[[str], str] = lambda vocabulary_id: vocabulary_id,
    resource_extra_columns: Iterable[str] = (),
) -> dict[str, Any]:
    """The flat index document of one dataset (without ``permission_labels``; see backend)."""
    doc = dict(pkg_dict)
    doc.pop("with_custom_schema", None)

    if doc.get("title"):
        doc["title_string"] = doc["title"]

    index_fields = RESERVED_FIELDS | set(doc)
    for extra in doc.pop("extras", None) or []:
        key, value = extra["key"], extra["value"]
        if isinstance(value, (tuple, list)):
            value = " ".join(map(str, value))
        key = "".join(c for c in key if c in KEY_CHARS)
        doc["extras_" + key] = value
        if key not in index_fields:
            doc[key] = value

    tags: list[str] = []
    for tag in doc.pop("tags", None) or []:
        if tag.get("vocabulary_id"):
            doc.setdefault("vocab_" + vocabulary_name(tag["vocabulary_id"]), []).append(tag["name"])
        else:
            tags.append(tag["name"])
    doc["tags"] = tags

    doc["groups"] = [g["name"] for g in doc.pop("groups", None) or []]
    doc["capacity"] = "private" if doc.get("private") else "public"
    organization = doc.get("organization")
    doc["organization"] = organization["name"] if isinstance(organization, dict) else None

    resources = doc.pop("resources", None) or []
    for resource in resources:
        pairs = list(RESOURCE_FIELDS) + [(c, "res_extras_" + c) for c in resource_extra_columns]
        for key, target in pairs:
            doc.setdefault(target, []).append(resource.get(key) or "")
    for _, target in RESOURCE_FIELDS:
        doc.setdefault(target, [])
    doc.pop("relationships_as_subject", None)
    doc.pop("relationships_as_object", None)

    doc[TYPE_FIELD] = PACKAGE_TYPE
    doc["dataset_type"] = doc.get("type")
    doc["site_id"] = site_id
    doc["index_id"] = hashlib.md5(f"{doc['id']}{site_id}".encode()).hexdigest()

    # Custom (scheming) fields arrive in the default-schema dict as extras holding strings; lists
    # such as tingkat_penyajian = ["kota", "kecamatan"] are kept as lists from the validated dict.
    for key, value in validated.items():
        if key in NOT_TEXT or key in RESERVED_FIELDS:
            continue
        if _is_scalar_list(value) or key not in doc:
            if isinstance(value, (str, int, float, bool)) or _is_scalar_list(value):
                doc[key] = value
    return doc


def text_by_weight(doc: dict[str, Any], validated: dict[str, Any]) -> dict[str, str]:
    """The searchable text of a dataset, by tsvector weight (A most important … D least)."""
    a = [doc.get("title") or "", (doc.get("name") or "").replace("-", " ")]

    b: list[str] = list(doc.get("tags") or [])
    for key, value in doc.items():
        if key.startswith("vocab_"):
            b.extend(_strings(value))
    for group in validated.get("groups") or []:
        b.extend(_strings([group.get("name"), group.get("title")]))
    organization = validated.get("organization")
    if isinstance(organization, dict):
        b.extend(_strings([organization.get("name"), organization.get("title")]))

    c: list[str] = list(_strings(doc.get("notes")))
    for key, value in validated.items():
        if key in NOT_TEXT or key.endswith("_email") or key.endswith("_url"):
            continue
        if isinstance(value, (str, list)):
            c.extend(v for v in _strings(value) if not v.startswith(("http://", "https://")))

    d: list[str] = []
    for key in ("res_name", "res_description", "res_format"):
        d.extend(_strings(doc.get(key)))
    return {weight: "\n".join(parts) for weight, parts in zip("ABCD", (a, b, c, d))}


def row(doc: dict[str, Any], data_dict: dict[str, Any], validated_json: str) -> dict[str, Any]:
    """Bind parameters for one upsert into the index table."""
    return {
        "id": doc["id"],
        "site_id": doc["site_id"],
        "name": doc.get("name") or doc["id"],
        "title": doc.get("title"),
        "title_string": doc.get("title_string"),
        "state": doc.get("state"),
        "dataset_type": doc.get("dataset_type"),
        "capacity": doc.get("capacity"),
        "owner_org": doc.get("owner_org"),
        "organization": doc.get("organization"),
        "license_id": doc.get("license_id"),
        "tags": list(doc.get("tags") or []),
        "groups": list(doc.get("groups") or []),
        "res_format": sorted({f for f in doc.get("res_format") or [] if f}),
        "permission_labels": list(doc.get("permission_labels") or []),
        "metadata_created": doc.get("metadata_created"),
        "metadata_modified": doc.get("metadata_modified"),
        "num_resources": doc.get("num_resources"),
        "num_tags": doc.get("num_tags"),
        "doc": json.dumps(doc, default=str),
        "data_dict": json.dumps(data_dict, default=str),
        "validated_data_dict": validated_json,
    }
