"""Validators used by the Satu Data dataset schema (registered by the ``satudata`` plugin)."""

from __future__ import annotations

import re
from typing import Any

from ckan.plugins.toolkit import Invalid, _, missing

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def satudata_sha256(value: Any) -> Any:
    """A SHA-256 digest: 64 hexadecimal characters (stored lower-case)."""
    if value is missing or value is None or value == "":
        return value
    text = str(value).strip().lower()
    if not _SHA256.match(text):
        raise Invalid(_("SHA-256 harus 64 karakter heksadesimal"))
    return text


def satudata_periode_akhir(key: Any, data: dict, errors: dict, context: dict) -> None:
    """The end of the period coverage may not lie before its start."""
    end = data.get(key)
    start = data.get(key[:-1] + ("periode_awal",))
    if end is missing or start is missing or not end or not start:
        return
    if str(end)[:10] < str(start)[:10]:  # ISO dates (or datetimes) compare as text
        errors[key].append(_("Akhir periode tidak boleh sebelum awal periode"))
