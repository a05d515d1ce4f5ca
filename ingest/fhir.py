"""SATUSEHAT FHIR R4 deliveries → typed, pseudonymised bronze tables, one per resource type.

Two feeds deliver FHIR (:data:`FEEDS`): the RSUD SIMRS bridge sends one *transaction Bundle* per
service day (``simrs/fhir/<delivery date>/rsud-<YYYYMMDD>-bundle.json``, plus a reference Bundle),
and the Puskesmas integration sends bulk-export NDJSON, one file per resource type per day
(``puskesmas/fhir/<delivery date>/<Type>.ndjson``). Both are read **as streams**: NDJSON line by
line, Bundles entry by entry with a small hand-written scanner over the ``entry`` array
(:func:`iter_bundle`: ``json.JSONDecoder.raw_decode`` on a sliding 1 MiB window, since ``ijson`` is
not a dependency), so memory is bounded by one resource plus one write batch, never by the file.

Each resource is checked and flattened into a row of its type's table (:data:`SCHEMAS`); person
identifiers are replaced by keyed pseudonyms on the way (``ingest.pseudonym``) and names, phone
numbers, addresses and exact birth dates are never copied. Rows are written in batches of
:data:`BATCH_ROWS` to a local staging Parquet per type, typed in DuckDB and uploaded as
``bronze/fhir/<type>/periode=<service day>/<source>__<file>.parquet`` (one object per delivered
file and type; re-delivering the same key replaces exactly that object).

**Versions.** Every delivered version of a resource is kept in bronze with its ``meta.lastUpdated``
(``terakhir_diperbarui``); re-sent resources (same business identifier, newer ``lastUpdated``) are
deduplicated in dbt staging (latest ``lastUpdated`` wins, then the later delivery), so re-sending
the same resources changes no mart counts, and bronze keeps the history for audit.

**Defects** go to ``quarantine/<landing key>.parquet`` with the rule, the JSON path (e.g.
``entry[12].resource.subject``), the reason and only pseudonymised or redacted values — never
the raw line. Unknown resource types are counted (ledger ``dilewati_per_tipe``) and skipped.
The ledger balances per file: resources read = rows in bronze + rows in quarantine.

**References.** Encounter/Condition/Observation must point to a known Patient: in a Bundle a
``urn:uuid:`` entry of the same Bundle (forward references are resolved at the end of the file),
in NDJSON ``Patient/<IHS number>`` of this delivery or an earlier one (bronze). Within a delivery
folder files are processed Organization → Location → Practitioner → Patient → the rest.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingest import ledger
from ingest.pseudonym import Pseudonymiser, age_band, from_settings, redact
from ingest.readers import FileRejected
from satudata import objectstore
from satudata.settings import Settings

NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
IHS_SYSTEM = "https://fhir.kemkes.go.id/id/ihs-number"
MR_SYSTEM_PREFIX = "http://sys-ids.kemkes.go.id/mr/"
ADMINISTRATIVE_CODE = "https://fhir.kemkes.go.id/r4/StructureDefinition/administrativeCode"
PENJAMIN_EXTENSION = "https://fhir.baubaukota.go.id/StructureDefinition/penjamin"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
BP_PANEL, SYSTOLIC, DIASTOLIC = "85354-9", "8480-6", "8462-4"
ENCOUNTER_CLASSES = ("AMB", "IMP", "EMER")
PAYERS = ("BPJS", "UMUM")

RESOURCE_TYPES = ("Organization", "Location", "Practitioner", "Patient", "Encounter", "Condition", "Observation")
BATCH_ROWS = 50_000
WINDOW = 1 << 20
LINEAGE = ("_berkas_sumber", "_sha256_berkas", "_baris_berkas", "_dimuat_pada")
_NIK = re.compile(r"\d{16}")
_ICD10_CODE = re.compile(r"[A-Z]\d\d(\.\d{1,2})?")
_DAY_IN_NAME = re.compile(r"(\d{4})(\d{2})(\d{2})")

# Bronze columns per resource type: name → DuckDB type (all arrive as text and are cast once).
COMMON = {"sumber": "VARCHAR", "id_sumber_daya": "VARCHAR", "id_bisnis": "VARCHAR",
          "terakhir_diperbarui": "TIMESTAMPTZ"}
SCHEMAS: dict[str, dict[str, str]] = {
    "Organization": {**COMMON, "nama": "VARCHAR", "tipe": "VARCHAR", "kode_kelurahan": "VARCHAR"},
    "Location": {**COMMON, "nama": "VARCHAR", "deskripsi": "VARCHAR", "organisasi_id": "VARCHAR",
                 "kode_kelurahan": "VARCHAR"},
    "Practitioner": {**COMMON, "nik_pseudonim": "VARCHAR", "jenis_kelamin": "VARCHAR"},
    "Patient": {**COMMON, "pasien_id": "VARCHAR", "ihs_pseudonim": "VARCHAR", "rm_pseudonim": "VARCHAR",
                "jenis_kelamin": "VARCHAR", "tahun_lahir": "INTEGER", "kelompok_umur": "VARCHAR",
                "kode_kelurahan": "VARCHAR", "kode_kecamatan": "VARCHAR"},
    "Encounter": {**COMMON, "pasien_id": "VARCHAR", "ihs_pseudonim": "VARCHAR", "status": "VARCHAR",
                  "kelas": "VARCHAR", "penjamin": "VARCHAR", "mulai": "TIMESTAMPTZ", "selesai": "TIMESTAMPTZ",
                  "organisasi_id": "VARCHAR", "lokasi_id": "VARCHAR", "praktisi_id": "VARCHAR"},
    "Condition": {**COMMON, "pasien_id": "VARCHAR", "ihs_pseudonim": "VARCHAR", "kunjungan_id": "VARCHAR",
                  "kode_icd10": "VARCHAR", "status_klinis": "VARCHAR", "dicatat_pada": "TIMESTAMPTZ"},
    "Observation": {**COMMON, "pasien_id": "VARCHAR", "ihs_pseudonim": "VARCHAR", "kunjungan_id": "VARCHAR",
                    "kode_loinc": "VARCHAR", "nilai": "DOUBLE", "satuan": "VARCHAR", "sistolik": "DOUBLE",
                    "diastolik": "DOUBLE", "waktu": "TIMESTAMPTZ"},
}
QUARANTINE_COLUMNS = ("_baris", "_aturan", "_kolom", "_nilai", "_alasan", "_tipe_sumber_daya", "_id_bisnis")
COLUMN_DOCS = {
    "sumber": "Sistem pengirim (simrs = RSUD, puskesmas = integrasi Dinkes)",
    "id_sumber_daya": "id atau fullUrl (urn:uuid) sumber daya FHIR; untuk Patient dikosongkan (id = nomor IHS)",
    "id_bisnis": "Identifier bisnis 'system|value' (Patient: pseudonim NIK)",
    "terakhir_diperbarui": "meta.lastUpdated; versi terbaru menang di staging",
    "pasien_id": "Pseudonim orang (HMAC-SHA256 dari NIK) — sama di RSUD, Puskesmas dan BPJS",
    "ihs_pseudonim": "Pseudonim nomor IHS (HMAC-SHA256)",
    "rm_pseudonim": "Pseudonim nomor rekam medis (HMAC-SHA256 dari system|nomor)",
    "nik_pseudonim": "Pseudonim NIK tenaga kesehatan (HMAC-SHA256)",
    "tahun_lahir": "Tahun lahir (tanggal lahir tidak disimpan)",
    "kelompok_umur": "Kelompok umur lima tahunan pada hari layanan",
    "kode_kelurahan": "Kode Kemendagri kelurahan (alamat tidak disimpan)",
    "kode_kecamatan": "Kode Kemendagri kecamatan",
    "kelas": "Kelas kunjungan: AMB rawat jalan, IMP rawat inap, EMER gawat darurat",
    "penjamin": "Penjamin: BPJS atau UMUM",
    "kunjungan_id": "id Encounter yang dirujuk (uuid)",
    "organisasi_id": "id Organization (faskes)",
    "lokasi_id": "id Location (poli/ruang)",
    "praktisi_id": "id Practitioner (nomor nakes)",
}


@dataclass(frozen=True)
class FhirFeed:
    """One system delivering FHIR; quacks like a declared dataset for the ledger (landing prefix)."""

    source: str
    container: str  # bundle | ndjson
    description: str
    name: str = "fhir"
    domain: str = "kesehatan"

    @property
    def landing_prefix(self) -> str:
        return f"{self.source}/{self.name}/"

    @property
    def asset_name(self) -> str:
        return f"fhir_{self.source}"


FEEDS = (
    FhirFeed("simrs", "bundle", "Bundle transaksi FHIR SATUSEHAT dari SIMRS RSUD Kota Baubau, satu per hari layanan."),
    FhirFeed("puskesmas", "ndjson", "Ekspor NDJSON FHIR SATUSEHAT 17 Puskesmas, satu berkas per tipe sumber daya per hari."),
)


def bronze_prefix(resource_type: str) -> str:
    return f"bronze/fhir/{resource_type.lower()}/"


def bronze_key(resource_type: str, period: str, landing_key: str) -> str:
    source = landing_key.split("/", 1)[0]
    stem = Path(landing_key).name.rsplit(".", 1)[0]
    return f"{bronze_prefix(resource_type)}periode={period}/{source}__{stem}.parquet"


def quarantine_key(landing_key: str) -> str:
    return f"quarantine/{landing_key}.parquet"


# --- streaming readers -------------------------------------------------------------------------


@dataclass
class Item:
    """One resource as read: its number in the file, JSON path prefix, the parsed object or an error."""

    number: int
    path: str
    resource: Any = None
    error: str | None = None
    full_url: str | None = None


def iter_ndjson(path: Path) -> Iterator[Item]:
    """NDJSON line by line; a line that is not JSON becomes an error item (a cut-off last line rejects the file)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        if not head.strip():
            return  # a day without visits (a holiday) is a valid, empty delivery
        if not head.lstrip().startswith(b"{"):
            raise FileRejected("bukan NDJSON FHIR: baris pertama bukan objek JSON")
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 1))
        ends_with_newline = fh.read(1) == b"\n"
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                resource = json.loads(text)
            except json.JSONDecodeError as exc:
                if not ends_with_newline and not line.endswith("\n"):
                    raise FileRejected(
                        f"berkas terpotong: baris terakhir ({number}) bukan JSON lengkap; kirim ulang berkas yang lengkap"
                    ) from None
                yield Item(number, f"baris[{number}]", error=f"JSON tidak valid: {exc.msg} (kolom {exc.colno})")
                continue
            yield Item(number, f"baris[{number}]", resource)


class _Scanner:
    """A forward-only JSON scanner over a text file with a bounded window."""

    def __init__(self, fh) -> None:
        self.fh = fh
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(WINDOW)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, chars: str) -> str:
        c = self.peek()
        if not c or c not in chars:
            raise ValueError(f"diharapkan {' atau '.join(repr(x) for x in chars)}, ditemukan {c!r}")
        self.pos += 1
        return c

    def value(self) -> Any:
        self.peek()
        while True:
            # Keep some look-ahead so a scalar is never cut at the window edge.
            if not self.eof and len(self.buf) - self.pos < 4096:
                self._fill()
                continue
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self._fill():
                    continue
                raise
            self.pos = end
            return obj


def iter_bundle(path: Path, header: dict[str, Any] | None = None) -> Iterator[Item]:
    """A Bundle's entries one at a time without loading the file; top-level fields go to ``header``.

    A file that is not a JSON Bundle (an HTML error page, another resource) is rejected; a Bundle
    broken in the middle is rejected too, but only after the entries before the break were read,
    so the caller must not commit anything before the iterator finished.
    """
    header = {} if header is None else header
    with open(path, encoding="utf-8") as fh:
        s = _Scanner(fh)
        first = s.peek()
        if first != "{":
            kind = "halaman HTML (mis. galat gateway)" if first == "<" else f"diawali {first!r}"
            raise FileRejected(f"bukan Bundle FHIR JSON: berkas {kind}")
        try:
            s.expect("{")
            index = 0
            while s.peek() != "}":
                key = s.value()
                s.expect(":")
                if key == "entry":
                    if header.get("resourceType") not in (None, "Bundle"):
                        raise FileRejected(f"bukan Bundle: resourceType {header.get('resourceType')!r}")
                    s.expect("[")
                    while s.peek() != "]":
                        entry = s.value()
                        full_url = entry.get("fullUrl") if isinstance(entry, dict) else None
                        resource = entry.get("resource") if isinstance(entry, dict) else None
                        item = Item(index + 1, f"entry[{index}].resource", resource, full_url=full_url)
                        if not isinstance(resource, dict):
                            item.error = "entri tanpa objek resource"
                        yield item
                        index += 1
                        if s.expect(",]") == "]":
                            break
                    else:
                        s.expect("]")
                else:
                    header[key] = s.value()
                if s.expect(",}") == "}":
                    break
            else:
                s.expect("}")
        except (ValueError, json.JSONDecodeError) as exc:
            raise FileRejected(f"Bundle bukan JSON yang valid: {exc}") from None
        if header.get("resourceType") != "Bundle":
            raise FileRejected(f"bukan Bundle FHIR: resourceType {header.get('resourceType')!r}")


# --- flattening and checks ---------------------------------------------------------------------


class Invalid(Exception):
    def __init__(self, rule: str, path: str, reason: str, value: str | None = None) -> None:
        super().__init__(reason)
        self.rule, self.path, self.reason, self.value = rule, path, reason, value


@dataclass
class Context:
    """What a delivery knows while it is read: pseudonymiser, service day and the patients it can resolve."""

    pseudo: Pseudonymiser
    day: dt.date
    source: str
    # IHS pseudonym → person pseudonym (NIK) of every patient known (earlier deliveries and this one)
    patients: dict[str, str] = field(default_factory=dict)
    # urn:uuid fullUrl → (IHS pseudonym, person pseudonym) of this Bundle's Patient entries
    bundle_patients: dict[str, tuple[str, str]] = field(default_factory=dict)


def _identifier(resource: dict, system: str | None = None, prefix: str | None = None) -> tuple[int, str | None, str | None]:
    for i, ident in enumerate(resource.get("identifier") or []):
        sys = ident.get("system") or ""
        if (system and sys == system) or (prefix and sys.startswith(prefix)):
            return i, sys, ident.get("value")
    return -1, None, None


def _business_id(resource: dict, path: str) -> str:
    identifiers = resource.get("identifier") or []
    if not identifiers or not identifiers[0].get("system") or not identifiers[0].get("value"):
        raise Invalid("wajib_diisi", f"{path}.identifier[0]", "identifier bisnis (system|value) tidak ada")
    return f"{identifiers[0]['system']}|{identifiers[0]['value']}"


def _ref_id(reference: str | None) -> str | None:
    if not reference:
        return None
    if reference.startswith("urn:uuid:"):
        return reference.removeprefix("urn:uuid:")
    return reference.rsplit("/", 1)[-1]


def _village(address: dict | None) -> str | None:
    for ext in (address or {}).get("extension") or []:
        if ext.get("url") == ADMINISTRATIVE_CODE:
            for part in ext.get("extension") or []:
                if part.get("url") == "village" and part.get("valueCode"):
                    code = re.sub(r"\D", "", part["valueCode"])
                    if len(code) == 10:
                        return f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
    return None


def _base(resource: dict, ctx: Context, path: str, item: Item) -> dict[str, Any]:
    updated = (resource.get("meta") or {}).get("lastUpdated")
    if not updated:
        raise Invalid("wajib_diisi", f"{path}.meta.lastUpdated", "meta.lastUpdated tidak ada")
    rid = resource.get("id") or _ref_id(item.full_url)
    return {"sumber": ctx.source, "id_sumber_daya": rid, "terakhir_diperbarui": updated}


def _subject(resource: dict, ctx: Context, path: str) -> tuple[str, str]:
    reference = (resource.get("subject") or {}).get("reference")
    where = f"{path}.subject"
    if not reference:
        raise Invalid("wajib_diisi", where, "subject (pasien) tidak ada")
    if reference.startswith("urn:uuid:"):
        found = ctx.bundle_patients.get(reference)
        if found is None:
            raise _Unresolved(reference)
        return found
    if not reference.startswith("Patient/"):
        raise Invalid("referensi_pasien", where, "subject bukan referensi Patient", redact(reference))
    ihs = ctx.pseudo("ihs", reference.removeprefix("Patient/"))
    if ihs not in ctx.patients:
        raise Invalid("referensi_pasien", where, "pasien yang dirujuk tidak dikenal (tidak ada di kiriman mana pun)",
                      ihs)
    return ihs, ctx.patients[ihs]


class _Unresolved(Exception):
    """A Bundle reference to a urn:uuid not (yet) seen: retried at the end of the Bundle."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


def _patient(r: dict, ctx: Context, path: str, item: Item) -> dict[str, Any]:
    row = _base(r, ctx, path, item)
    row["id_sumber_daya"] = None  # a Patient's id is its IHS number
    i, _, nik = _identifier(r, system=NIK_SYSTEM)
    if not nik:
        raise Invalid("wajib_diisi", f"{path}.identifier", "NIK (system .../id/nik) tidak ada")
    if not _NIK.fullmatch(nik):
        raise Invalid("format_nik", f"{path}.identifier[{i}].value", "NIK bukan 16 digit", redact(nik))
    j, _, ihs = _identifier(r, system=IHS_SYSTEM)
    ihs = ihs or r.get("id")
    if not ihs:
        raise Invalid("wajib_diisi", f"{path}.identifier", "nomor IHS tidak ada")
    _, mr_system, mr = _identifier(r, prefix=MR_SYSTEM_PREFIX)
    gender = r.get("gender")
    if gender not in ("male", "female"):
        raise Invalid("nilai_diizinkan", f"{path}.gender", "gender bukan male/female", gender)
    birth = r.get("birthDate")
    try:
        born = dt.date.fromisoformat(birth) if birth else None
    except ValueError:
        raise Invalid("format_tanggal", f"{path}.birthDate", "birthDate bukan tanggal", redact(birth)) from None
    if born is not None:
        day = int(nik[6:8]) - (40 if gender == "female" else 0)
        if (day, int(nik[8:10]), int(nik[10:12])) != (born.day, born.month, born.year % 100):
            raise Invalid("format_nik", f"{path}.identifier[{i}].value",
                          "tanggal lahir di NIK tidak sesuai birthDate/gender", redact(nik))
    person = ctx.pseudo("nik", nik)
    village = _village((r.get("address") or [{}])[0])
    row.update({
        "id_bisnis": person,
        "pasien_id": person,
        "ihs_pseudonim": ctx.pseudo("ihs", ihs),
        "rm_pseudonim": ctx.pseudo("rm", f"{mr_system}|{mr}") if mr else None,
        "jenis_kelamin": gender,
        "tahun_lahir": born.year if born else None,
        "kelompok_umur": age_band(born.year if born else None, ctx.day),
        "kode_kelurahan": village,
        "kode_kecamatan": village[:8] if village else None,
    })
    return row


def _encounter(r: dict, ctx: Context, path: str, item: Item) -> dict[str, Any]:
    row = _base(r, ctx, path, item)
    row["id_bisnis"] = _business_id(r, path)
    klass = r.get("class") or {}
    if klass.get("system") != ACT_CODE:
        raise Invalid("sistem_kode_tidak_dikenal", f"{path}.class.system", "class bukan v3-ActCode", klass.get("system"))
    if klass.get("code") not in ENCOUNTER_CLASSES:
        raise Invalid("nilai_diizinkan", f"{path}.class.code", "class bukan AMB/IMP/EMER", klass.get("code"))
    period = r.get("period") or {}
    if not period.get("start"):
        raise Invalid("wajib_diisi", f"{path}.period.start", "period.start (waktu kunjungan) tidak ada")
    payer = None
    for ext in r.get("extension") or []:
        if ext.get("url") == PENJAMIN_EXTENSION:
            payer = ext.get("valueCode")
    if payer is not None and payer not in PAYERS:
        raise Invalid("nilai_diizinkan", f"{path}.extension", "penjamin bukan BPJS/UMUM", payer)
    participant = (r.get("participant") or [{}])[0]
    row.update({
        "status": r.get("status"),
        "kelas": klass["code"],
        "penjamin": payer or "UMUM",
        "mulai": period["start"],
        "selesai": period.get("end"),
        "organisasi_id": _ref_id((r.get("serviceProvider") or {}).get("reference")),
        "lokasi_id": _ref_id(((r.get("location") or [{}])[0].get("location") or {}).get("reference")),
        "praktisi_id": _ref_id((participant.get("individual") or {}).get("reference")),
    })
    row["ihs_pseudonim"], row["pasien_id"] = _subject(r, ctx, path)
    return row


def _first_code(r: dict, path: str, system: str, missing: str, wrong_system: str) -> str:
    """The first coding's code, which must exist and come from ``system`` (else the resource is quarantined)."""
    codings = (r.get("code") or {}).get("coding") or []
    if not codings or not codings[0].get("code"):
        raise Invalid("wajib_diisi", f"{path}.code", missing)
    if codings[0].get("system") != system:
        raise Invalid("sistem_kode_tidak_dikenal", f"{path}.code.coding[0].system", wrong_system,
                      codings[0].get("system"))
    return codings[0]["code"]


def _condition(r: dict, ctx: Context, path: str, item: Item) -> dict[str, Any]:
    row = _base(r, ctx, path, item)
    row["id_bisnis"] = _business_id(r, path)
    code = _first_code(r, path, ICD10, "code (diagnosis) tidak ada", "sistem kode diagnosis bukan ICD-10")
    if not _ICD10_CODE.fullmatch(code):
        raise Invalid("format", f"{path}.code.coding[0].code", "kode ICD-10 tidak valid", code)
    status = [c.get("code") for c in (r.get("clinicalStatus") or {}).get("coding") or []]
    row.update({
        "kunjungan_id": _ref_id((r.get("encounter") or {}).get("reference")),
        "kode_icd10": code,
        "status_klinis": status[0] if status else None,
        "dicatat_pada": r.get("recordedDate"),
    })
    row["ihs_pseudonim"], row["pasien_id"] = _subject(r, ctx, path)
    return row


def _observation(r: dict, ctx: Context, path: str, item: Item) -> dict[str, Any]:
    row = _base(r, ctx, path, item)
    row["id_bisnis"] = _business_id(r, path)
    code = _first_code(r, path, LOINC, "code (LOINC) tidak ada", "sistem kode bukan LOINC")
    value = unit = systolic = diastolic = None
    if code == BP_PANEL:
        for k, comp in enumerate(r.get("component") or []):
            ccode = (((comp.get("code") or {}).get("coding") or [{}])[0]).get("code")
            v = (comp.get("valueQuantity") or {}).get("value")
            if ccode == SYSTOLIC:
                systolic = v
            elif ccode == DIASTOLIC:
                diastolic = v
        if systolic is None or diastolic is None:
            raise Invalid("wajib_diisi", f"{path}.component", "tekanan darah tanpa sistolik dan diastolik")
        unit = "mm[Hg]"
    else:
        quantity = r.get("valueQuantity") or {}
        if quantity.get("value") is None:
            raise Invalid("wajib_diisi", f"{path}.valueQuantity.value", "nilai observasi tidak ada")
        value, unit = quantity["value"], quantity.get("code")
    when = r.get("effectiveDateTime")
    if not when:
        raise Invalid("wajib_diisi", f"{path}.effectiveDateTime", "waktu observasi tidak ada")
    row.update({
        "kunjungan_id": _ref_id((r.get("encounter") or {}).get("reference")),
        "kode_loinc": code, "nilai": value, "satuan": unit, "sistolik": systolic, "diastolik": diastolic,
        "waktu": when,
    })
    row["ihs_pseudonim"], row["pasien_id"] = _subject(r, ctx, path)
    return row


def _organization(r: dict, ctx: Context, path: str, item: Item) -> dict[str, Any]:
    row = _base(r, ctx, path, item)
    if not row["id_sumber_daya"]:
        raise Invalid("wajib_diisi", f"{path}.id", "id Organization tidak ada")
    row["id_bisnis"] = _business_id(r, path)
    kinds = [c.get("code") for t in r.get("type") or [] for c in t.get("coding") or []]
    row.update({"nama": r.get("name"), "tipe": kinds[0] if kinds else None,
                "kode_kelurahan": _village((r.get("address") or [{}])[0])})
    return row


def _location(r: dict, ctx: Context, path: str, item: Item) -> dict[str, Any]:
    row = _base(r, ctx, path, item)
    if not row["id_sumber_daya"]:
        raise Invalid("wajib_diisi", f"{path}.id", "id Location tidak ada")
    row["id_bisnis"] = _business_id(r, path)
    row.update({"nama": r.get("name"), "deskripsi": r.get("description"),
                "organisasi_id": _ref_id((r.get("managingOrganization") or {}).get("reference")),
                "kode_kelurahan": _village(r.get("address"))})
    return row


def _practitioner(r: dict, ctx: Context, path: str, item: Item) -> dict[str, Any]:
    row = _base(r, ctx, path, item)
    if not row["id_sumber_daya"]:
        raise Invalid("wajib_diisi", f"{path}.id", "id Practitioner tidak ada")
    _, _, nik = _identifier(r, system=NIK_SYSTEM)
    row.update({"id_bisnis": row["id_sumber_daya"], "nik_pseudonim": ctx.pseudo("nik", nik),
                "jenis_kelamin": r.get("gender")})  # the practitioner's name is not copied
    return row


FLATTEN: dict[str, Callable[[dict, Context, str, Item], dict[str, Any]]] = {
    "Organization": _organization, "Location": _location, "Practitioner": _practitioner, "Patient": _patient,
    "Encounter": _encounter, "Condition": _condition, "Observation": _observation,
}


# --- writing -----------------------------------------------------------------------------------


class _Sink:
    """Rows of one resource type, buffered column-wise and flushed to a local staging Parquet."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path, self.columns = path, columns
        self.schema = pa.schema([(c, pa.string()) for c in columns] + [("_baris_berkas", pa.int64())])
        self.buffer: dict[str, list] = {c: [] for c in [*columns, "_baris_berkas"]}
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def add(self, row: dict[str, Any], number: int) -> None:
        for c in self.columns:
            v = row.get(c)
            self.buffer[c].append(None if v is None else str(v))
        self.buffer["_baris_berkas"].append(number)
        self.rows += 1
        if len(self.buffer["_baris_berkas"]) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.buffer["_baris_berkas"]:
            return
        table = pa.table({c: pa.array(v, self.schema.field(c).type) for c, v in self.buffer.items()}, schema=self.schema)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.write_table(table)
        self.buffer = {c: [] for c in self.buffer}

    def close(self) -> None:
        self.flush()
        if self.writer:
            self.writer.close()


@dataclass
class FileResult:
    rows: dict[str, int]
    quarantine: list[dict[str, Any]]
    skipped: Counter
    read: int


def service_day(landing_key: str) -> dt.date:
    """The service day of a delivery: the YYYYMMDD in the file name, else the day before the delivery folder."""
    match = _DAY_IN_NAME.search(Path(landing_key).name)
    if match:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    return dt.date.fromisoformat(landing_key.split("/")[2]) - dt.timedelta(days=1)


def parse_file(path: Path, container: str, ctx: Context, work: Path,
               on_patient: Callable[[str, str], None] | None = None) -> FileResult:
    """Stream one delivered file into staging Parquet per type under ``work``; returns counts and quarantine."""
    sinks: dict[str, _Sink] = {}
    quarantine: list[dict[str, Any]] = []
    skipped: Counter = Counter()
    deferred: list[tuple[Item, str, dict]] = []
    read = 0

    def reject(item: Item, rule: str, where: str, reason: str, value: str | None, kind: str | None, bid: str | None):
        quarantine.append({"_baris": item.number, "_aturan": rule, "_kolom": where, "_nilai": value,
                           "_alasan": reason, "_tipe_sumber_daya": kind, "_id_bisnis": bid})

    def sink(kind: str) -> _Sink:
        if kind not in sinks:
            sinks[kind] = _Sink(work / f"{kind}.parquet", list(SCHEMAS[kind]))
        return sinks[kind]

    def handle(item: Item, resource: dict, kind: str, final: bool) -> None:
        try:
            row = FLATTEN[kind](resource, ctx, item.path, item)
        except Invalid as bad:
            reject(item, bad.rule, bad.path, bad.reason, bad.value, kind, _safe_business_id(resource, kind, ctx))
            return
        except _Unresolved:
            if not final:
                deferred.append((item, kind, resource))
                return
            reject(item, "referensi_pasien", f"{item.path}.subject",
                   "pasien yang dirujuk (urn:uuid) tidak ada di Bundle ini", None, kind,
                   _safe_business_id(resource, kind, ctx))
            return
        if kind == "Patient":
            ctx.patients[row["ihs_pseudonim"]] = row["pasien_id"]
            if item.full_url:
                ctx.bundle_patients[item.full_url] = (row["ihs_pseudonim"], row["pasien_id"])
            if on_patient:
                on_patient(row["ihs_pseudonim"], row["pasien_id"])
        sink(kind).add(row, item.number)

    items = iter_bundle(path) if container == "bundle" else iter_ndjson(path)
    try:
        for item in items:
            if item.error:
                read += 1
                reject(item, "json_tidak_valid", item.path, item.error, None, None, None)
                continue
            kind = item.resource.get("resourceType") if isinstance(item.resource, dict) else None
            if kind not in FLATTEN:
                skipped[str(kind)] += 1
                continue
            read += 1
            handle(item, item.resource, kind, final=False)
        for item, kind, resource in deferred:
            handle(item, resource, kind, final=True)
    finally:
        for s in sinks.values():
            s.close()
    return FileResult({k: s.rows for k, s in sinks.items()}, quarantine, skipped, read)


def _safe_business_id(resource: dict, kind: str, ctx: Context) -> str | None:
    """A quarantined resource's business identifier, pseudonymised when it names a person."""
    if kind == "Patient":
        _, _, nik = _identifier(resource, system=NIK_SYSTEM)
        return ctx.pseudo("nik", nik) if nik else None
    if kind == "Practitioner":
        return resource.get("id")
    identifiers = resource.get("identifier") or []
    if identifiers and identifiers[0].get("system") and identifiers[0].get("value"):
        return f"{identifiers[0]['system']}|{identifiers[0]['value']}"
    return None


def _typed_select(kind: str, staging: str, lineage: str) -> str:
    cols = []
    for name, sql_type in SCHEMAS[kind].items():
        cols.append(f'CAST("{name}" AS {sql_type}) AS "{name}"' if sql_type != "VARCHAR" else f'"{name}"')
    return f"SELECT {', '.join(cols)}, {lineage} FROM read_parquet('{staging}') ORDER BY _baris_berkas"


def _sql(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


# --- loading deliveries ------------------------------------------------------------------------


def known_patients(settings: Settings) -> dict[str, str]:
    """IHS pseudonym → person pseudonym of every Patient already in bronze (both feeds)."""
    keys = [k for k, _ in objectstore.list_keys(settings, settings.bucket_lake, bronze_prefix("Patient"))]
    if not keys:
        return {}
    from satudata.duck import connect

    con = connect(settings)
    glob = settings.lake_uri(f"{bronze_prefix('Patient')}*/*.parquet")
    rows = con.execute(f"SELECT DISTINCT ihs_pseudonim, pasien_id FROM read_parquet('{glob}')").fetchall()
    con.close()
    return dict(rows)


def _order(key: str) -> tuple:
    parts = key.split("/")
    name = parts[-1]
    kind = name.split(".")[0]
    rank = RESOURCE_TYPES.index(kind) if kind in RESOURCE_TYPES else (0 if "referensi" in name else len(RESOURCE_TYPES))
    return (parts[2] if len(parts) > 3 else "", rank, name)


def load_delivery(settings: Settings, feed: FhirFeed, landing_key: str, known_sha: dict[str, str],
                  patients: dict[str, str], pseudo: Pseudonymiser) -> ledger.LedgerEntry:
    """One FHIR file: landing → bronze per type + quarantine, then its ledger entry (written last)."""
    return ledger.receive(settings, feed, landing_key, known_sha,
                          lambda local, work, entry: _load(settings, feed, landing_key, local, work, entry, patients, pseudo))


def _load(settings: Settings, feed: FhirFeed, landing_key: str, local: Path, work: Path,
          entry: ledger.LedgerEntry, patients: dict[str, str], pseudo: Pseudonymiser) -> None:
    day = service_day(landing_key)
    ctx = Context(pseudo=pseudo, day=day, source=feed.source, patients=dict(patients))
    staging = work / "staging"
    staging.mkdir()
    result = parse_file(local, feed.container, ctx, staging)  # an empty NDJSON (no visits that day) loads 0 rows
    # Only now (the whole file read) do the patients of this file become known to later files.
    patients.update(ctx.patients)
    period = day.isoformat()
    lineage = (f"{_sql(landing_key)} AS _berkas_sumber, {_sql(entry.sha256)} AS _sha256_berkas, "
               f"_baris_berkas, TIMESTAMPTZ {_sql(entry.diproses_pada)} AS _dimuat_pada")
    con = duckdb.connect()
    bronze_objects = []
    for kind, n in sorted(result.rows.items()):
        if not n:
            continue
        out = work / f"{kind}.typed.parquet"
        con.execute(f"COPY ({_typed_select(kind, staging / f'{kind}.parquet', lineage)}) TO '{out}' "
                    "(FORMAT parquet, COMPRESSION zstd)")
        key = bronze_key(kind, period, landing_key)
        objectstore.upload_file(settings, settings.bucket_lake, key, out, "application/vnd.apache.parquet")
        bronze_objects.append(key)
    if result.quarantine:
        table = pa.table({c: pa.array([q[c] for q in result.quarantine], pa.int64() if c == "_baris" else pa.string())
                          for c in QUARANTINE_COLUMNS})
        qpath = work / "quarantine.parquet"
        con.register("karantina", table)
        con.execute(
            f"COPY (SELECT *, {_sql(landing_key)} AS _berkas_sumber, {_sql(entry.sha256)} AS _sha256_berkas, "
            f"_baris AS _baris_berkas, TIMESTAMPTZ {_sql(entry.diproses_pada)} AS _dimuat_pada FROM karantina "
            f"ORDER BY _baris) TO '{qpath}' (FORMAT parquet)"
        )
        entry.objek_karantina = quarantine_key(landing_key)
        objectstore.upload_file(settings, settings.bucket_lake, entry.objek_karantina, qpath,
                                "application/vnd.apache.parquet")
    con.close()
    entry.periode = period
    entry.baris_dimuat = sum(result.rows.values())
    entry.baris_karantina = len(result.quarantine)
    entry.baris_dibaca = result.read
    entry.karantina_per_aturan = dict(Counter(q["_aturan"] for q in result.quarantine).most_common())
    entry.objek_bronze = ", ".join(bronze_objects) or None
    entry.dimuat_per_tipe = dict(sorted(result.rows.items()))
    entry.dilewati_per_tipe = dict(result.skipped)
    if result.skipped:
        entry.pesan = "tipe sumber daya tidak dikenal dilewati: " + ", ".join(
            f"{k} ({v})" for k, v in sorted(result.skipped.items()))


def pending(settings: Settings, feed: FhirFeed) -> list[str]:
    """Pending landing keys of a feed in processing order (delivery folder, then reference types first)."""
    return sorted(ledger.pending(settings, feed), key=_order)


def load_pending(settings: Settings, feed: FhirFeed,
                 on_file: Callable[[ledger.LedgerEntry], None] | None = None) -> list[ledger.LedgerEntry]:
    """Process every landing file of ``feed`` without a ledger entry yet."""
    return load_deliveries(settings, feed, pending(settings, feed), on_file)


def load_deliveries(settings: Settings, feed: FhirFeed, keys: list[str],
                    on_file: Callable[[ledger.LedgerEntry], None] | None = None) -> list[ledger.LedgerEntry]:
    """Process the given landing files of ``feed`` in processing order (see :func:`ingest.ledger.process`)."""
    if not keys:
        return []
    pseudo = from_settings(settings)
    patients = known_patients(settings)
    return ledger.process(
        settings, feed, sorted(keys, key=_order),
        lambda key, known: load_delivery(settings, feed, key, known, patients, pseudo), on_file,
    )
