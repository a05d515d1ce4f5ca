"""FHIR parsing per resource type, defects, streaming Bundles, and pseudonyms (no services needed)."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest import fhir
from ingest.generate.health import generate_health, raw_identifiers
from ingest.pseudonym import Pseudonymiser, PseudonymKeyMissing, age_band
from ingest.readers import FileRejected

KEY = "k" * 32
P = Pseudonymiser(KEY)
NIK = "7472015406780001"  # woman born 14-06-1978
IHS = "P42627766213"

PATIENT = {
    "resourceType": "Patient", "id": IHS,
    "meta": {"lastUpdated": "2025-01-29T07:57:14+08:00"},
    "identifier": [
        {"use": "usual", "system": "http://sys-ids.kemkes.go.id/mr/106801188", "value": "88892106"},
        {"use": "official", "system": fhir.NIK_SYSTEM, "value": NIK},
        {"use": "official", "system": fhir.IHS_SYSTEM, "value": IHS},
    ],
    "name": [{"use": "official", "text": "Wa Rosmiati Haris"}],
    "telecom": [{"system": "phone", "value": "+6285359018531", "use": "mobile"}],
    "gender": "female", "birthDate": "1978-06-14",
    "address": [{"line": ["Jl. Betoambari No. 167"], "extension": [{"url": fhir.ADMINISTRATIVE_CODE, "extension": [
        {"url": "village", "valueCode": "7472011016"}]}]}],
}
ENCOUNTER = {
    "resourceType": "Encounter", "id": "enc-1", "meta": {"lastUpdated": "2025-01-29T11:14:14+08:00"},
    "identifier": [{"system": "http://sys-ids.kemkes.go.id/encounter/106801188", "value": "RJ2501290001"}],
    "status": "finished", "class": {"system": fhir.ACT_CODE, "code": "AMB"},
    "subject": {"reference": f"Patient/{IHS}", "display": "Wa Rosmiati Haris"},
    "participant": [{"individual": {"reference": "Practitioner/N10391407"}}],
    "period": {"start": "2025-01-29T07:57:14+08:00", "end": "2025-01-29T08:40:14+08:00"},
    "location": [{"location": {"reference": "Location/loc-1"}}],
    "serviceProvider": {"reference": "Organization/106801188"},
    "extension": [{"url": fhir.PENJAMIN_EXTENSION, "valueCode": "BPJS"}],
}
CONDITION = {
    "resourceType": "Condition", "id": "cond-1", "meta": {"lastUpdated": "2025-01-29T11:14:14+08:00"},
    "identifier": [{"system": "http://sys-ids.kemkes.go.id/condition/106801188", "value": "RJ2501290001-DX1"}],
    "clinicalStatus": {"coding": [{"code": "active"}]},
    "code": {"coding": [{"system": fhir.ICD10, "code": "I10"}]},
    "subject": {"reference": f"Patient/{IHS}"}, "encounter": {"reference": "Encounter/enc-1"},
    "recordedDate": "2025-01-29T08:38:38+08:00",
}
OBSERVATION = {
    "resourceType": "Observation", "id": "obs-1", "meta": {"lastUpdated": "2025-01-29T11:14:14+08:00"},
    "identifier": [{"system": "http://sys-ids.kemkes.go.id/observation/106801188", "value": "RJ2501290001-TD"}],
    "status": "final", "code": {"coding": [{"system": fhir.LOINC, "code": fhir.BP_PANEL}]},
    "subject": {"reference": f"Patient/{IHS}"}, "encounter": {"reference": "Encounter/enc-1"},
    "effectiveDateTime": "2025-01-29T08:16:02+08:00",
    "component": [
        {"code": {"coding": [{"system": fhir.LOINC, "code": fhir.SYSTOLIC}]}, "valueQuantity": {"value": 150}},
        {"code": {"coding": [{"system": fhir.LOINC, "code": fhir.DIASTOLIC}]}, "valueQuantity": {"value": 95}},
    ],
}
ORGANIZATION = {"resourceType": "Organization", "id": "106801188", "meta": {"lastUpdated": "2025-01-30T00:30:00+08:00"},
                "identifier": [{"system": "http://sys-ids.kemkes.go.id/organization/106801188", "value": "P7472010101"}],
                "type": [{"coding": [{"code": "prov"}]}], "name": "Puskesmas Katobengke"}
LOCATION = {"resourceType": "Location", "id": "loc-1", "meta": {"lastUpdated": "2025-01-30T00:30:00+08:00"},
            "identifier": [{"system": "http://sys-ids.kemkes.go.id/location/106801188", "value": "UMUM"}],
            "name": "Poliklinik Umum", "managingOrganization": {"reference": "Organization/106801188"}}
PRACTITIONER = {"resourceType": "Practitioner", "id": "N10391407", "meta": {"lastUpdated": "2025-01-30T00:30:00+08:00"},
                "identifier": [{"system": fhir.NIK_SYSTEM, "value": "7472071012789001"}],
                "name": [{"text": "dr. Safiuddin Ramli"}], "gender": "male"}


def _ctx(**kw) -> fhir.Context:
    return fhir.Context(pseudo=P, day=date(2025, 1, 29), source="puskesmas", **kw)


def _ndjson(tmp: Path, *resources, raw_lines: tuple[str, ...] = ()) -> Path:
    path = tmp / "x.ndjson"
    lines = [json.dumps(r) for r in resources] + list(raw_lines)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _staged(work: Path, kind: str) -> list[dict]:
    return pq.read_table(work / f"{kind}.parquet").to_pylist()


# --- pseudonyms ----------------------------------------------------------------------------------


def test_pseudonym_is_stable_and_keyed():
    assert P("nik", NIK) == P("nik", f" {NIK} ") == Pseudonymiser(KEY)("nik", NIK)
    assert len(P("nik", NIK)) == 32 and NIK not in P("nik", NIK)
    assert Pseudonymiser("x" * 32)("nik", NIK) != P("nik", NIK)  # depends on the key
    assert P("nik", NIK) != P("ihs", NIK)  # kinds are separated
    with pytest.raises(PseudonymKeyMissing):
        Pseudonymiser("")


def test_same_person_same_pseudonym_across_sources(tmp_path):
    """A generated person seen at the RSUD (Bundle), a Puskesmas (NDJSON) and BPJS (CSV) links by NIK."""
    out = tmp_path / "gen"
    files = generate_health(out, start=date(2025, 1, 27), days=6, scale=0.05, defect_rate=0.0, bad_files=False)
    rsud, pkm, bpjs = set(), set(), set()
    for f in files:
        path = out / f.key
        if f.key.startswith("simrs/") and "referensi" not in f.key:
            for item in fhir.iter_bundle(path):
                if item.resource.get("resourceType") == "Patient":
                    rsud.add(fhir._patient(item.resource, _ctx(), item.path, item)["pasien_id"])
        elif f.key.endswith("Patient.ndjson"):
            for item in fhir.iter_ndjson(path):
                pkm.add(fhir._patient(item.resource, _ctx(), item.path, item)["pasien_id"])
        elif f.key.endswith(".csv"):
            import csv
            with path.open(encoding="utf-8") as fh:
                bpjs |= {P("nik", row["NIK"]) for row in csv.DictReader(fh, delimiter=";")}
    assert rsud and pkm and bpjs
    assert rsud & bpjs, "RSUD patients and BPJS claims must link through the NIK pseudonym"
    assert len(rsud & bpjs) >= 0.8 * len(bpjs & (rsud | pkm) or {1})


def test_age_band():
    assert age_band(1978, date(2025, 1, 1)) == "45-49"
    assert age_band(2024, date(2025, 1, 1)) == "0-4"
    assert age_band(1940, date(2025, 1, 1)) == "75+"
    assert age_band(None, date(2025, 1, 1)) is None


# --- per resource type ---------------------------------------------------------------------------


def test_every_type_flattens_without_raw_identifiers(tmp_path):
    path = _ndjson(tmp_path, ORGANIZATION, LOCATION, PRACTITIONER, PATIENT, ENCOUNTER, CONDITION, OBSERVATION)
    work = tmp_path / "w"
    work.mkdir()
    result = fhir.parse_file(path, "ndjson", _ctx(), work)
    assert result.quarantine == [] and result.read == 7
    assert result.rows == {t: 1 for t in fhir.RESOURCE_TYPES}
    patient = _staged(work, "Patient")[0]
    assert patient["pasien_id"] == P("nik", NIK) and patient["ihs_pseudonim"] == P("ihs", IHS)
    assert patient["tahun_lahir"] == "1978" and patient["kelompok_umur"] == "45-49"
    assert patient["kode_kelurahan"] == "74.72.01.1016" and patient["kode_kecamatan"] == "74.72.01"
    encounter = _staged(work, "Encounter")[0]
    assert encounter["pasien_id"] == patient["pasien_id"]
    assert (encounter["kelas"], encounter["penjamin"], encounter["organisasi_id"]) == ("AMB", "BPJS", "106801188")
    assert _staged(work, "Condition")[0]["kode_icd10"] == "I10"
    obs = _staged(work, "Observation")[0]
    assert (obs["sistolik"], obs["diastolik"], obs["kunjungan_id"]) == ("150", "95", "enc-1")
    assert _staged(work, "Practitioner")[0]["nik_pseudonim"] == P("nik", "7472071012789001")
    everything = json.dumps([_staged(work, t) for t in fhir.RESOURCE_TYPES])
    for raw in (NIK, IHS, "88892106", "Wa Rosmiati Haris", "+6285359018531", "Betoambari No", "1978-06-14",
                "7472071012789001", "Safiuddin"):
        assert raw not in everything


def _broken(resource: dict, *path: str, value=None, delete: bool = False) -> dict:
    out = copy.deepcopy(resource)
    node = out
    for p in path[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    last = int(path[-1]) if isinstance(node, list) else path[-1]
    if delete:
        del node[last]
    else:
        node[last] = value
    return out


@pytest.mark.parametrize(("resource", "rule", "where"), [
    (_broken(ENCOUNTER, "subject", delete=True), "wajib_diisi", "subject"),
    (_broken(ENCOUNTER, "period", delete=True), "wajib_diisi", "period.start"),
    (_broken(ENCOUNTER, "subject", value={"reference": "Patient/P99999999999"}), "referensi_pasien", "subject"),
    (_broken(CONDITION, "code", delete=True), "wajib_diisi", "code"),
    (_broken(CONDITION, "code", value={"coding": [{"system": "http://hl7.org/fhir/sid/icd-9-cm", "code": "401.9"}]}),
     "sistem_kode_tidak_dikenal", "code.coding[0].system"),
    (_broken(CONDITION, "subject", value={"reference": "Patient/P99999999999"}), "referensi_pasien", "subject"),
    (_broken(OBSERVATION, "subject", delete=True), "wajib_diisi", "subject"),
    (_broken(PATIENT, "identifier", "1", "value", value=NIK[:-1]), "format_nik", "identifier[1].value"),
])
def test_defects_go_to_quarantine_with_path_and_no_raw_values(tmp_path, resource, rule, where):
    path = _ndjson(tmp_path, PATIENT, resource)
    work = tmp_path / "w"
    work.mkdir()
    result = fhir.parse_file(path, "ndjson", _ctx(), work)
    assert result.read == 2 and sum(result.rows.values()) + len(result.quarantine) == 2
    [bad] = result.quarantine
    assert bad["_aturan"] == rule and bad["_kolom"] == f"baris[2].{where}" and bad["_baris"] == 2
    text = json.dumps(bad)
    assert NIK[:-1] not in text and "P99999999999" not in text and "Rosmiati" not in text


def test_invalid_json_unknown_types_and_truncation(tmp_path):
    unknown = {"resourceType": "Procedure", "id": "x"}
    path = _ndjson(tmp_path, PATIENT, unknown, raw_lines=('{"resourceType":"Patient",,}',))
    work = tmp_path / "w"
    work.mkdir()
    result = fhir.parse_file(path, "ndjson", _ctx(), work)
    assert result.skipped == {"Procedure": 1} and result.read == 2
    assert [q["_aturan"] for q in result.quarantine] == ["json_tidak_valid"]
    assert result.quarantine[0]["_kolom"] == "baris[3]"
    cut = tmp_path / "cut.ndjson"
    cut.write_text(json.dumps(PATIENT) + "\n" + json.dumps(PATIENT)[:40])
    with pytest.raises(FileRejected, match="terpotong"):
        list(fhir.iter_ndjson(cut))


# --- Bundles ------------------------------------------------------------------------------------


def _bundle(tmp: Path, entries: list[dict]) -> Path:
    path = tmp / "b.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}))
    return path


def test_bundle_streams_entries_and_resolves_forward_references(tmp_path, monkeypatch):
    monkeypatch.setattr(fhir, "WINDOW", 256)  # force many window refills mid-entry
    patient = {k: v for k, v in PATIENT.items() if k != "id"}
    enc = _broken(ENCOUNTER, "subject", value={"reference": "urn:uuid:pat-1"})
    orphan = _broken(CONDITION, "subject", value={"reference": "urn:uuid:nobody"})
    path = _bundle(tmp_path, [
        {"fullUrl": "urn:uuid:enc-1", "resource": enc},  # before its patient
        {"fullUrl": "urn:uuid:pat-1", "resource": patient},
        {"fullUrl": "urn:uuid:cond-1", "resource": orphan},
    ])
    work = tmp_path / "w"
    work.mkdir()
    result = fhir.parse_file(path, "bundle", _ctx(), work)
    assert result.rows == {"Patient": 1, "Encounter": 1}
    [bad] = result.quarantine
    assert bad["_aturan"] == "referensi_pasien" and bad["_kolom"] == "entry[2].resource.subject"
    assert _staged(work, "Encounter")[0]["pasien_id"] == P("nik", NIK)


def test_bundle_rejects_html_and_broken_json(tmp_path):
    html = tmp_path / "e.json"
    html.write_text("<html><head><title>504 Gateway Time-out</title></head></html>")
    with pytest.raises(FileRejected, match="HTML"):
        list(fhir.iter_bundle(html))
    broken = tmp_path / "b.json"
    broken.write_text('{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}},{"resou')
    with pytest.raises(FileRejected):
        list(fhir.iter_bundle(broken))


def test_generated_delivery_parses_and_balances(tmp_path):
    """Every generated FHIR file: rows read = bronze + quarantine, planted defects are quarantined."""
    out = tmp_path / "gen"
    files = generate_health(out, start=date(2025, 1, 27), days=4, scale=0.05, defect_rate=0.05)
    ctx_patients: dict[str, str] = {}
    fhir_files = sorted((f for f in files if "/fhir/" in f.key), key=lambda f: fhir._order(f.key))
    quarantined = planted = 0
    for f in fhir_files:
        work = tmp_path / "w" / f.key.replace("/", "_")
        work.mkdir(parents=True)
        container = "bundle" if f.key.endswith(".json") else "ndjson"
        ctx = _ctx(patients=dict(ctx_patients))
        try:
            result = fhir.parse_file(out / f.key, container, ctx, work)
        except FileRejected:
            assert f.kind == "bad_file"
            continue
        ctx_patients.update(ctx.patients)
        assert result.read == sum(result.rows.values()) + len(result.quarantine)
        assert result.read == f.rows
        quarantined += len(result.quarantine)
        planted += f.defect_rows
        for q in result.quarantine:
            assert q["_kolom"] and q["_alasan"]
    assert planted > 0 and quarantined >= planted
    ids = raw_identifiers(out, files)
    assert ids["nik"] and ids["nama"]
