"""What the portal publishes: dbt models whose ``config.meta.publikasi`` declares them.

The dbt model documentation is the declaration of an open dataset: its description, its column
descriptions (the data dictionary) and the ``publikasi`` block (title, OPD, topic groups, tags,
Satu Data concept/definition/unit/frequency/presentation level, source, licence). Only models in
``marts/terbuka/`` — aggregates with small cells suppressed — may be published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PORTAL_FILE = Path(__file__).resolve().parent / "portal.yaml"
REQUIRED = ("judul", "organisasi", "konsep", "definisi", "satuan", "frekuensi", "tingkat_penyajian", "sumber", "lisensi")
PUBLIC_FOLDER = "terbuka"
LICENSES = {"cc-by": "cc-by", "cc-by-4.0": "cc-by", "cc-zero": "cc-zero", "odc-by": "odc-by"}


class PublicationError(ValueError):
    """A publication declaration is incomplete or unsafe; the message names the model."""


@dataclass(frozen=True)
class Publication:
    model: str
    description: str
    meta: dict[str, Any]
    columns: tuple[tuple[str, str], ...]
    domain: str
    groups: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """The CKAN dataset slug: stable, lower-case, hyphenated."""
        return self.model.removeprefix("terbuka_").replace("_", "-")


def portal_registry() -> dict[str, dict[str, dict[str, str]]]:
    return yaml.safe_load(PORTAL_FILE.read_text(encoding="utf-8"))


def load_publications(manifest_path: Path) -> list[Publication]:
    """Every model of the manifest that declares ``publikasi``, validated."""
    manifest = json.loads(manifest_path.read_text())
    registry = portal_registry()
    out = []
    for node in manifest["nodes"].values():
        meta = (node.get("config") or {}).get("meta", {}).get("publikasi") or node.get("meta", {}).get("publikasi")
        if node["resource_type"] != "model" or not meta:
            continue
        model = node["name"]
        if PUBLIC_FOLDER not in node["fqn"]:
            raise PublicationError(f"{model}: only models in marts/{PUBLIC_FOLDER}/ (aggregates, small cells suppressed) may be published")
        missing = [k for k in REQUIRED if not meta.get(k)]
        if missing:
            raise PublicationError(f"{model}: publikasi is missing {', '.join(missing)}")
        if meta["organisasi"] not in registry["organisasi"]:
            raise PublicationError(f"{model}: organisasi '{meta['organisasi']}' is not in catalog/portal.yaml")
        unknown = [g for g in meta.get("grup", []) if g not in registry["grup"]]
        if unknown:
            raise PublicationError(f"{model}: grup {unknown} not in catalog/portal.yaml")
        if meta["lisensi"] not in LICENSES:
            raise PublicationError(f"{model}: lisensi must be one of {sorted(LICENSES)}")
        columns = tuple((c["name"], c.get("description", "")) for c in node["columns"].values())
        domain = next((t for t in node.get("tags", []) if t != "terbuka"), "core")
        out.append(Publication(model, node.get("description", ""), dict(meta), columns, domain, tuple(meta.get("grup", []))))
    return sorted(out, key=lambda p: p.model)
