"""Publish the open exports to CKAN (ckanapi): idempotent, retried, one report line per dataset.

For each publication the publisher makes sure its organization (OPD) and groups (topics) exist,
creates or patches the dataset's Satu Data metadata, and creates or replaces its resources (CSV,
Parquet, data dictionary) only when their sha256 differs from what the portal holds — so a run with
no data change changes nothing in CKAN. Datasets this platform once published but no longer
produces are marked deprecated (``[USANG]`` title prefix and tag), never deleted. Transient CKAN
errors are retried with exponential backoff; one dataset's failure does not stop the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ckanapi
import requests

from catalog.export import Export
from catalog.publications import LICENSES, portal_registry
from satudata.settings import Settings

MAINTAINER = "Satu Data Baubau (publikasi otomatis)"
DEPRECATED_TAG = "usang"
DEPRECATED_PREFIX = "[USANG] "
RESOURCE_NAMES = {"data-csv": "Data (CSV)", "data-parquet": "Data (Parquet)", "kamus": "Kamus data"}
WALIDATA = "Dinas Komunikasi dan Informatika Kota Baubau"


class PortalError(RuntimeError):
    """CKAN could not be used (unreachable after retries, or the token was refused)."""


@dataclass
class Outcome:
    dataset: str
    status: str  # dibuat | diperbarui | tetap | usang | gagal
    detail: str = ""


class Portal:
    """A thin, retrying ckanapi client for the pipeline's sysadmin token."""

    def __init__(self, url: str, token: str, retries: int = 4, backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> None:
        if not token:
            raise PortalError("SATUDATA_CKAN_API_TOKEN kosong; jalankan 'satudata stack up' atau set variabelnya")
        self.url = url
        self.ckan = ckanapi.RemoteCKAN(url, apikey=token, user_agent="satudata-baubau-publisher")
        self.retries, self.backoff, self.sleep = retries, backoff, sleep

    def call(self, action: str, **kwargs: Any) -> Any:
        files = kwargs.pop("_files", None)
        delay = self.backoff
        for attempt in range(self.retries + 1):
            for _, handle in (files or {}).values():
                handle.seek(0)  # a retried upload must send the whole file again
            try:
                return self.ckan.call_action(action, kwargs, files=files)
            except ckanapi.NotAuthorized as exc:
                raise PortalError(f"CKAN menolak token API ({action}: {exc}); periksa SATUDATA_CKAN_API_TOKEN") from None
            except (ckanapi.NotFound, ckanapi.ValidationError, ckanapi.SearchError, ckanapi.errors.SearchQueryError):
                raise  # answers, not faults: retrying cannot change them
            except (requests.ConnectionError, requests.Timeout, ckanapi.CKANAPIError, ckanapi.ServerIncompatibleError) as exc:
                if attempt == self.retries:
                    raise PortalError(f"CKAN di {self.url} tidak dapat dipakai setelah {self.retries + 1} percobaan ({action}): {exc}") from None
                self.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def verify_token(self) -> None:
        """Fail early and clearly on a wrong token: CKAN would otherwise treat it as anonymous and
        answer every read, and the mistake would surface only at the first write."""
        try:
            self.call("config_option_show", key="ckan.site_title")
        except ckanapi.ValidationError:
            pass  # authorised; the option just is not in the runtime-editable list

    def show(self, action: str, **kwargs: Any) -> dict[str, Any] | None:
        try:
            return self.call(action, **kwargs)
        except ckanapi.NotFound:
            return None


def _ensure_owner(portal: Portal, action: str, name: str, spec: dict[str, str]) -> None:
    current = portal.show(f"{action}_show", id=name)
    if current is None:
        portal.call(f"{action}_create", name=name, title=spec["title"], description=spec.get("description", ""))
    elif current.get("title") != spec["title"] or current.get("description", "") != spec.get("description", ""):
        portal.call(f"{action}_patch", id=name, title=spec["title"], description=spec.get("description", ""))


def desired_metadata(export: Export) -> dict[str, Any]:
    p = export.publication
    meta = p.meta
    levels = meta["tingkat_penyajian"]
    return {
        "name": p.name,
        "title": meta["judul"],
        "notes": p.description,
        "owner_org": meta["organisasi"],
        "license_id": LICENSES[meta["lisensi"]],
        "walidata": meta.get("walidata", WALIDATA),
        "konsep": meta["konsep"],
        "definisi": " ".join(str(meta["definisi"]).split()),
        "ukuran": meta.get("ukuran", ""),
        "satuan": meta["satuan"],
        "frekuensi": meta["frekuensi"],
        "tingkat_penyajian": levels if isinstance(levels, list) else [levels],
        "periode_awal": export.periode_awal or "",
        "periode_akhir": export.periode_akhir or "",
        "sumber": meta["sumber"],
        "version": export.version,
        "maintainer": MAINTAINER,
        "groups": [{"name": g} for g in p.groups],
        "tags": [{"name": t} for t in sorted(meta.get("tag", []))],
    }


def _differs(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for key, want in desired.items():
        have = current.get(key)
        if key == "owner_org":
            have = (current.get("organization") or {}).get("name")
        elif key in ("groups", "tags"):
            have = sorted({"name": x["name"]}["name"] for x in have or [])
            want_cmp = sorted(x["name"] for x in want)
            if have != want_cmp:
                changes[key] = want
            continue
        elif key == "tingkat_penyajian" and isinstance(have, str):
            have = [x for x in have.strip("{}").split(",") if x]
        if (have or "") != (want or ""):
            changes[key] = want
    return changes


def _sync_resources(portal: Portal, package: dict[str, Any], export: Export) -> int:
    """Create or replace resources whose content changed; returns how many were written."""
    existing = {r["name"]: r for r in package.get("resources", [])}
    period = f"{export.periode_awal or '?'} s.d. {export.periode_akhir or '?'}"
    written = 0
    for f in export.files:
        name = RESOURCE_NAMES[f.kind]
        current = existing.get(name)
        if current and current.get("sha256") == f.sha256 and current.get("periode_data") == period:
            continue
        fields = {
            "package_id": package["id"], "name": name, "format": f.format, "sha256": f.sha256,
            "periode_data": period, "versi_sumber": export.version,
            "description": f"{name} — versi {export.version}, {export.rows} baris" if f.kind != "kamus" else "Kamus data: kolom, tipe dan deskripsi",
        }
        with open(f.path, "rb") as fh:
            if current:
                portal.call("resource_update", id=current["id"], **fields, _files={"upload": (f.path.name, fh)})
            else:
                portal.call("resource_create", **fields, _files={"upload": (f.path.name, fh)})
        written += 1
    return written


def publish_one(portal: Portal, export: Export) -> Outcome:
    desired = desired_metadata(export)
    current = portal.show("package_show", id=desired["name"])
    if current is None:
        package = portal.call("package_create", **desired)
        _sync_resources(portal, package, export)
        return Outcome(desired["name"], "dibuat", f"versi {export.version}, {export.rows} baris")
    changes = _differs(current, desired)
    if changes:
        current = portal.call("package_patch", id=current["id"], **changes)
    written = _sync_resources(portal, current, export)
    if not changes and not written:
        return Outcome(desired["name"], "tetap", f"versi {export.version}")
    detail = ", ".join(sorted(changes)) + (f"; {written} sumber daya diganti" if written else "")
    return Outcome(desired["name"], "diperbarui", detail.strip("; "))


def deprecate_missing(portal: Portal, produced: set[str]) -> list[Outcome]:
    """Mark datasets this platform published earlier but no longer produces; never delete them."""
    out = []
    for name in portal.call("package_list"):
        if name in produced:
            continue
        package = portal.show("package_show", id=name)
        if not package or package.get("maintainer") != MAINTAINER:
            continue
        tags = [t["name"] for t in package.get("tags", [])]
        if DEPRECATED_TAG in tags:
            continue
        portal.call(
            "package_patch", id=package["id"], title=DEPRECATED_PREFIX + package["title"],
            tags=[{"name": t} for t in [*tags, DEPRECATED_TAG]],
            notes="Dataset ini tidak lagi diperbarui oleh Satu Data Baubau.\n\n" + (package.get("notes") or ""),
        )
        out.append(Outcome(name, "usang", "tidak lagi dihasilkan platform"))
    return out


def publish(settings: Settings, exports: list[Export], portal: Portal | None = None) -> list[Outcome]:
    """Publish every export; one failure is reported and the rest continue."""
    portal = portal or Portal(settings.ckan_url, settings.ckan_api_token)
    portal.verify_token()
    registry = portal_registry()
    used_orgs = {e.publication.meta["organisasi"] for e in exports}
    used_groups = {g for e in exports for g in e.publication.groups}
    for name in sorted(used_orgs):
        _ensure_owner(portal, "organization", name, registry["organisasi"][name])
    for name in sorted(used_groups):
        _ensure_owner(portal, "group", name, registry["grup"][name])
    outcomes = []
    for export in exports:
        try:
            outcomes.append(publish_one(portal, export))
        except PortalError:
            raise
        except Exception as exc:  # noqa: BLE001 - one dataset's failure must not stop the others
            outcomes.append(Outcome(export.publication.name, "gagal", f"{type(exc).__name__}: {exc}"))
    outcomes += deprecate_missing(portal, {e.publication.name for e in exports})
    return outcomes
