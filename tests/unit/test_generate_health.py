"""The health extract generator delivers SATUSEHAT-shaped FHIR, BPJS claims and Dinkes recaps, reproducibly.

Resources are checked with a small FHIR checker written here (independent of the generator and of
the ingest): required elements, identifier systems, code systems, NIK layout and references. In
every delivered file exactly the planted defects must fail it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from ingest.generate.health import GeneratedFile, generate_health, raw_identifiers, scale_for_encounters
from satudata.settings import PROJECT_ROOT

SCALE = 0.05
START = date(2025, 1, 27)  # crosses a month boundary: two claim files and two recaps
DAYS = 12
DEFECT_RATE = 0.05

PROFILE = "https://fhir.kemkes.go.id/r4/StructureDefinition/"
NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
IHS_SYSTEM = "https://fhir.kemkes.go.id/id/ihs-number"
NAKES_SYSTEM = "https://fhir.kemkes.go.id/id/nakes-his-number"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PENJAMIN = "https://fhir.baubaukota.go.id/StructureDefinition/penjamin"
ADMINISTRATIVE_CODE = "https://fhir.kemkes.go.id/r4/StructureDefinition/administrativeCode"
BUSINESS_ID = re.compile(
    r"http://sys-ids\.kemkes\.go\.id/(encounter|condition|observation|location|organization|mr)/(\d+)")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00")
ICD10_CODE = re.compile(r"[A-Z]\d\d(\.\d{1,2})?")
NIK = re.compile(r"7472(0[1-8])(\d\d)(\d\d)(\d\d)(\d{4})")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
UNITS = {"8867-4": "/min", "8310-5": "Cel", "9279-1": "/min", "2708-6": "%", "39156-5": "kg/m2"}
BP_PANEL, SYSTOLIC, DIASTOLIC = "85354-9", "8480-6", "8462-4"
KEY = re.compile(
    r"simrs/fhir/(\d{4}-\d\d-\d\d)/rsud-(\d{8}|referensi)-bundle\.json"
    r"|puskesmas/fhir/(\d{4}-\d\d-\d\d)/"
    r"(Patient|Encounter|Condition|Observation|Organization|Location|Practitioner)\.ndjson"
    r"|bpjs/klaim/(\d{4}-\d\d-15)/klaim_jkn_(\d{4}-\d\d)\.csv"
    r"|dinkes/rekap_kunjungan/(\d{4}-\d\d-05)/rekap_kunjungan_puskesmas_(\d{4}-\d\d)\.xlsx"
)


def _villages() -> set[str]:
    with (PROJECT_ROOT / "dbt_project" / "seeds" / "wilayah_kota_baubau.csv").open() as seed:
        return {row["kode"].replace(".", "") for row in csv.DictReader(seed) if row["tingkat"] == "kelurahan"}


VILLAGES = _villages()


# --- runs --------------------------------------------------------------------------------------


Run = tuple[Path, list[GeneratedFile]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """Two runs with the same arguments (with defects and bad files) into two directories."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    arguments = {"start": START, "days": DAYS, "scale": SCALE, "defect_rate": DEFECT_RATE}
    return (first, generate_health(first, **arguments)), (second, generate_health(second, **arguments))


@pytest.fixture(scope="module")
def generated(runs) -> Run:
    return runs[0]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A run without defects or bad files, for counts that span files."""
    out = tmp_path_factory.mktemp("clean")
    return out, generate_health(out, start=START, days=DAYS, scale=SCALE, defect_rate=0.0, bad_files=False)


# --- reading deliveries back -------------------------------------------------------------------


@dataclass
class Delivered:
    """One resource as delivered: where, whether it parsed, and what the checker made of it."""

    key: str
    delivered: str  # delivery date (folder)
    resource: dict | None  # None: not valid JSON
    problems: list[str] = field(default_factory=list)
    method: str = ""  # bundle request method


def _folder(key: str) -> str:
    return key.split("/")[2]


def _normal(files: list[GeneratedFile], prefix: str, suffix: str = "") -> list[GeneratedFile]:
    return sorted((f for f in files if f.kind == "normal" and f.key.startswith(prefix) and f.key.endswith(suffix)),
                  key=lambda f: (_folder(f.key), f.key))


def _business_id(resource: dict) -> str | None:
    for identifier in resource.get("identifier", []):
        if resource["resourceType"] == "Patient" and identifier.get("system") != NIK_SYSTEM:
            continue
        return f"{identifier.get('system')}|{identifier.get('value')}"
    return None


def _nik_ok(nik: str, birth: str, gender: str) -> bool:
    match = NIK.fullmatch(nik or "")
    if not match or not birth:
        return False
    born = date.fromisoformat(birth)
    day = int(match[2]) - (40 if gender == "female" else 0)
    return (day, int(match[3]), int(match[4])) == (born.day, born.month, born.year % 100)


def _codings(concept: dict | None) -> list[dict]:
    return (concept or {}).get("coding", [])


def _check(resource: dict, resolves, ndjson: bool) -> list[str]:
    """What is wrong with one FHIR resource (empty when it is valid)."""
    problems = []
    kind = resource.get("resourceType")
    meta = resource.get("meta", {})
    if meta.get("profile") != [PROFILE + str(kind)]:
        problems.append("meta.profile")
    if not TIMESTAMP.fullmatch(meta.get("lastUpdated", "")):
        problems.append("meta.lastUpdated")
    if ndjson and not resource.get("id"):
        problems.append("id")
    if kind in ("Encounter", "Condition", "Observation"):
        systems = [BUSINESS_ID.fullmatch(i.get("system", "")) for i in resource.get("identifier", [])]
        if not systems or not systems[0] or systems[0][1] != kind.lower() or not resource["identifier"][0].get("value"):
            problems.append("identifier")
        subject = (resource.get("subject") or {}).get("reference")
        if not subject or not resolves(subject, "Patient"):
            problems.append("subject")
    if kind == "Patient":
        identifiers = {i.get("system"): i.get("value") for i in resource.get("identifier", [])}
        if not _nik_ok(identifiers.get(NIK_SYSTEM), resource.get("birthDate"), resource.get("gender")):
            problems.append("nik")
        ihs = identifiers.get(IHS_SYSTEM, "")
        if not re.fullmatch(r"P\d{11}", ihs) or (ndjson and resource.get("id") != ihs):
            problems.append("ihs-number")
        if not any(BUSINESS_ID.fullmatch(s or "") and re.fullmatch(r"\d{8}", v or "") for s, v in identifiers.items()
                   if (s or "").startswith("http://sys-ids.kemkes.go.id/mr/")):
            problems.append("medical record number")
        if not resource.get("name", [{}])[0].get("text") or resource.get("gender") not in ("male", "female"):
            problems.append("name/gender")
        for telecom in resource.get("telecom", []):
            if not re.fullmatch(r"\+628\d{8,11}", telecom.get("value", "")):
                problems.append("telecom")
        address = resource.get("address", [{}])[0]
        codes = {e["url"]: e.get("valueCode") for x in address.get("extension", [])
                 if x.get("url") == ADMINISTRATIVE_CODE for e in x.get("extension", [])}
        village = codes.get("village", "")
        if not address.get("line") or village not in VILLAGES or codes.get("province") != "74" \
                or codes.get("city") != "7472" or codes.get("district") != village[:6]:
            problems.append("address")
    elif kind == "Encounter":
        status = resource.get("status")
        period = resource.get("period") or {}
        if status not in ("finished", "in-progress"):
            problems.append("status")
        klass = resource.get("class", {})
        if klass.get("system") != ACT_CODE or klass.get("code") not in ("AMB", "EMER", "IMP"):
            problems.append("class")
        if not TIMESTAMP.fullmatch(period.get("start", "")) or (status == "finished") != ("end" in period):
            problems.append("period")
        elif "end" in period and not TIMESTAMP.fullmatch(period["end"]) or period.get("end", "9") < period["start"]:
            problems.append("period order")
        history = [h.get("status") for h in resource.get("statusHistory", [])]
        if history != ["arrived", "in-progress", "finished"][: 3 if status == "finished" else 2]:
            problems.append("statusHistory")
        participant = resource.get("participant", [{}])[0]
        if [c.get("code") for t in participant.get("type", []) for c in _codings(t)] != ["ATND"] \
                or not resolves(participant.get("individual", {}).get("reference", ""), "Practitioner"):
            problems.append("participant")
        if not resolves(resource.get("location", [{}])[0].get("location", {}).get("reference", ""), "Location"):
            problems.append("location")
        provider = resource.get("serviceProvider", {}).get("reference", "")
        system = resource.get("identifier", [{}])[0].get("system", "")
        if not resolves(provider, "Organization") or system.rsplit("/", 1)[-1] != provider.rsplit("/", 1)[-1]:
            problems.append("serviceProvider")
        payers = [(e.get("url"), e.get("valueCode") in ("BPJS", "UMUM")) for e in resource.get("extension", [])]
        if payers != [(PENJAMIN, True)]:
            problems.append("penjamin")
        if any(not resolves(d["condition"]["reference"], "Condition") for d in resource.get("diagnosis", [])):
            problems.append("diagnosis")
    elif kind == "Condition":
        codings = _codings(resource.get("code"))
        if len(codings) != 1 or codings[0].get("system") != ICD10 \
                or not ICD10_CODE.fullmatch(codings[0].get("code", "")):
            problems.append("code")
        if [c.get("code") for c in _codings(resource.get("category", [{}])[0])] != ["encounter-diagnosis"] \
                or [c.get("code") for c in _codings(resource.get("clinicalStatus"))] != ["active"]:
            problems.append("category/clinicalStatus")
        if not resolves(resource.get("encounter", {}).get("reference", ""), "Encounter"):
            problems.append("encounter")
    elif kind == "Observation":
        code = [(c.get("system"), c.get("code")) for c in _codings(resource.get("code"))]
        category = [c.get("code") for c in _codings(resource.get("category", [{}])[0])]
        if category != ["vital-signs"] or resource.get("status") != "final" or len(code) != 1 or code[0][0] != LOINC:
            problems.append("code/category")
        elif code[0][1] == BP_PANEL:
            parts = {_codings(c["code"])[0]["code"]: c["valueQuantity"] for c in resource.get("component", [])}
            if set(parts) != {SYSTOLIC, DIASTOLIC} or "valueQuantity" in resource or any(
                    q.get("system") != UCUM or q.get("code") != "mm[Hg]" or not isinstance(q.get("value"), int)
                    for q in parts.values()):
                problems.append("blood pressure")
        else:
            quantity = resource.get("valueQuantity", {})
            if UNITS.get(code[0][1]) != quantity.get("code") or quantity.get("system") != UCUM \
                    or not isinstance(quantity.get("value"), int | float):
                problems.append("valueQuantity")
        if not TIMESTAMP.fullmatch(resource.get("effectiveDateTime", "")):
            problems.append("effectiveDateTime")
        if not resolves(resource.get("encounter", {}).get("reference", ""), "Encounter"):
            problems.append("encounter")
    elif kind == "Practitioner":
        identifiers = {i.get("system"): i.get("value") for i in resource.get("identifier", [])}
        if not _nik_ok(identifiers.get(NIK_SYSTEM), resource.get("birthDate"), resource.get("gender")) \
                or identifiers.get(NAKES_SYSTEM) != resource.get("id"):
            problems.append("practitioner identifiers")
    elif kind == "Organization":
        if not BUSINESS_ID.fullmatch(resource.get("identifier", [{}])[0].get("system", "")) or not resource.get("name"):
            problems.append("organization")
    elif kind == "Location":
        managing = resource.get("managingOrganization", {}).get("reference", "")
        if not resource.get("name") or not resolves(managing, "Organization"):
            problems.append("location")
    else:
        problems.append(f"unexpected resourceType {kind}")
    return problems


_ID_AT_START = re.compile(r'\{"resourceType":"(\w+)","id":"([^"]+)"')


def _reference_index(out: Path, files: list[GeneratedFile]) -> tuple[dict[str, str], dict[str, str]]:
    """Reference-type → resources of the reference deliveries, for the RSUD bundle and the NDJSON."""
    rsud, pkm = {}, {}
    for f in files:
        if f.key.endswith("rsud-referensi-bundle.json"):
            for entry in json.loads((out / f.key).read_text())["entry"]:
                r = entry["resource"]
                rsud[f"{r['resourceType']}/{r['id']}"] = r["resourceType"]
        elif f.key.split("/")[-1] in ("Organization.ndjson", "Location.ndjson", "Practitioner.ndjson"):
            for line in (out / f.key).read_text().splitlines():
                r = json.loads(line)
                pkm[f"{r['resourceType']}/{r['id']}"] = r["resourceType"]
    return rsud, pkm


def _resolver(index: dict[str, str]):
    return lambda reference, kind: index.get(reference) == kind


def _bundle_entries(out: Path, files: list[GeneratedFile]) -> Iterator[tuple[GeneratedFile, list[Delivered]]]:
    """Checked entries of every normal daily RSUD bundle, in delivery order."""
    references, _ = _reference_index(out, files)
    for f in _normal(files, "simrs/"):
        if f.key.endswith("referensi-bundle.json"):
            continue
        bundle = json.loads((out / f.key).read_text())
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
        full_urls = [e["fullUrl"] for e in bundle.get("entry", [])]
        assert len(full_urls) == len(set(full_urls)), f"{f.key}: a fullUrl appears twice"
        index = dict(references)
        index.update({e["fullUrl"]: e["resource"]["resourceType"] for e in bundle.get("entry", [])})
        checked = []
        for entry in bundle.get("entry", []):
            resource, request = entry["resource"], entry["request"]
            problems = _check(resource, _resolver(index), ndjson=False)
            identifier = _business_id(resource)
            if "id" in resource or not UUID.fullmatch(entry["fullUrl"].removeprefix("urn:uuid:")):
                problems.append("fullUrl/id")
            expected = (
                {"method": "POST", "url": resource["resourceType"], "ifNoneExist": f"identifier={identifier}"}
                if request["method"] == "POST" else
                {"method": "PUT", "url": f"{resource['resourceType']}?identifier={identifier}"}
            )
            if request != expected:
                problems.append("request")
            checked.append(Delivered(f.key, _folder(f.key), resource, problems, request["method"]))
        yield f, checked


def _ndjson_lines(out: Path, files: list[GeneratedFile]) -> Iterator[tuple[GeneratedFile, list[Delivered]]]:
    """Checked lines of every normal daily Puskesmas NDJSON file, in delivery order.

    References resolve against the reference files and everything delivered so far (a re-sent
    resource points to resources of earlier deliveries); a broken line still registers its id.
    """
    _, index = _reference_index(out, files)
    by_folder = defaultdict(list)
    for f in _normal(files, "puskesmas/"):
        if f.key.split("/")[-1] in ("Patient.ndjson", "Encounter.ndjson", "Condition.ndjson", "Observation.ndjson"):
            by_folder[_folder(f.key)].append(f)
    bad = [f for f in files if f.kind == "bad_file" and f.key.endswith(".ndjson")]
    for f in bad:  # a truncated file still delivered the resources before the cut
        for line in (out / f.key).read_text().splitlines():
            if match := _ID_AT_START.match(line):
                index[f"{match[1]}/{match[2]}"] = match[1]
    for folder in sorted(by_folder):
        parsed = {}
        for f in by_folder[folder]:
            rows = []
            for line in (out / f.key).read_text().splitlines():
                try:
                    resource = json.loads(line)
                except ValueError:
                    resource = None
                    match = _ID_AT_START.match(line)
                    index[f"{match[1]}/{match[2]}"] = match[1]
                else:
                    index[f"{resource['resourceType']}/{resource['id']}"] = resource["resourceType"]
                rows.append(resource)
            parsed[f.key] = rows
        for f in by_folder[folder]:
            yield f, [
                Delivered(f.key, folder, r, ["invalid JSON"] if r is None else _check(r, _resolver(index), ndjson=True))
                for r in parsed[f.key]
            ]


_CHECKED: dict[tuple[Path, tuple[GeneratedFile, ...]], list[tuple[GeneratedFile, list[Delivered]]]] = {}


def _fhir(out: Path, files: list[GeneratedFile]) -> list[tuple[GeneratedFile, list[Delivered]]]:
    """Every delivered FHIR resource, checked (once per run: the checks only read)."""
    key = (out, tuple(files))
    if key not in _CHECKED:
        _CHECKED[key] = [*_bundle_entries(out, files), *_ndjson_lines(out, files)]
    return _CHECKED[key]


def _valid(out: Path, files: list[GeneratedFile], kind: str) -> Iterator[Delivered]:
    for _, delivered in _fhir(out, files):
        for d in delivered:
            if d.resource is not None and not d.problems and d.resource["resourceType"] == kind:
                yield d


def _claims(out: Path, files: list[GeneratedFile]) -> list[dict]:
    return [row for f in _normal(files, "bpjs/")
            for row in csv.DictReader(io.StringIO((out / f.key).read_text(encoding="utf-8")), delimiter=";")]


# --- tests -------------------------------------------------------------------------------------


def test_same_arguments_give_byte_identical_files(runs) -> None:
    (first, first_files), (second, second_files) = runs
    assert first_files == second_files
    on_disk = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert on_disk == sorted(f.key for f in first_files)
    for f in first_files:
        digests = {hashlib.sha256((out / f.key).read_bytes()).hexdigest() for out in (first, second)}
        assert len(digests) == 1, f.key


def test_landing_layout(generated) -> None:
    _, files = generated
    first_delivery = (START + timedelta(days=1)).isoformat()
    days = {(START + timedelta(days=n)) for n in range(DAYS)}
    bundles, ndjson = set(), defaultdict(set)
    for f in files:
        match = KEY.fullmatch(f.key)
        assert match, f.key
        if match[1] and match[2] != "referensi" and f.kind == "normal":
            served = datetime.strptime(match[2], "%Y%m%d").date()
            assert date.fromisoformat(match[1]) == served + timedelta(days=1), "delivered the day after the service day"
            bundles.add(served)
        if match[3] and match[4] in ("Patient", "Encounter", "Condition", "Observation"):
            ndjson[match[4]].add(date.fromisoformat(match[3]) - timedelta(days=1))
        if match[3] and match[4] in ("Organization", "Location", "Practitioner"):
            assert match[3] == first_delivery
    assert bundles == days
    assert all(served == days for served in ndjson.values())
    assert f"simrs/fhir/{first_delivery}/rsud-referensi-bundle.json" in {f.key for f in files}
    assert sorted(f.key for f in files if f.key.startswith(("bpjs/", "dinkes/"))) == [
        "bpjs/klaim/2025-02-15/klaim_jkn_2025-01.csv",
        "bpjs/klaim/2025-03-15/klaim_jkn_2025-02.csv",
        "dinkes/rekap_kunjungan/2025-02-05/rekap_kunjungan_puskesmas_2025-01.xlsx",
        "dinkes/rekap_kunjungan/2025-03-05/rekap_kunjungan_puskesmas_2025-02.xlsx",
    ]


def test_resources_breaking_fhir_rules_are_exactly_the_planted_defects(generated) -> None:
    out, files = generated
    checked = _fhir(out, files)
    assert len(checked) == DAYS * 5 - 1  # one NDJSON file is the truncated bad file
    for f, delivered in checked:
        assert len(delivered) == f.rows, f.key
        failing = [d for d in delivered if d.problems]
        assert len(failing) == f.defect_rows, (f.key, Counter(p for d in failing for p in d.problems))
        assert all(len(d.problems) == 1 for d in failing), f"{f.key}: a defect broke more than one rule"
    kinds = Counter(p for _, delivered in checked for d in delivered for p in d.problems)
    for planted in ("invalid JSON", "subject", "period", "code", "nik"):
        assert kinds[planted] > 0, planted


def test_reference_resources_are_valid(generated) -> None:
    out, files = generated
    rsud, pkm = _reference_index(out, files)
    assert Counter(rsud.values()) == {"Organization": 1, "Location": 14, "Practitioner": 30}
    assert Counter(pkm.values())["Organization"] == 17 and Counter(pkm.values())["Location"] >= 17 * 4
    names = set()
    for f in files:
        if f.key.endswith("referensi-bundle.json"):
            resources = [e["resource"] for e in json.loads((out / f.key).read_text())["entry"]]
            index = rsud
        elif f.key.split("/")[-1] in ("Organization.ndjson", "Location.ndjson", "Practitioner.ndjson"):
            resources = [json.loads(line) for line in (out / f.key).read_text().splitlines()]
            index = pkm
        else:
            continue
        for resource in resources:
            assert _check(resource, _resolver(index), ndjson=True) == [], resource
            if resource["resourceType"] == "Organization":
                names.add(resource["name"])
    assert "Rumah Sakit Umum Daerah Kota Baubau" in names
    expected = ("Wajo", "Katobengke", "Bungi", "Sorawolio", "Lea-Lea")
    assert {f"Puskesmas {name}" for name in expected} <= names


def test_planted_defects_follow_the_defect_rate(generated) -> None:
    out, files = generated
    fhir = [f for f in files if f.kind == "normal" and f.key.startswith(("simrs/", "puskesmas/"))]
    rows, defects = sum(f.rows for f in fhir), sum(f.defect_rows for f in fhir)
    assert defects / rows == pytest.approx(DEFECT_RATE, rel=0.25)
    for f in _normal(files, "bpjs/"):
        seps = Counter(row["NO_SEP"] for row in csv.DictReader(io.StringIO((out / f.key).read_text()), delimiter=";"))
        assert sum(count - 1 for count in seps.values()) == f.defect_rows
        assert all(re.fullmatch(r"0212R001\d{4}V\d{6}", sep) for sep in seps)
    claims = [f for f in files if f.key.startswith("bpjs/")]
    assert sum(f.defect_rows for f in claims) / sum(f.rows for f in claims) == pytest.approx(DEFECT_RATE, abs=0.04)


def test_bad_files_are_a_truncated_ndjson_and_a_bundle_that_is_not_json(generated) -> None:
    out, files = generated
    bad = [f for f in files if f.kind == "bad_file"]
    assert len(bad) == 2
    truncated = next(f for f in bad if f.key.endswith(".ndjson"))
    data = (out / truncated.key).read_bytes()
    lines = data.split(b"\n")
    assert not data.endswith(b"\n") and len(lines) - 1 == truncated.rows
    with pytest.raises(ValueError):
        json.loads(lines[-1])
    broken = next(f for f in bad if f.key.endswith(".json"))
    with pytest.raises(ValueError):
        json.loads((out / broken.key).read_text())
    name = broken.key.rsplit("/", 1)[1]
    good = next(f for f in files if f.kind == "normal" and f.key.endswith("/" + name))
    assert _folder(broken.key) > _folder(good.key), "the broken bundle is a later re-delivery of a good one"


def test_nik_layout_and_one_person_one_nik(generated) -> None:
    out, files = generated
    person: dict[str, tuple] = {}
    ihs_of: dict[str, str] = {}
    patients = list(_valid(out, files, "Patient"))
    assert patients
    for d in patients:
        r = d.resource
        identifiers = {i["system"]: i["value"] for i in r["identifier"]}
        nik = identifiers[NIK_SYSTEM]
        assert nik.startswith("7472") and len(nik) == 16
        facts = (r["name"][0]["text"], r["birthDate"], r["gender"], identifiers[IHS_SYSTEM])
        assert person.setdefault(nik, facts) == facts, nik
        assert ihs_of.setdefault(identifiers[IHS_SYSTEM], nik) == nik
    women = [nik for nik, (_, _, gender, _) in person.items() if gender == "female"]
    assert women and all(int(nik[6:8]) > 40 for nik in women)


def test_same_person_same_nik_across_rsud_puskesmas_and_bpjs(generated) -> None:
    out, files = generated
    sources: dict[str, dict[str, tuple]] = {"rsud": {}, "pkm": {}, "bpjs": {}}
    for d in _valid(out, files, "Patient"):
        r = d.resource
        nik = next(i["value"] for i in r["identifier"] if i["system"] == NIK_SYSTEM)
        birth = datetime.strptime(r["birthDate"], "%Y-%m-%d").strftime("%d/%m/%Y")
        sources["rsud" if d.key.startswith("simrs/") else "pkm"][nik] = (r["name"][0]["text"].upper(), birth,
                                                                        "P" if r["gender"] == "female" else "L")
    for row in _claims(out, files):
        sources["bpjs"][row["NIK"]] = (row["NAMA_PESERTA"], row["TGL_LAHIR"], row["JENIS_KELAMIN"])
    for one, other in (("rsud", "pkm"), ("rsud", "bpjs"), ("pkm", "bpjs")):
        shared = sources[one].keys() & sources[other].keys()
        assert shared, f"nobody in both {one} and {other}"
        assert all(sources[one][nik] == sources[other][nik] for nik in shared), (one, other)
    assert len(sources["bpjs"].keys() - sources["rsud"].keys()) <= 0.05 * len(sources["bpjs"])


def test_claims_are_the_rsud_visits_paid_by_bpjs(clean) -> None:
    out, files = clean
    bpjs_encounters = Counter()
    for _, delivered in _bundle_entries(out, files):
        for d in delivered:
            r = d.resource
            if r["resourceType"] == "Encounter" and d.method == "POST" and r["extension"][0]["valueCode"] == "BPJS":
                served = date.fromisoformat(d.delivered) - timedelta(days=1)
                bpjs_encounters[served.strftime("%Y-%m")] += 1
    claims = Counter()
    for row in _claims(out, files):
        claims[datetime.strptime(row["TGL_PULANG"], "%d/%m/%Y").strftime("%Y-%m")] += 1
        assert row["JENIS_PELAYANAN"] in ("RJTL", "RITL")
        assert re.fullmatch(r"000\d{10}", row["NO_KARTU"]) and NIK.fullmatch(row["NIK"])
        assert re.fullmatch(r"[A-Z]-\d-\d\d-(0|I|II|III)", row["KODE_INACBG"]) and int(row["TARIF_INACBG"]) > 0
        assert row["STATUS_KLAIM"] in ("LAYAK", "PENDING", "DISPUTE", "TIDAK LAYAK")
        assert ICD10_CODE.fullmatch(row["DIAGNOSA_ICD10"])
    assert claims == bpjs_encounters


def test_resent_resources_keep_their_identifier_with_a_newer_last_updated(generated) -> None:
    out, files = generated
    seen: dict[tuple[str, str], list[Delivered]] = defaultdict(list)
    for kind in ("Encounter", "Condition"):
        for d in _valid(out, files, kind):
            seen[(kind, _business_id(d.resource))].append(d)
    resent = {key: copies for key, copies in seen.items() if len(copies) > 1}
    encounters = sum(1 for kind, _ in seen if kind == "Encounter")
    assert 0.01 < sum(1 for kind, _ in resent if kind == "Encounter") / encounters < 0.1
    for (kind, _), copies in resent.items():
        assert len({c.delivered for c in copies}) == len(copies), "one copy per delivery"
        stamps = [c.resource["meta"]["lastUpdated"] for c in sorted(copies, key=lambda c: c.delivered)]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        assert len({c.resource.get("id") for c in copies}) == 1
    ndjson = [copies for copies in resent.values() if copies[0].key.startswith("puskesmas/")]
    changed = 0
    for copies in ndjson:
        ordered = sorted(copies, key=lambda c: c.delivered)
        first, last = ordered[0].resource, ordered[-1].resource
        if first["resourceType"] == "Encounter":
            assert (first["status"], last["status"]) == ("in-progress", "finished")
        else:
            assert first["code"] != last["code"]
        changed += 1
    assert changed
    puts = [d for _, delivered in _bundle_entries(out, files) for d in delivered if d.method == "PUT"]
    assert puts and {d.resource["resourceType"] for d in puts} == {"Encounter", "Condition"}


def test_visits_follow_the_week_and_blood_pressure_is_screened(clean) -> None:
    out, files = clean
    birth: dict[str, str] = {}
    for d in _valid(out, files, "Patient"):
        ihs = next(i["value"] for i in d.resource["identifier"] if i["system"] == IHS_SYSTEM)
        birth[ihs] = d.resource["birthDate"]
    by_weekday = Counter()
    adult_visits, with_bp = set(), set()
    readings = high = 0
    for _, delivered in _ndjson_lines(out, files):
        for d in delivered:
            r = d.resource
            if r["resourceType"] == "Encounter" and r["class"]["code"] == "AMB":
                start = datetime.fromisoformat(r["period"]["start"])
                by_weekday[start.weekday()] += 1
                born = date.fromisoformat(birth[r["subject"]["reference"].removeprefix("Patient/")])
                age = (start.date() - born).days / 365.25
                if age >= 18:
                    adult_visits.add(r["id"])
            if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == BP_PANEL:
                with_bp.add(r["encounter"]["reference"].removeprefix("Encounter/"))
                born = date.fromisoformat(birth[r["subject"]["reference"].removeprefix("Patient/")])
                if (date.fromisoformat(r["effectiveDateTime"][:10]) - born).days >= 40 * 365.25:
                    values = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in r["component"]}
                    readings += 1
                    high += values[SYSTOLIC] >= 140 or values[DIASTOLIC] >= 90
    assert by_weekday[6] == 0, "Puskesmas outpatient clinics are closed on Sunday"
    assert by_weekday[5] < min(by_weekday[d] for d in range(5))
    assert len(adult_visits & with_bp) / len(adult_visits) > 0.7
    assert 0.15 < high / readings < 0.4


def test_dengue_peaks_in_the_rainy_season(tmp_path: Path) -> None:
    def dengue_share(start: date) -> float:
        out = tmp_path / start.isoformat()
        files = generate_health(out, start=start, days=7, scale=0.1, defect_rate=0.0, bad_files=False)
        codes = Counter(d.resource["code"]["coding"][0]["code"] for d in _valid(out, files, "Condition"))
        return (codes["A90"] + codes["A91"]) / sum(codes.values())

    assert dengue_share(date(2025, 2, 3)) > 2 * dengue_share(date(2025, 8, 4))


def test_monthly_recap_reconciles_with_puskesmas_encounters(clean) -> None:
    out, files = clean
    first_seen: dict[str, tuple[str, str]] = {}
    for _, delivered in _ndjson_lines(out, files):
        for d in delivered:
            if d.resource["resourceType"] == "Encounter":
                served = (date.fromisoformat(d.delivered) - timedelta(days=1)).strftime("%Y-%m")
                first_seen.setdefault(d.resource["id"], (served, d.resource["extension"][0]["valueCode"]))
    expected = Counter(month for month, _ in first_seen.values())
    for f in _normal(files, "dinkes/"):
        month = f.key[-12:-5]
        sheet = openpyxl.load_workbook(out / f.key).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "PEMERINTAH KOTA BAUBAU" and rows[2][0].startswith("REKAPITULASI KUNJUNGAN PUSKESMAS")
        header = rows.index(next(r for r in rows if r[0] == "NO" and r[3] == "POLI UMUM"))
        body = rows[header + 1: header + 1 + f.rows]
        total = rows[header + 1 + f.rows]
        assert f.rows == 17 and all(str(r[1]).startswith("PUSKESMAS ") for r in body) and total[1] == "JUMLAH"
        for column in range(3, 12):
            assert total[column] == sum(r[column] for r in body)
        assert all(sum(r[3:9]) == r[11] == r[9] + r[10] for r in body)
        assert total[11] == expected[month], month


def test_raw_identifiers_finds_every_identifier_written(generated) -> None:
    out, files = generated
    found = raw_identifiers(out, files)
    niks, names, phones, ihs = set(), set(), set(), set()
    for d in _valid(out, files, "Patient"):
        identifiers = {i["system"]: i["value"] for i in d.resource["identifier"]}
        niks.add(identifiers[NIK_SYSTEM])
        ihs.add(identifiers[IHS_SYSTEM])
        names.add(d.resource["name"][0]["text"])
        phones.update(t["value"] for t in d.resource.get("telecom", []))
    claims = _claims(out, files)
    assert niks and niks <= found["nik"]
    assert {row["NIK"] for row in claims} <= found["nik"]
    assert {row["NO_SEP"] for row in claims} == found["sep"]
    assert {row["NO_KARTU"] for row in claims} == found["no_kartu"]
    assert ihs <= found["ihs"] and names <= found["nama"] and phones <= found["telepon"]
    assert {row["NAMA_PESERTA"] for row in claims} <= found["nama"]
    assert any(len(nik) == 15 for nik in found["nik"]), "the malformed NIK of a planted defect is raw data too"
    assert found["mr"] and all(re.fullmatch(r"\d{8}", mr) for mr in found["mr"])


def test_progress_reports_every_resource_written(tmp_path: Path) -> None:
    reported = Counter()
    files = generate_health(tmp_path, start=START, days=3, scale=0.02,
                            progress=lambda label, n: reported.update({label: n}))
    written = Counter()
    for f in files:
        written[f.dataset] += f.rows
    assert reported == written


def test_scale_for_encounters_hits_the_requested_count(tmp_path: Path) -> None:
    requested = 1_500
    scale = scale_for_encounters(requested, days=10, start=START)
    files = generate_health(tmp_path, start=START, days=10, scale=scale, defect_rate=0.0, bad_files=False)
    encounters = {(kind, _business_id(d.resource)) for kind in ("Encounter",) for d in _valid(tmp_path, files, kind)}
    assert len(encounters) == pytest.approx(requested, rel=0.15)
    assert scale_for_encounters(1_000_000) == pytest.approx(4 * scale_for_encounters(250_000))
    assert 2.5 < scale_for_encounters(1_000_000) < 4.0, "a realistic year is about 300 000 encounters"
