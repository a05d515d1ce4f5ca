"""Synthetic extracts of Kota Baubau's health systems, as they deliver them.

Four sources, all about one fixed resident population (so the same person, with the same NIK,
turns up again across days and sources):

- RSUD SIMRS → SATUSEHAT: one FHIR R4 *transaction* Bundle per service day
  (``simrs/fhir/<delivery date>/rsud-<YYYYMMDD service day>-bundle.json``) with Patient, Encounter,
  Condition and Observation entries posted with ``ifNoneExist`` on the business identifier, and a
  reference Bundle (Organization, Location, Practitioner, ``PUT`` with fixed ids) delivered once;
- the 17 Puskesmas, exported by the Dinkes SATUSEHAT integration in FHIR bulk-export style: one
  NDJSON file per resource type per day (``puskesmas/fhir/<delivery date>/<Type>.ndjson``), and
  Organization/Location/Practitioner once;
- BPJS/JKN claims of the RSUD, one ``;``-separated CSV per service month (``bpjs/klaim/...``);
- the Dinkes monthly recap of Puskesmas visits, one XLSX per month (``dinkes/rekap_kunjungan/...``).

The delivery date of a daily file is the day after the service day. Every (purpose, date) draws
from its own generator seeded from ``seed``, and days are generated and written one at a time, so
the same arguments give byte-identical files in memory bounded by one day (plus a month of
RSUD claims and a few days of pending re-sends). FHIR resources are assembled column-wise as JSON text
with polars string expressions (no per-resource Python), which keeps a million encounters with
their conditions and observations within a few minutes.

Modelling choices the ingest and the marts rely on:

- **Payer.** FHIR has no standard payer element on Encounter (the standard path is
  Encounter.account → Account.coverage → Coverage.payor, which SIMRS bridges do not send). The
  payer is an Encounter extension ``https://fhir.baubaukota.go.id/StructureDefinition/penjamin``
  with ``valueCode`` ``BPJS`` or ``UMUM`` (:data:`PENJAMIN_EXTENSION`).
- **Blood pressure** is one Observation per reading, LOINC 85354-9 (blood pressure panel) with
  the systolic (8480-6) and diastolic (8462-4) values as ``component`` (the FHIR vital-signs
  profile's shape); every other vital sign is one Observation with ``valueQuantity`` (UCUM).
- **References.** In Bundles, Patient/Encounter/Condition/Observation are ``urn:uuid:`` fullUrls
  (stable per person and per resource, so a re-sent group reuses them) and Organization/
  Location/Practitioner are ``<Type>/<id>`` of the reference Bundle. In NDJSON, ``Patient.id``
  is the IHS number and references are ``<Type>/<id>``.
- **Re-sends.** About 2 % of encounters are finished only in a later delivery (first sent
  ``in-progress`` without ``period.end``, re-sent ``finished``) and about 2 % have their primary
  diagnosis corrected later (first sent with a provisional symptom code such as R50.9, re-sent with
  the final ICD-10 code), each 1–4 days later, with the same id and business identifier and a
  newer ``meta.lastUpdated``. In Bundles a re-send is a group (Patient again with ``ifNoneExist``,
  Encounter and corrected Conditions as conditional ``PUT <Type>?identifier=…``); in NDJSON only
  the changed resource re-appears and its references point to resources of earlier deliveries.
- **Defects** (see :data:`DEFECT_KINDS`), each resource independently with chance
  ``defect_rate``: invalid JSON lines (NDJSON only), Encounter without subject or period,
  Condition without code or coded in ICD-9-CM or a local code system, Encounter/Condition subject
  pointing at a Patient that exists in no delivery, Observation without subject, Patient whose NIK
  lost a digit, and duplicated NO_SEP rows in the claims. Re-sent resources carry none.
  ``GeneratedFile.defect_rows`` counts the defective lines, entries or rows of each file.
- **Bad files** (``bad_files``): the Observation.ndjson of the middle day is cut off mid-line
  (upload dropped; it replaces that day's file), and two days after the middle day's Bundle a
  re-delivery of it arrives that is a gateway's HTML error page, not JSON.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from ingest.generate.defects import draw_kinds
from ingest.generate.files import GeneratedFile, write_csv, xlsx_bytes
from ingest.generate.names import FAMILY, FEMALE, MALE, pick
from satudata.settings import get_settings

__all__ = [
    "DEFECT_KINDS",
    "GeneratedFile",
    "PENJAMIN_EXTENSION",
    "generate_health",
    "raw_identifiers",
    "scale_for_encounters",
]

Progress = Callable[[str, int], None]

# --- FHIR systems ------------------------------------------------------------------------------

PROFILE = "https://fhir.kemkes.go.id/r4/StructureDefinition/"
FHIR_BASE = "https://api-satusehat.kemkes.go.id/fhir-r4/v1"  # fullUrl of the reference Bundle's resources
NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
IHS_SYSTEM = "https://fhir.kemkes.go.id/id/ihs-number"
NAKES_SYSTEM = "https://fhir.kemkes.go.id/id/nakes-his-number"
SYS_IDS = "http://sys-ids.kemkes.go.id"
ADMINISTRATIVE_CODE = "https://fhir.kemkes.go.id/r4/StructureDefinition/administrativeCode"
PENJAMIN_EXTENSION = "https://fhir.baubaukota.go.id/StructureDefinition/penjamin"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD9 = "http://hl7.org/fhir/sid/icd-9-cm"
LOCAL_DIAGNOSIS = {  # the local code lists a misconfigured bridge sends instead of ICD-10
    "rsud": "https://simrs.rsud.baubaukota.go.id/CodeSystem/diagnosa",
    "pkm": "https://simpus.dinkes.baubaukota.go.id/CodeSystem/diagnosa",
}
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
MARITAL_STATUS = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"

_TIMESTAMP = "%Y-%m-%dT%H:%M:%S+08:00"  # Kota Baubau is on WITA
_CLASSES = ("AMB", "EMER", "IMP")
_CLASS_DISPLAY = ("ambulatory", "emergency", "inpatient encounter")
AMB, EMER, IMP = 0, 1, 2

# Defect kinds per resource type and container; each drawn uniformly among its container's kinds.
DEFECT_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "ndjson": {
        "Patient": ("json_truncated", "json_trailing_comma", "nik_malformed"),
        "Encounter": ("json_truncated", "json_trailing_comma", "no_subject", "no_period", "orphan_patient"),
        "Condition": ("json_truncated", "json_trailing_comma", "no_code", "icd9", "local_code", "orphan_patient"),
        "Observation": ("json_truncated", "json_trailing_comma", "no_subject"),
    },
    "bundle": {
        "Patient": ("nik_malformed",),
        "Encounter": ("no_subject", "no_period", "orphan_patient"),
        "Condition": ("no_code", "icd9", "local_code", "orphan_patient"),
        "Observation": ("no_subject",),
    },
}
_DAILY_TYPES = ("Patient", "Encounter", "Condition", "Observation")

# --- Wilayah -----------------------------------------------------------------------------------

# Population share and postal code per Kemendagri kecamatan code (the centre is denser).
_KECAMATAN = {
    "01": (0.12, "93724"),  # Betoambari
    "02": (0.24, "93711"),  # Wolio
    "03": (0.05, "93731"),  # Sorawolio
    "04": (0.06, "93733"),  # Bungi
    "05": (0.12, "93716"),  # Kokalukuna
    "06": (0.14, "93727"),  # Murhum
    "07": (0.05, "93737"),  # Lea-Lea
    "08": (0.22, "93712"),  # Batupoaro
}
_STREETS = (
    "Jl. Kartini", "Jl. Sultan Hasanuddin", "Jl. Ahmad Yani", "Jl. Yos Sudarso", "Jl. Betoambari",
    "Jl. Pahlawan", "Jl. Erlangga", "Jl. MH Thamrin", "Jl. Diponegoro", "Jl. Sudirman", "Jl. Gajah Mada",
    "Jl. Murhum", "Jl. Dayanu Ikhsanuddin", "Jl. Teuku Umar", "Jl. Wa Ode Wau", "Jl. Bakti Abri",
    "Jl. Anoa", "Jl. La Ode Manarfa", "Jl. Palagimata", "Jl. Poros Lakologou", "Jl. Laode Saidi",
    "Lr. Mawar", "Lr. Melati", "Lr. Kenari", "Lr. Cendana", "Kompleks BTN Kamali",
)


@dataclass(frozen=True)
class _Wilayah:
    kode: list[str]  # 74.72.KK.1NNN
    nama: list[str]
    kecamatan: np.ndarray  # two-digit code as int
    population: np.ndarray  # share of residents
    kecamatan_nama: dict[str, str]  # two-digit code → name as the seed spells it

    def index(self, kode: str) -> int:
        return self.kode.index(kode)


def _load_wilayah(reference_dir: Path) -> _Wilayah:
    seed = pl.read_csv(reference_dir / "wilayah_kota_baubau.csv", infer_schema=False)
    kel = seed.filter(pl.col("tingkat") == "kelurahan").sort("kode")
    kecamatan = kel["kode"].str.slice(6, 2).to_list()
    per_kecamatan = {k: kecamatan.count(k) for k in set(kecamatan)}
    share = np.array([_KECAMATAN[k][0] / per_kecamatan[k] for k in kecamatan])
    names = seed.filter(pl.col("tingkat") == "kecamatan").select(pl.col("kode").str.slice(6, 2), "nama")
    return _Wilayah(
        kode=kel["kode"].to_list(),
        nama=kel["nama"].str.to_titlecase().to_list(),
        kecamatan=np.array([int(k) for k in kecamatan]),
        population=share / share.sum(),
        kecamatan_nama=dict(names.iter_rows()),
    )


# --- Faskes, units, practitioners --------------------------------------------------------------

_RSUD = ("Rumah Sakit Umum Daerah Kota Baubau", "RSUD Kota Baubau", "74.72.01.1014", "7472015",
         "Jl. La Ode Manarfa No. 1")
_BPJS_KODE_RSUD = "0212R001"  # KC Baubau, rumah sakit, 001
_BPJS_NAMA_RSUD = "RSUD KOTA BAUBAU"
# name, kelurahan where it stands, rural Puskesmas perawatan (UGD and a few beds)
_PUSKESMAS = (
    ("Puskesmas Katobengke", "74.72.01.1007", False),
    ("Puskesmas Betoambari", "74.72.01.1013", False),
    ("Puskesmas Wolio", "74.72.02.1004", False),
    ("Puskesmas Bataraguru", "74.72.02.1003", False),
    ("Puskesmas Bukit Wolio Indah", "74.72.02.1011", False),
    ("Puskesmas Sorawolio", "74.72.03.1001", True),
    ("Puskesmas Bungi", "74.72.04.1001", True),
    ("Puskesmas Kampeonaho", "74.72.04.1003", False),
    ("Puskesmas Liwuto", "74.72.05.1001", False),
    ("Puskesmas Kokalukuna", "74.72.05.1003", False),
    ("Puskesmas Kadolomoko", "74.72.05.1005", False),
    ("Puskesmas Wajo", "74.72.06.1007", False),
    ("Puskesmas Melai", "74.72.06.1009", False),
    ("Puskesmas Lowu-Lowu", "74.72.07.1001", False),
    ("Puskesmas Lea-Lea", "74.72.07.1003", True),
    ("Puskesmas Wameo", "74.72.08.1003", False),
    ("Puskesmas Nganganaumala", "74.72.08.1006", False),
)

# unit code: (Location name, encounter class, physical type, practitioner pool, pool size, title, suffix)
_UNITS = {
    "UMUM": ("Poliklinik Umum", AMB, "ro", "UMUM", 2, "dr.", ""),
    "KIA": ("Poli KIA", AMB, "ro", "KIA", 3, "", ", A.Md.Keb."),
    "GIGI": ("Poli Gigi", AMB, "ro", "GIGI", 1, "drg.", ""),
    "LANSIA": ("Poli Lansia", AMB, "ro", "UMUM", 0, "", ""),
    "UGD": ("UGD", EMER, "ro", "UMUM", 0, "", ""),
    "RANAP": ("Ruang Rawat Inap", IMP, "wa", "UMUM", 0, "", ""),
    "INT": ("Poliklinik Penyakit Dalam", AMB, "ro", "INT", 4, "dr.", ", Sp.PD"),
    "ANA": ("Poliklinik Anak", AMB, "ro", "ANA", 3, "dr.", ", Sp.A"),
    "BED": ("Poliklinik Bedah", AMB, "ro", "BED", 3, "dr.", ", Sp.B"),
    "OBG": ("Poliklinik Obstetri dan Ginekologi", AMB, "ro", "OBG", 3, "dr.", ", Sp.OG"),
    "SAR": ("Poliklinik Saraf", AMB, "ro", "SAR", 2, "dr.", ", Sp.N"),
    "PAR": ("Poliklinik Paru", AMB, "ro", "PAR", 2, "dr.", ", Sp.P"),
    "MAT": ("Poliklinik Mata", AMB, "ro", "MAT", 2, "dr.", ", Sp.M"),
    "GIG": ("Poliklinik Gigi dan Mulut", AMB, "ro", "GIG", 2, "drg.", ""),
    "KLT": ("Poliklinik Kulit dan Kelamin", AMB, "ro", "KLT", 1, "dr.", ", Sp.DVE"),
    "IGD": ("IGD", EMER, "ro", "IGD", 8, "dr.", ""),
    "MAWAR": ("Rawat Inap Mawar", IMP, "wa", "INT", 0, "", ""),
    "MELATI": ("Rawat Inap Melati", IMP, "wa", "ANA", 0, "", ""),
    "ANGGREK": ("Rawat Inap Anggrek", IMP, "wa", "BED", 0, "", ""),
    "TERATAI": ("Rawat Inap Teratai", IMP, "wa", "OBG", 0, "", ""),
}
_UNIT_CODES = tuple(_UNITS)
_RSUD_UNITS = ("INT", "ANA", "BED", "OBG", "SAR", "PAR", "MAT", "GIG", "KLT", "IGD",
               "MAWAR", "MELATI", "ANGGREK", "TERATAI")
_PKM_UNITS = ("UMUM", "KIA", "GIGI", "LANSIA")
_PKM_RURAL_UNITS = ("UGD", "RANAP")
_REKAP_UNITS = ("UMUM", "KIA", "GIGI", "LANSIA", "UGD", "RANAP")
# RSUD's BPJS poli codes (as on the SEP)
_POLI_BPJS = {"INT": "INT", "ANA": "ANA", "BED": "BED", "OBG": "OBG", "SAR": "SAR", "PAR": "PAR", "MAT": "MAT",
              "GIG": "GIG", "KLT": "KLT", "IGD": "IGD"}


@dataclass(frozen=True)
class _Faskes:
    name: str
    short: str  # as people say it ("Puskesmas Wajo", "RSUD Kota Baubau")
    kind: str  # "rsud" | "pkm"
    kode: str  # Kemenkes faskes code
    org_id: str  # SATUSEHAT organization id
    kelurahan: int
    rural: bool
    street: str
    phone: str
    longitude: float
    latitude: float


@dataclass(frozen=True)
class _Unit:
    faskes: int
    code: str
    name: str
    klass: int
    physical: str
    location_id: str
    pool: np.ndarray  # practitioner indices who attend here


@dataclass(frozen=True)
class _Practitioners:
    id: list[str]
    nik: list[str]
    name: list[str]
    female: np.ndarray
    birth: np.ndarray  # datetime64[D]
    faskes: np.ndarray


# --- Diagnoses ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dx:
    """One ICD-10 diagnosis: how often each setting sees it, for whom, when, and what it costs."""

    code: str
    display: str
    icd9: str  # the ICD-9-CM code a legacy bridge sends instead (a planted defect)
    lokal: str  # the local code a misconfigured bridge sends instead (a planted defect)
    weights: tuple[float, float, float, float, float]  # Puskesmas AMB, RSUD AMB, EMER, RSUD IMP, Puskesmas IMP
    child: float = 1.0  # weight multiplier under 15
    elder: float = 1.0  # weight multiplier from 60
    ages: tuple[int, int] = (0, 120)
    female: bool = False  # women only
    season: str = ""  # "", "rainy" or "dengue"
    fever: bool = False
    respiratory: bool = False
    spec: str = "INT"  # RSUD poli
    group: str = "umum"  # Puskesmas: umum, kia, gigi
    cbg_rj: str = "Q-5-42-0"  # INA-CBG outpatient group
    cbg_ri: str = ""  # INA-CBG inpatient group (severity I; II/III derived)
    los: float = 3.0  # mean length of stay
    provisional: str = "R69"  # the symptom code sent before the diagnosis was settled


_DIAGNOSES = (
    _Dx("J06.9", "Acute upper respiratory infection, unspecified", "465.9", "ISPA", (22, 4, 3, 0, 0), 2.0,
        season="rainy", fever=True, respiratory=True, provisional="R05"),
    _Dx("A09", "Diarrhoea and gastroenteritis of presumed infectious origin", "009.1", "DIARE", (7, 2, 8, 6, 6), 2.0,
        1.2, season="rainy", cbg_ri="K-4-17-I", los=3, provisional="R10.4"),
    _Dx("I10", "Essential (primary) hypertension", "401.9", "HT", (8, 12, 3, 2, 1), 0.0, 1.5, ages=(25, 120),
        cbg_rj="Q-5-44-0", cbg_ri="I-4-17-I", los=4),
    _Dx("E11.9", "Type 2 diabetes mellitus without complications", "250.00", "DM", (3, 8, 1, 2, 0), 0.0, 1.3,
        ages=(30, 120), cbg_rj="Q-5-44-0", cbg_ri="E-4-10-I", los=5),
    _Dx("E78.5", "Hyperlipidaemia, unspecified", "272.4", "DISLIPIDEMIA", (1.5, 3, 0, 0, 0), 0.0, 1.2,
        ages=(30, 120), cbg_rj="Q-5-44-0"),
    _Dx("K29.7", "Gastritis, unspecified", "535.50", "GASTRITIS", (7, 4, 4, 1, 1), 0.3, ages=(10, 120),
        cbg_ri="K-4-17-I", los=3, provisional="R10.4"),
    _Dx("M79.1", "Myalgia", "729.1", "MIALGIA", (8, 1, 0, 0, 0), 0.2, 1.5, ages=(15, 120), spec="SAR"),
    _Dx("L30.9", "Dermatitis, unspecified", "692.9", "DERMATITIS", (5, 2, 0, 0, 0), 1.2, spec="KLT"),
    _Dx("B86", "Scabies", "133.0", "SKABIES", (1.5, 0.5, 0, 0, 0), 2.0, 0.5, spec="KLT"),
    _Dx("R50.9", "Fever, unspecified", "780.60", "DEMAM", (4, 1, 6, 0, 0), 1.8, fever=True),
    _Dx("A90", "Dengue fever [classical dengue]", "061", "DD", (0.8, 0.6, 4, 5, 3), 1.5, 0.6, season="dengue",
        fever=True, cbg_ri="A-4-14-I", los=4, provisional="R50.9"),
    _Dx("A91", "Dengue haemorrhagic fever", "065.4", "DBD", (0.2, 0.3, 2, 5, 1), 1.5, 0.6, season="dengue",
        fever=True, cbg_ri="A-4-14-I", los=5, provisional="R50.9"),
    _Dx("A01.0", "Typhoid fever", "002.0", "TIFOID", (1.5, 1, 1.5, 3, 2), 1.0, 0.8, ages=(3, 120), fever=True,
        cbg_ri="A-4-12-I", los=5, provisional="R50.9"),
    _Dx("A15.0", "Tuberculosis of lung, confirmed by sputum microscopy with or without culture", "011.90", "TB",
        (0.6, 2, 0, 1, 0), 0.2, 1.5, ages=(10, 120), respiratory=True, spec="PAR", cbg_rj="Q-5-44-0",
        cbg_ri="A-4-13-I", los=6, provisional="R05"),
    _Dx("J18.9", "Pneumonia, unspecified", "486", "PNEUMONIA", (1, 1.5, 3, 6, 2), 2.5, 2.5, season="rainy",
        fever=True, respiratory=True, spec="PAR", cbg_ri="J-4-16-I", los=5, provisional="J06.9"),
    _Dx("J45.9", "Asthma, unspecified", "493.90", "ASMA", (1.5, 1.5, 3, 1, 0), 1.2, respiratory=True, spec="PAR",
        cbg_rj="Q-5-44-0", cbg_ri="J-4-19-I", los=3, provisional="R05"),
    _Dx("J44.9", "Chronic obstructive pulmonary disease, unspecified", "496", "PPOK", (0.3, 1.5, 1, 1.5, 0), 0.0,
        2.0, ages=(40, 120), respiratory=True, spec="PAR", cbg_rj="Q-5-44-0", cbg_ri="J-4-12-I", los=5,
        provisional="R05"),
    _Dx("H10.9", "Conjunctivitis, unspecified", "372.30", "KONJUNGTIVITIS", (1.5, 1, 0, 0, 0), 1.5, spec="MAT"),
    _Dx("H25.9", "Senile cataract, unspecified", "366.10", "KATARAK", (0, 2, 0, 0, 0), 0.0, 2.0, ages=(45, 120),
        spec="MAT", cbg_rj="Q-5-44-0"),
    _Dx("R51", "Headache", "784.0", "SEFALGIA", (3, 1, 1, 0, 0), 0.5, spec="SAR"),
    _Dx("M54.5", "Low back pain", "724.2", "LBP", (2, 1.5, 0, 0, 0), 0.0, 1.2, ages=(18, 120), spec="SAR"),
    _Dx("M17.9", "Gonarthrosis, unspecified", "715.96", "OA GENU", (0.5, 2, 0, 0, 0), 0.0, 2.0, ages=(40, 120),
        spec="BED", cbg_rj="Q-5-44-0"),
    _Dx("I63.9", "Cerebral infarction, unspecified", "434.91", "STROKE", (0, 1, 1, 3, 0), 0.0, 3.0, ages=(40, 120),
        spec="SAR", cbg_rj="Q-5-44-0", cbg_ri="G-4-14-I", los=7),
    _Dx("I50.9", "Heart failure, unspecified", "428.0", "CHF", (0, 1.5, 1, 2, 0), 0.0, 3.0, ages=(40, 120),
        cbg_rj="Q-5-44-0", cbg_ri="I-4-12-I", los=6),
    _Dx("N39.0", "Urinary tract infection, site not specified", "599.0", "ISK", (1, 1, 1, 1.5, 0.5), 0.8, 1.2,
        fever=True, cbg_ri="N-4-11-I", los=3, provisional="R50.9"),
    _Dx("T14.1", "Open wound of unspecified body region", "879.8", "VULNUS", (2, 0.5, 10, 0, 0), 1.0, 0.7,
        spec="BED"),
    _Dx("S06.0", "Concussion", "850.9", "CKR", (0, 0, 2, 1.5, 0), 1.0, 0.8, spec="SAR", cbg_ri="S-4-13-I", los=3),
    _Dx("K35.8", "Acute appendicitis, other and unspecified", "540.9", "APENDISITIS", (0, 0.3, 2, 2, 0), 0.8, 0.5,
        ages=(5, 120), spec="BED", cbg_ri="K-1-12-I", los=4, provisional="R10.4"),
    _Dx("R10.4", "Other and unspecified abdominal pain", "789.00", "NYERI PERUT", (1, 0.5, 5, 0, 0)),
    _Dx("R05", "Cough", "786.2", "BATUK", (2, 0.3, 0.5, 0, 0), 1.5, respiratory=True, spec="PAR"),
    _Dx("R69", "Illness, unspecified", "799.9", "SAKIT", (0, 0, 0, 0, 0)),
    _Dx("K02.1", "Caries of dentine", "521.0", "KARIES", (5, 1, 0, 0, 0), ages=(2, 120), spec="GIG", group="gigi",
        cbg_rj="U-3-15-0"),
    _Dx("K04.0", "Pulpitis", "522.0", "PULPITIS", (3, 1, 0, 0, 0), ages=(4, 120), spec="GIG", group="gigi",
        cbg_rj="U-3-15-0"),
    _Dx("K05.1", "Chronic gingivitis", "523.1", "GINGIVITIS", (2, 0.5, 0, 0, 0), ages=(6, 120), spec="GIG",
        group="gigi", cbg_rj="U-3-15-0"),
    _Dx("Z34.9", "Supervision of normal pregnancy, unspecified", "V22.2", "ANC", (7, 2, 0, 0, 0), ages=(16, 44),
        female=True, spec="OBG", group="kia", cbg_rj="Q-5-18-0"),
    _Dx("Z30.0", "General counselling and advice on contraception", "V25.09", "KB", (3, 0, 0, 0, 0),
        ages=(16, 49), female=True, spec="OBG", group="kia"),
    _Dx("Z00.1", "Routine child health examination", "V20.2", "MTBS", (3, 0, 0, 0, 0), ages=(0, 4)),
    _Dx("O80", "Single spontaneous delivery", "650", "PARTUS", (0, 0, 0, 12, 10), ages=(17, 44), female=True,
        spec="OBG", cbg_ri="O-6-10-I", los=2.5),
)
_DX_CODE = [dx.code for dx in _DIAGNOSES]
_DX_INDEX = {code: number for number, code in enumerate(_DX_CODE)}
_DX_WEIGHTS = np.array([dx.weights for dx in _DIAGNOSES], dtype=float).T  # setting × dx
_SETTING_PKM_AMB, _SETTING_RS_AMB, _SETTING_EMER, _SETTING_RS_IMP, _SETTING_PKM_IMP = range(5)
_SEASONS = {  # factor per month, January first; the rainy season runs December to April
    "": np.ones(12),
    "rainy": np.array([1.3, 1.3, 1.25, 1.15, 1.0, 0.9, 0.85, 0.8, 0.8, 0.85, 1.0, 1.2]),
    "dengue": np.array([3.0, 3.0, 2.5, 2.0, 1.2, 0.7, 0.5, 0.4, 0.4, 0.5, 0.8, 1.8]),
}
_DX_SEASON = np.array([_SEASONS[dx.season] for dx in _DIAGNOSES]).T  # month × dx
_DX_FEVER = np.array([dx.fever for dx in _DIAGNOSES])
_DX_CHILD = np.array([dx.child for dx in _DIAGNOSES])
_DX_ELDER = np.array([dx.elder for dx in _DIAGNOSES])
_DX_AGES = np.array([dx.ages for dx in _DIAGNOSES]).T
_DX_FEMALE = np.array([dx.female for dx in _DIAGNOSES])
_DX_RESPIRATORY = np.array([dx.respiratory for dx in _DIAGNOSES])
_DX_PROVISIONAL = np.array([_DX_INDEX[dx.provisional if dx.code != dx.provisional else "R69"] for dx in _DIAGNOSES])
_I10, _E11, _R50 = _DX_INDEX["I10"], _DX_INDEX["E11.9"], _DX_INDEX["R50.9"]
_DX_PROVISIONAL[_R50] = _DX_INDEX["R69"]

# INA-CBG groups (plausible codes and tariffs for a type C hospital, not the official grouper)
_INACBG = {
    "Q-5-42-0": ("PENYAKIT AKUT KECIL LAIN-LAIN", 183_200),
    "Q-5-44-0": ("PENYAKIT KRONIS KECIL LAIN-LAIN", 220_600),
    "Q-5-18-0": ("PEMERIKSAAN KEHAMILAN DAN KONSULTASI LAIN-LAIN", 168_900),
    "U-3-15-0": ("PROSEDUR GIGI DAN MULUT", 241_300),
    "K-4-17-I": ("NYERI ABDOMEN & GASTROENTERITIS LAIN-LAIN RINGAN", 2_436_600),
    "I-4-17-I": ("HIPERTENSI RINGAN", 2_581_900),
    "E-4-10-I": ("DIABETES DAN GANGGUAN ENDOKRIN LAIN RINGAN", 3_143_500),
    "A-4-14-I": ("INFEKSI NON BAKTERI LAIN-LAIN RINGAN", 2_894_300),
    "A-4-12-I": ("DEMAM TIFOID DAN PARATIFOID RINGAN", 2_663_700),
    "A-4-13-I": ("TUBERKULOSIS RINGAN", 3_574_400),
    "J-4-16-I": ("SIMPLE PNEUMONIA & WHOOPING COUGH RINGAN", 3_237_800),
    "J-4-19-I": ("ASMA RINGAN", 2_308_100),
    "J-4-12-I": ("PENYAKIT PARU OBSTRUKTIF KRONIS RINGAN", 3_390_200),
    "G-4-14-I": ("INFARK SEREBRAL RINGAN", 4_612_500),
    "I-4-12-I": ("GAGAL JANTUNG RINGAN", 4_127_900),
    "N-4-11-I": ("INFEKSI SALURAN KEMIH RINGAN", 2_552_000),
    "S-4-13-I": ("CEDERA KEPALA RINGAN", 2_970_400),
    "K-1-12-I": ("PROSEDUR APENDIKS RINGAN", 6_892_600),
    "O-6-10-I": ("PERSALINAN VAGINAL RINGAN", 2_864_200),
}
_SEVERITY = ("I", "II", "III")
_SEVERITY_SHARE = (0.72, 0.21, 0.07)
_SEVERITY_FACTOR = (1.0, 1.45, 2.1)
_SEVERITY_DESCRIPTION = ("RINGAN", "SEDANG", "BERAT")
_KELAS_SHARE = (0.18, 0.27, 0.55)  # kelas rawat 1, 2, 3
_KELAS_FACTOR = (1.4, 1.2, 1.0)
_STATUS_KLAIM = ("LAYAK", "PENDING", "DISPUTE", "TIDAK LAYAK")
_STATUS_SHARE = (0.90, 0.05, 0.03, 0.02)

# --- Vital signs -------------------------------------------------------------------------------

# key: LOINC code, display, unit, UCUM code, identifier suffix; probability measured per setting
# (Puskesmas AMB, RSUD AMB, EMER, IMP); BP and BMI only from 18.
_VITALS = (
    ("BP", "85354-9", "Blood pressure panel with all children optional", "mmHg", "mm[Hg]", "TD",
     (0.85, 0.85, 0.95, 1.0)),
    ("HR", "8867-4", "Heart rate", "beats/minute", "/min", "N", (0.9, 0.9, 1.0, 1.0)),
    ("TEMP", "8310-5", "Body temperature", "C", "Cel", "S", (0.9, 0.8, 1.0, 1.0)),
    ("RR", "9279-1", "Respiratory rate", "breaths/minute", "/min", "RR", (0.7, 0.7, 0.95, 1.0)),
    ("SPO2", "2708-6", "Oxygen saturation in Arterial blood", "%", "%", "SPO2", (0.25, 0.5, 0.9, 1.0)),
    ("BMI", "39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", "kg/m2", "IMT", (0.35, 0.3, 0.0, 0.2)),
)
_GIGI_VITALS = {"BP": 0.3, "HR": 0.5, "TEMP": 0.5}
_DECIMAL_VITALS = ("TEMP", "BMI")  # one decimal; the others are whole numbers
_P_UNCONTROLLED = 0.6  # readings of known hypertensives that are still ≥ 140/90
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")

# --- Volumes (scale 1.0) -----------------------------------------------------------------------

_POPULATION = 170_000
_AGE_EDGES = np.array([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 90])
_AGE_SHARES = np.array([9.5, 9.3, 9.0, 9.0, 8.6, 8.0, 7.6, 7.2, 6.6, 6.0, 5.1, 4.4, 3.5, 2.5, 1.7, 1.9])
_JKN_MEMBERS = 0.88  # residents with an active JKN card
_PKM_AMB_PER_DAY = 635.0  # acute outpatient visits on an average weekday, all Puskesmas together
_RS_AMB_PER_DAY = 247.0
_RS_EMER_PER_DAY = 24.0
_PKM_EMER_PER_DAY = 1.4  # per rural Puskesmas
_RS_IMP_PER_DAY = 13.7  # admissions
_PKM_IMP_PER_DAY = 0.45  # admissions per rural Puskesmas
_CHRONIC = 3_500  # hypertension/diabetes patients in monthly control (Prolanis/PRB)
_CHRONIC_AT_RSUD = 0.15
_CHRONIC_ATTENDANCE = 0.85
_CHRONIC_SLOTS = 20  # every 4 weeks on the same weekday (Mon–Fri)
_OUTSIDE_CATCHMENT = 0.1  # Puskesmas visits by people from another catchment
_WEEKDAY_AMB = {"pkm": (1.15, 1.05, 1.0, 1.0, 0.85, 0.55, 0.0), "rsud": (1.15, 1.05, 1.0, 1.0, 0.85, 0.4, 0.0)}
_WEEKDAY_EMER = (1.0, 0.95, 0.95, 0.95, 1.0, 1.1, 1.15)
_WEEKDAY_IMP = (1.05, 1.05, 1.0, 1.0, 1.0, 0.95, 0.9)
_MAX_STAY = 14
_RESEND_SHARE = 0.02  # of encounters, each kind (status finished later, diagnosis corrected later)
_RESEND_DELAY = (1, 4)  # days after the original delivery
_BPJS_USE = {"pkm": 0.92, "rsud": 0.96}  # JKN members who use their card


def _volume_factor(month: int) -> float:
    """More acute visits in the rainy season (ISPA, diarrhoea, dengue)."""
    return float(1 + 0.35 * (_SEASONS["rainy"][month - 1] - 1))


# --- One generation run ------------------------------------------------------------------------


@dataclass
class _Run:
    out_dir: Path
    seed: int
    defect_rate: float
    progress: Progress | None

    def rng(self, *labels: str | int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *(zlib.crc32(str(label).encode()) for label in labels)])

    def save(self, key: str, data: bytes) -> None:
        path = self.out_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def report(self, label: str, rows: int) -> None:
        if self.progress is not None:
            self.progress(label, rows)


def _uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random version-4 UUIDs, vectorised."""
    digits = rng.integers(0, 16, (n, 32), dtype=np.uint8)
    digits[:, 12] = 4
    digits[:, 16] = 8 + digits[:, 16] % 4
    hexed = np.frombuffer(b"0123456789abcdef", dtype="S1")[digits]
    dashed = np.full((n, 36), b"-", dtype="S1")
    for target, source in ((slice(0, 8), slice(0, 8)), (slice(9, 13), slice(8, 12)), (slice(14, 18), slice(12, 16)),
                           (slice(19, 23), slice(16, 20)), (slice(24, 36), slice(20, 32))):
        dashed[:, target] = hexed[:, source]
    return pl.Series(dashed.view("S36").ravel().astype("U36"), dtype=pl.String)


def _permuted(index: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    """``index`` mapped by a bijection of ``[0, modulus)``: distinct indices give distinct numbers.

    The multiplier is coprime to 10 (hence to ``modulus``, a power of ten) and below
    ``modulus / 7``, so the int64 product cannot overflow for fewer than 10**7 indices.
    """
    multiplier = (modulus // 7 - 2 * salt * 1_003) | 1
    while multiplier % 5 == 0:
        multiplier -= 2
    return (index.astype(np.int64) * multiplier + salt * 7_919) % modulus


def _digits(values: np.ndarray, width: int) -> pl.Series:
    return pl.Series(values.astype(np.int64)).cast(pl.String).str.zfill(width)


def _timestamps(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype("datetime64[ms]")).dt.strftime(_TIMESTAMP)


# --- The world: faskes, practitioners, residents -----------------------------------------------


@dataclass(frozen=True)
class _Population:
    n: int
    female: np.ndarray
    birth: np.ndarray  # datetime64[D]
    kelurahan: np.ndarray
    home: np.ndarray  # faskes index of the home Puskesmas
    member: np.ndarray  # active JKN member
    hypertensive: np.ndarray
    diabetic: np.ndarray
    chronic_faskes: np.ndarray  # -1 or the faskes of monthly control
    chronic_slot: np.ndarray  # -1 or 0..19
    nik: pl.Series
    ihs: pl.Series
    uuid: pl.Series  # fullUrl of the Patient in SIMRS bundles
    name: pl.Series
    phone: pl.Series  # null when none
    line: pl.Series
    rt: pl.Series
    rw: pl.Series
    marital: pl.Series
    kartu: pl.Series  # JKN card number (null for non-members)

    def age(self, day: np.datetime64, person: np.ndarray) -> np.ndarray:
        return ((day - self.birth[person]).astype(int) / 365.25).astype(int)


@dataclass(frozen=True)
class _Sampler:
    """Draws people from a group in proportion to weights."""

    members: np.ndarray
    cdf: np.ndarray

    @classmethod
    def of(cls, members: np.ndarray, weights: np.ndarray) -> _Sampler:
        return cls(members, np.cumsum(weights[members]))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if n == 0 or len(self.members) == 0:
            return np.zeros(0, dtype=np.int64)
        position = np.searchsorted(self.cdf, rng.random(n) * self.cdf[-1], side="right")
        return self.members[np.minimum(position, len(self.members) - 1)]


@dataclass(frozen=True)
class _World:
    wilayah: _Wilayah
    faskes: list[_Faskes]
    units: list[_Unit]
    unit_of: np.ndarray  # faskes × unit code → unit index or -1
    practitioners: _Practitioners
    people: _Population
    samplers: dict[tuple[str, int], _Sampler]  # (setting, faskes or -1 for the whole city)
    chronic: list[np.ndarray]  # per slot, the people in monthly control
    pkm_share: np.ndarray  # per faskes, its share of all Puskesmas outpatient visits
    is_rsud: np.ndarray  # per faskes
    pool_flat: np.ndarray  # practitioners of every unit's pool, concatenated
    pool_start: np.ndarray  # per unit
    pool_size: np.ndarray  # per unit

    @property
    def rsud(self) -> int:
        return 0

    def unit(self, faskes: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return self.unit_of[faskes, codes]


def _world(run: _Run, scale: float, reference: date) -> _World:
    wilayah = _load_wilayah(get_settings().reference_dir)
    faskes = _faskes(run, wilayah)
    practitioners, pools = _practitioners(run, faskes)
    units = []
    unit_of = np.full((len(faskes), len(_UNIT_CODES)), -1)
    location_ids = _uuids(run.rng("location"), len(faskes) * len(_UNIT_CODES)).to_list()
    for number, f in enumerate(faskes):
        codes = _RSUD_UNITS if f.kind == "rsud" else _PKM_UNITS + (_PKM_RURAL_UNITS if f.rural else ())
        for code in codes:
            name, klass, physical, pool, _, _, _ = _UNITS[code]
            unit_of[number, _UNIT_CODES.index(code)] = len(units)
            units.append(_Unit(number, code, name, klass, physical,
                               location_ids[number * len(_UNIT_CODES) + _UNIT_CODES.index(code)],
                               pools[(number, pool)]))
    people = _population(run, wilayah, faskes, max(200, round(_POPULATION * scale)), reference)
    samplers = _samplers(people, faskes, reference)
    chronic = _chronic(run, people, faskes, max(1, round(_CHRONIC * scale)), reference)
    city = float(samplers[("pkm", -1)].cdf[-1])
    pkm_share = np.array([float(samplers[("pkm", number)].cdf[-1]) / city
                          if f.kind == "pkm" and len(samplers[("pkm", number)].cdf) else 0.0
                          for number, f in enumerate(faskes)])
    sizes = np.array([len(u.pool) for u in units])
    return _World(
        wilayah, faskes, units, unit_of, practitioners, people, samplers, chronic, pkm_share,
        is_rsud=np.array([f.kind == "rsud" for f in faskes]),
        pool_flat=np.concatenate([u.pool for u in units]).astype(np.int64),
        pool_start=np.concatenate([[0], np.cumsum(sizes)[:-1]]),
        pool_size=sizes,
    )


def _faskes(run: _Run, wilayah: _Wilayah) -> list[_Faskes]:
    rng = run.rng("faskes")
    n = 1 + len(_PUSKESMAS)
    org_ids = rng.choice(np.arange(100_000_000, 110_000_000), n, replace=False)
    phones = rng.integers(21_000, 29_999, n)
    numbers = rng.integers(1, 120, n)
    streets = rng.integers(0, len(_STREETS) - 5, n)
    position = rng.normal(0, 0.02, (n, 2))
    order_in_kecamatan: dict[int, int] = defaultdict(int)
    name, short, kelurahan, kode, street = _RSUD
    result = [_Faskes(name, short, "rsud", kode, str(org_ids[0]), wilayah.index(kelurahan), False, street,
                      f"+62402{phones[0]}", round(122.61 + position[0, 0], 6), round(-5.47 + position[0, 1], 6))]
    for number, (name, kelurahan, rural) in enumerate(_PUSKESMAS, start=1):
        where = wilayah.index(kelurahan)
        kecamatan = int(wilayah.kecamatan[where])
        order_in_kecamatan[kecamatan] += 1
        result.append(_Faskes(
            name, name, "pkm", f"P7472{kecamatan:02d}0{order_in_kecamatan[kecamatan]}01", str(org_ids[number]), where,
            rural, f"{_STREETS[streets[number]]} No. {numbers[number]}", f"+62402{phones[number]}",
            round(122.61 + 0.03 * (kecamatan - 4) + position[number, 0], 6),
            round(-5.47 + 0.02 * (kecamatan % 3 - 1) + position[number, 1], 6),
        ))
    return result


def _names(rng: np.random.Generator, female: np.ndarray) -> pl.Series:
    """Names agreeing with the person's sex: "La Ode Hamid Sabri", "Wa Nurlina", "Siti Rahma Malik".

    :func:`ingest.generate.names.person_names` draws the sex itself, so the generator composes
    from the same word lists here to keep name, gender and NIK consistent.
    """
    n = len(female)
    prefix = rng.choice(3, n, p=(0.15, 0.25, 0.60)) + np.where(female, 3, 0)
    given = np.where(female, len(MALE) + rng.integers(0, len(FEMALE), n), rng.integers(0, len(MALE), n))
    family = pick(FAMILY, rng.integers(0, len(FAMILY), n))
    has_family = pl.Series(rng.random(n) < 0.55)
    parts = pl.DataFrame({"prefix": pick(("La Ode ", "La ", "", "Wa Ode ", "Wa ", ""), prefix),
                          "given": pick(MALE + FEMALE, given), "family": family})
    return parts.select(pl.concat_str(
        "prefix", "given", pl.when(has_family).then(pl.lit(" ") + pl.col("family")).otherwise(pl.lit(""))
    )).to_series()


def _niks(kecamatan: np.ndarray, birth: np.ndarray, female: np.ndarray, serial: np.ndarray) -> pl.Series:
    """NIK: 74 72 KK DDMMYY SSSS, the day + 40 for women."""
    days = birth.astype("datetime64[D]")
    month_start = days.astype("datetime64[M]")
    day = (days - month_start.astype("datetime64[D]")).astype(int) + 1 + np.where(female, 40, 0)
    month = month_start.astype(int) % 12 + 1
    year = (month_start.astype(int) // 12 + 1970) % 100
    frame = pl.DataFrame({"kec": _digits(kecamatan, 2), "d": _digits(day, 2), "m": _digits(month, 2),
                          "y": _digits(year, 2), "s": _digits(serial, 4)})
    return frame.select(pl.concat_str(pl.lit("7472"), "kec", "d", "m", "y", "s")).to_series()


def _serials(kecamatan: np.ndarray, birth: np.ndarray, female: np.ndarray, first: int = 1) -> np.ndarray:
    """Serial numbers unique within (kecamatan, birth date, sex), as Dukcapil numbers them."""
    key = (kecamatan.astype(np.int64) * 100_000 + birth.astype("datetime64[D]").astype(np.int64) + 30_000) * 2 + female
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.searchsorted(sorted_key, sorted_key, side="left")
    serial = np.empty(len(key), dtype=np.int64)
    serial[order] = np.arange(len(key)) - starts + first
    return serial


def _practitioners(run: _Run, faskes: list[_Faskes]) -> tuple[_Practitioners, dict[tuple[int, str], np.ndarray]]:
    rng = run.rng("practitioner")
    rows: list[tuple[int, str]] = []
    for number, f in enumerate(faskes):
        codes = _RSUD_UNITS if f.kind == "rsud" else _PKM_UNITS
        rows += [(number, code) for code in codes for _ in range(_UNITS[code][4])]
    n = len(rows)
    female = rng.random(n) < 0.55
    female[[i for i, (_, code) in enumerate(rows) if code == "KIA"]] = True  # bidan
    birth = np.datetime64("1965-01-01") + rng.integers(0, 30 * 365, n)
    kecamatan = rng.integers(1, 9, n)
    nik = _niks(kecamatan, birth, female, _serials(kecamatan, birth, female, first=9001))
    names = _names(rng, female).to_list()
    ids = [f"N{number}" for number in rng.choice(np.arange(10_000_000, 10_999_999), n, replace=False)]
    full = [f"{_UNITS[code][5]} {name}{_UNITS[code][6]}".strip() for name, (_, code) in zip(names, rows, strict=True)]
    pools: dict[tuple[int, str], np.ndarray] = defaultdict(lambda: np.zeros(0, dtype=np.int64))
    for index, (number, code) in enumerate(rows):
        pools[(number, code)] = np.append(pools[(number, code)], index)
    return _Practitioners(ids, nik.to_list(), full, female, birth, np.array([r[0] for r in rows])), dict(pools)


def _population(run: _Run, wilayah: _Wilayah, faskes: list[_Faskes], n: int, reference: date) -> _Population:
    rng = run.rng("population")
    band = rng.choice(len(_AGE_SHARES), n, p=_AGE_SHARES / _AGE_SHARES.sum())
    age_days = (_AGE_EDGES[band] * 365.25 + rng.random(n) * (_AGE_EDGES[band + 1] - _AGE_EDGES[band]) * 365.25)
    birth = np.datetime64(reference, "D") - age_days.astype(np.int64) - 1
    age = age_days / 365.25
    female = rng.random(n) < 0.5
    kelurahan = rng.choice(len(wilayah.kode), n, p=wilayah.population)
    kecamatan = wilayah.kecamatan[kelurahan]
    # a resident's home Puskesmas: the one in their kelurahan, else one of their kecamatan's
    home_of = np.empty(len(wilayah.kode), dtype=np.int64)
    for where in range(len(wilayah.kode)):
        local = [i for i, f in enumerate(faskes) if f.kind == "pkm" and f.kelurahan == where]
        same = [i for i, f in enumerate(faskes)
                if f.kind == "pkm" and wilayah.kecamatan[f.kelurahan] == wilayah.kecamatan[where]]
        home_of[where] = local[0] if local else same[where % len(same)]
    prevalence = np.interp(age, [18, 39, 40, 50, 60, 70], [0.03, 0.05, 0.14, 0.22, 0.30, 0.36])
    hypertensive = rng.random(n) < np.where(age >= 18, prevalence, 0)
    diabetic = rng.random(n) < np.where(age >= 30, np.interp(age, [30, 45, 60, 70], [0.02, 0.06, 0.11, 0.13]), 0)
    member = rng.random(n) < _JKN_MEMBERS
    index = np.arange(n)
    nik = _niks(kecamatan, birth, female, _serials(kecamatan, birth, female))
    has_phone = pl.Series(rng.random(n) < np.where(age >= 15, 0.9, 0.75))  # children carry a parent's number
    operator = pick(("11", "12", "13", "21", "22", "23", "52", "53", "77", "78", "81", "82", "95", "96"),
                    rng.integers(0, 14, n))
    phone = pl.DataFrame({"op": operator, "rest": _digits(rng.integers(0, 10**8, n), 8), "has": has_phone}).select(
        pl.when("has").then(pl.concat_str(pl.lit("+628"), "op", "rest"))).to_series()
    street = pick(_STREETS, rng.integers(0, len(_STREETS), n))
    line = pl.DataFrame({"s": street, "no": rng.integers(1, 200, n)}).select(
        pl.concat_str("s", pl.lit(" No. "), pl.col("no").cast(pl.String))).to_series()
    married = pick(("M", "S", "W", "D"), rng.choice(4, n, p=(0.72, 0.18, 0.07, 0.03))).to_numpy()
    marital = np.where(age < 18, "S", married)
    return _Population(
        n=n,
        female=female,
        birth=birth,
        kelurahan=kelurahan,
        home=home_of[kelurahan],
        member=member,
        hypertensive=hypertensive,
        diabetic=diabetic,
        chronic_faskes=np.full(n, -1),
        chronic_slot=np.full(n, -1),
        nik=nik,
        ihs="P" + _digits(_permuted(index, 10**11, 17), 11),
        uuid=_uuids(rng, n),
        name=_names(rng, female),
        phone=phone,
        line=line,
        rt=_digits(rng.integers(1, 16, n), 3),
        rw=_digits(rng.integers(1, 7, n), 3),
        marital=pl.Series(marital, dtype=pl.String),
        kartu=pl.select(pl.when(pl.Series(member)).then("000" + _digits(_permuted(index, 10**10, 29), 10))).to_series(),
    )


def _propensities(people: _Population, reference: date) -> dict[str, np.ndarray]:
    """How likely each resident is to be the next visitor of each kind of service."""
    age = people.age(np.datetime64(reference, "D"), np.arange(people.n))
    female = people.female
    bands = [age < 5, age < 15, age < 45, age < 60]
    fertile = female & (age >= 17) & (age <= 42)
    return {
        "pkm": np.select(bands, [2.2, 0.9, 0.8, 1.3], 2.0) * np.where(female & (age >= 15) & (age < 45), 1.4, 1.0),
        "rsud": np.select(bands, [0.8, 0.5, 0.7, 1.6], 2.8) * np.where(people.hypertensive | people.diabetic, 1.5, 1.0),
        "emer": np.select(bands, [1.3, 0.8, 1.0, 1.1], 1.8),
        "imp": np.select(bands, [1.5, 0.6, 0.8, 1.3], 2.5) * np.where(fertile, 3.0, 1.0),
    }


def _samplers(people: _Population, faskes: list[_Faskes], reference: date) -> dict[tuple[str, int], _Sampler]:
    weights = _propensities(people, reference)
    everyone = np.arange(people.n)
    samplers = {(setting, -1): _Sampler.of(everyone, w) for setting, w in weights.items()}
    for number, f in enumerate(faskes):
        if f.kind == "pkm":
            members = np.flatnonzero(people.home == number)
            for setting in ("pkm", "emer", "imp"):
                samplers[(setting, number)] = _Sampler.of(members, weights[setting])
    return samplers


def _chronic(run: _Run, people: _Population, faskes: list[_Faskes], n: int, reference: date) -> list[np.ndarray]:
    """Hypertension and diabetes patients in monthly control, each on a fixed weekday every 4 weeks."""
    rng = run.rng("chronic")
    age = people.age(np.datetime64(reference, "D"), np.arange(people.n))
    eligible = np.flatnonzero((people.hypertensive | people.diabetic) & (age >= 35))
    chosen = np.sort(rng.choice(eligible, min(n, len(eligible)), replace=False))
    at_rsud = rng.random(len(chosen)) < _CHRONIC_AT_RSUD
    people.chronic_faskes[chosen] = np.where(at_rsud, 0, people.home[chosen])
    people.chronic_slot[chosen] = rng.integers(0, _CHRONIC_SLOTS, len(chosen))
    return [chosen[people.chronic_slot[chosen] == slot] for slot in range(_CHRONIC_SLOTS)]


# --- One day of care ---------------------------------------------------------------------------


_FIXED_HOLIDAYS = ((1, 1), (5, 1), (6, 1), (8, 17), (12, 25))  # Tahun Baru, Hari Buruh, Pancasila, HUT RI, Natal
_LUNAR_YEAR = 354.367


@functools.cache
def _holidays(year: int) -> frozenset[date]:
    """National holidays on which outpatient clinics close: the fixed-date ones, and Idul Fitri (two
    days) and Idul Adha stepped by the lunar year from 2025 (accurate to a day or two)."""
    days = {date(year, month, day) for month, day in _FIXED_HOLIDAYS}
    for k in range(-2, 3):
        fitri = date(2025, 3, 31) + timedelta(days=round((year - 2025 + k) * 365.2425 / _LUNAR_YEAR) * _LUNAR_YEAR)
        days |= {fitri, fitri + timedelta(days=1), fitri + timedelta(days=67)}
    return frozenset(d for d in days if d.year == year)


def _day_kind(day: date) -> int:
    """The weekday (Monday 0) whose pattern the day follows; a holiday follows Sunday's."""
    return 6 if day in _holidays(day.year) else day.weekday()


def _day_slot(day: date) -> int:
    """The chronic-control slot of a working weekday (-1 at the weekend and on holidays)."""
    if _day_kind(day) >= 5:
        return -1
    return (day.toordinal() // 7) % 4 * 5 + day.weekday()


def _draw_dx(rng: np.random.Generator, setting: int, age: np.ndarray, female: np.ndarray, month: int,
             allowed: np.ndarray | None = None) -> np.ndarray:
    """One diagnosis per visit, by setting, age, sex, season and (optionally) an allowed mask."""
    weights = np.broadcast_to(_DX_WEIGHTS[setting] * _DX_SEASON[month - 1], (len(age), len(_DIAGNOSES))).copy()
    a = age[:, None]
    weights *= np.where(a < 15, _DX_CHILD, np.where(a >= 60, _DX_ELDER, 1.0))
    weights *= (a >= _DX_AGES[0]) & (a <= _DX_AGES[1]) & (~_DX_FEMALE | female[:, None])
    if allowed is not None:
        weights *= allowed
    cumulative = weights.cumsum(axis=1)
    total = cumulative[:, -1]
    pick_at = rng.random(len(age)) * total
    chosen = (cumulative <= pick_at[:, None]).sum(axis=1)
    return np.where(total > 0, np.minimum(chosen, len(_DIAGNOSES) - 1), _R50)


def _secondary(rng: np.random.Generator, people: _Population, person: np.ndarray, dx1: np.ndarray) -> np.ndarray:
    """A comorbidity recorded alongside: known hypertension or diabetes, -1 if none."""
    hyper = people.hypertensive[person] & (dx1 != _I10) & (rng.random(len(person)) < 0.4)
    diab = people.diabetic[person] & (dx1 != _E11) & (rng.random(len(person)) < 0.4)
    return np.where(hyper, _I10, np.where(diab, _E11, -1))


_GROUP = np.array([dx.group for dx in _DIAGNOSES])
_SPEC = np.array([dx.spec for dx in _DIAGNOSES])


def _units_pkm(world: _World, faskes: np.ndarray, dx: np.ndarray, age: np.ndarray) -> np.ndarray:
    code = np.select(
        [_GROUP[dx] == "gigi", _GROUP[dx] == "kia", age < 5, age >= 60],
        [_UNIT_CODES.index("GIGI"), _UNIT_CODES.index("KIA"), _UNIT_CODES.index("KIA"), _UNIT_CODES.index("LANSIA")],
        _UNIT_CODES.index("UMUM"),
    )
    return world.unit(faskes, code)


def _units_rsud(world: _World, dx: np.ndarray, age: np.ndarray, klass: int) -> np.ndarray:
    spec = _SPEC[dx]
    if klass == IMP:
        code = np.select([spec == "OBG", age < 15, spec == "BED"], ["TERATAI", "MELATI", "ANGGREK"], "MAWAR")
    else:
        code = np.where((age < 15) & ~np.isin(spec, ["BED", "MAT", "GIG", "OBG"]), "ANA", spec)
    codes = np.array([_UNIT_CODES.index(c) for c in code], dtype=np.int64)
    return world.unit(np.zeros(len(dx), dtype=np.int64), codes)


def _times(rng: np.random.Generator, day: date, klass: int, kind: str,
           n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrival, start of care and end of care (datetime64[s]) of ``n`` visits on ``day``."""
    midnight = np.datetime64(day, "s")
    minute = np.timedelta64(60, "s")
    if klass == AMB:
        hours = (3.0 if day.weekday() == 5 else 4.5) if kind == "pkm" else (3.0 if day.weekday() == 5 else 5.0)
        opening = midnight + np.timedelta64(7 * 3600 + 1800, "s")
        arrived = opening + (rng.random(n) * hours * 3600).astype(int) * np.timedelta64(1, "s")
        wait = rng.integers(5, 75, n) if kind == "pkm" else rng.integers(20, 180, n)
        care = rng.integers(5, 21, n) if kind == "pkm" else rng.integers(5, 26, n)
    else:
        hour_weights = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 2, 1], dtype=float)
        hour = rng.choice(24, n, p=hour_weights / hour_weights.sum())
        arrived = midnight + (hour * 3600 + rng.integers(0, 3600, n)) * np.timedelta64(1, "s")
        wait = rng.integers(2, 16, n)
        care = rng.integers(45, 300, n)
    started = arrived + wait * minute
    return arrived, started, started + care * minute


_VISIT_SCHEMA = {
    "faskes": pl.Int64, "unit": pl.Int64, "klass": pl.Int64, "person": pl.Int64, "dx1": pl.Int64, "dx2": pl.Int64,
    "arrived": pl.Datetime("ms"), "started": pl.Datetime("ms"), "finished": pl.Datetime("ms"), "bpjs": pl.Boolean,
    "practitioner": pl.Int64,
}


def _visit_frame(world: _World, rng: np.random.Generator, faskes: np.ndarray, unit: np.ndarray, klass: np.ndarray,
                 person: np.ndarray, dx1: np.ndarray, dx2: np.ndarray, arrived: np.ndarray, started: np.ndarray,
                 finished: np.ndarray) -> dict[str, np.ndarray]:
    """One batch of visits as arrays; the payer and the attending practitioner are drawn here."""
    n = len(person)
    use = np.where(world.is_rsud[faskes], _BPJS_USE["rsud"], _BPJS_USE["pkm"])
    bpjs = world.people.member[person] & (rng.random(n) < use)
    offset = (rng.random(n) * world.pool_size[unit]).astype(np.int64)
    practitioner = world.pool_flat[world.pool_start[unit] + offset]
    return {
        "faskes": faskes, "unit": unit, "klass": klass, "person": person, "dx1": dx1, "dx2": dx2,
        "arrived": arrived.astype("datetime64[ms]"), "started": started.astype("datetime64[ms]"),
        "finished": finished.astype("datetime64[ms]"), "bpjs": bpjs, "practitioner": practitioner,
    }


def _visits(batches: list[dict[str, np.ndarray]]) -> pl.DataFrame:
    return pl.DataFrame({column: np.concatenate([batch[column] for batch in batches]) for column in _VISIT_SCHEMA},
                        schema=_VISIT_SCHEMA)


def _outpatient_day(run: _Run, world: _World, day: date, scale: float) -> pl.DataFrame:
    """The AMB (acute and monthly control) and EMER visits of one service day."""
    rng = run.rng("visits", day.isoformat())
    people = world.people
    month = day.month
    today = np.datetime64(day, "D")
    volume = _volume_factor(month)
    frames = []
    for number, f in enumerate(world.faskes):
        # acute outpatient visits
        if f.kind == "pkm":
            expected = scale * _PKM_AMB_PER_DAY * world.pkm_share[number] * _WEEKDAY_AMB["pkm"][_day_kind(day)] * volume
        else:
            expected = scale * _RS_AMB_PER_DAY * _WEEKDAY_AMB["rsud"][_day_kind(day)] * volume
        count = rng.poisson(expected)
        if f.kind == "pkm":
            outside = rng.random(count) < _OUTSIDE_CATCHMENT
            person = np.where(outside, world.samplers[("pkm", -1)].draw(rng, count),
                              world.samplers[("pkm", number)].draw(rng, count))
        else:
            person = world.samplers[("rsud", -1)].draw(rng, count)
        age = people.age(today, person)
        female = people.female[person]
        if f.kind == "pkm":
            # a dental visit, an antenatal/family-planning visit at the Poli KIA, or anything else
            dental = rng.random(count) < 0.08
            antenatal = female & (age >= 16) & (age <= 44) & (rng.random(count) < 0.3)
            group = np.select([dental, antenatal], ["gigi", "kia"], "umum")
            allowed = _GROUP[None, :] == group[:, None]
            dx1 = _draw_dx(rng, _SETTING_PKM_AMB, age, female, month, allowed)
            unit = _units_pkm(world, np.full(count, number), dx1, age)
        else:
            dx1 = _draw_dx(rng, _SETTING_RS_AMB, age, female, month)
            unit = _units_rsud(world, dx1, age, AMB)
        arrived, started, finished = _times(rng, day, AMB, f.kind, count)
        frames.append(_visit_frame(world, rng, np.full(count, number), unit, np.full(count, AMB), person, dx1,
                                   _secondary(rng, people, person, dx1), arrived, started, finished))
        # emergency visits (RSUD IGD, UGD of rural Puskesmas)
        if f.kind == "rsud" or f.rural:
            base = _RS_EMER_PER_DAY if f.kind == "rsud" else _PKM_EMER_PER_DAY
            count = rng.poisson(scale * base * _WEEKDAY_EMER[_day_kind(day)] * volume)
            sampler = world.samplers[("emer", -1 if f.kind == "rsud" else number)]
            person = sampler.draw(rng, count)
            age = people.age(today, person)
            dx1 = _draw_dx(rng, _SETTING_EMER, age, people.female[person], month)
            code = _UNIT_CODES.index("IGD" if f.kind == "rsud" else "UGD")
            unit = world.unit(np.full(count, number), np.full(count, code))
            arrived, started, finished = _times(rng, day, EMER, f.kind, count)
            frames.append(_visit_frame(world, rng, np.full(count, number), unit, np.full(count, EMER), person, dx1,
                                       _secondary(rng, people, person, dx1), arrived, started, finished))
    # monthly control of chronic patients
    slot = _day_slot(day)
    if slot >= 0:
        person = world.chronic[slot]
        person = person[rng.random(len(person)) < _CHRONIC_ATTENDANCE]
        faskes = people.chronic_faskes[person]
        age = people.age(today, person)
        both = people.hypertensive[person] & people.diabetic[person]
        first_dm = both & (rng.random(len(person)) < 0.5)
        dx1 = np.where(people.hypertensive[person] & ~first_dm, _I10, _E11)
        dx2 = np.where(both, np.where(dx1 == _I10, _E11, _I10), -1)
        code = np.where(faskes == 0, _UNIT_CODES.index("INT"),
                        np.where(age >= 60, _UNIT_CODES.index("LANSIA"), _UNIT_CODES.index("UMUM")))
        unit = world.unit(faskes, code)
        arrived, started, finished = _times(rng, day, AMB, "pkm", len(person))
        frames.append(_visit_frame(world, rng, faskes, unit, np.full(len(person), AMB), person, dx1, dx2,
                                   arrived, started, finished))
    return _visits(frames)


def _admissions(run: _Run, world: _World, day: date, scale: float) -> pl.DataFrame:
    """Inpatients admitted on ``day`` (RSUD and rural Puskesmas), with their discharge day."""
    rng = run.rng("admissions", day.isoformat())
    people = world.people
    today = np.datetime64(day, "D")
    frames = []
    for number, f in enumerate(world.faskes):
        if f.kind == "pkm" and not f.rural:
            continue
        base = _RS_IMP_PER_DAY if f.kind == "rsud" else _PKM_IMP_PER_DAY
        count = rng.poisson(scale * base * _WEEKDAY_IMP[_day_kind(day)] * _volume_factor(day.month))
        person = world.samplers[("imp", -1 if f.kind == "rsud" else number)].draw(rng, count)
        age = people.age(today, person)
        setting = _SETTING_RS_IMP if f.kind == "rsud" else _SETTING_PKM_IMP
        dx1 = _draw_dx(rng, setting, age, people.female[person], day.month)
        unit = _units_rsud(world, dx1, age, IMP) if f.kind == "rsud" else world.unit(
            np.full(count, number), np.full(count, _UNIT_CODES.index("RANAP")))
        arrived, started, _ = _times(rng, day, EMER, f.kind, count)
        started = arrived + rng.integers(30, 180, count) * np.timedelta64(60, "s")
        los_mean = np.array([dx.los for dx in _DIAGNOSES])[dx1]
        stay = np.minimum(1 + rng.poisson(np.maximum(los_mean - 1, 0.1)), _MAX_STAY)
        if f.kind == "pkm":
            stay = np.minimum(stay, 3)
        discharged_at = (9 * 3600 + rng.integers(0, 5 * 3600, count)) * np.timedelta64(1, "s")
        finished = (today + stay).astype("datetime64[s]") + discharged_at
        frames.append(_visit_frame(world, rng, np.full(count, number), unit, np.full(count, IMP), person, dx1,
                                   _secondary(rng, people, person, dx1), arrived, started, finished))
    return _visits(frames)


# --- Numbering, payers, re-sends ---------------------------------------------------------------


@dataclass
class _Ledger:
    """What carries over from day to day: inpatients still in hospital, SEP counters, pending re-sends."""

    inpatients: dict[date, list[pl.DataFrame]] = field(default_factory=lambda: defaultdict(list))
    sep_counter: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    resends: dict[date, list[pl.DataFrame]] = field(default_factory=lambda: defaultdict(list))


def _number(run: _Run, world: _World, ledger: _Ledger, visits: pl.DataFrame, day: date) -> pl.DataFrame:
    """Registration numbers, resource ids and, for the RSUD's BPJS patients, SEP numbers (issued on ``day``)."""
    rng = run.rng("ids", day.isoformat())
    visits = visits.sort("faskes", "klass", "arrived", "person")
    n = visits.height
    kinds = pl.Series([f.kind for f in world.faskes])
    prefix = pl.DataFrame({"kind": kinds.gather(visits["faskes"]), "klass": visits["klass"]}).select(
        pl.when(pl.col("klass") == AMB).then(pl.lit("RJ"))
        .when(pl.col("klass") == IMP).then(pl.lit("RI"))
        .when(pl.col("kind") == "rsud").then(pl.lit("IGD")).otherwise(pl.lit("UGD"))).to_series()
    visits = visits.with_columns(
        enc_no=prefix + day.strftime("%y%m%d")
        + (pl.int_range(1, pl.len() + 1).over("faskes", "klass")).cast(pl.String).str.zfill(4),
        enc_uuid=_uuids(rng, n),
        cond1_uuid=_uuids(rng, n),
        cond2_uuid=_uuids(rng, n),
    )
    sep = (visits["faskes"] == world.rsud) & visits["bpjs"]
    month_key = day.strftime("%m%y")
    start = ledger.sep_counter[month_key]
    serial = np.cumsum(sep.to_numpy()) + start
    ledger.sep_counter[month_key] = int(serial[-1]) if n else start
    return visits.with_columns(
        sep=pl.when(sep).then(pl.lit(f"{_BPJS_KODE_RSUD}{month_key}V") + pl.Series(serial).cast(pl.String).str.zfill(6))
    )


def _plan_resends(run: _Run, visits: pl.DataFrame, delivered: date, last_delivery: date) -> pl.DataFrame:
    """Mark ~2 % of the day's encounters to be finished later and ~2 % to have their diagnosis corrected."""
    rng = run.rng("resend", delivered.isoformat())
    n = visits.height
    draw = rng.random(n)
    resend_on = np.datetime64(delivered, "D") + rng.integers(_RESEND_DELAY[0], _RESEND_DELAY[1] + 1, n)
    fits = resend_on <= np.datetime64(last_delivery, "D")  # never leave an encounter unfinished
    kind = np.where(fits & (draw < _RESEND_SHARE), 1, np.where(fits & (draw < 2 * _RESEND_SHARE), 2, 0))
    return visits.with_columns(resend=pl.Series(kind, dtype=pl.Int64), resend_on=pl.Series(resend_on, dtype=pl.Date))


# --- FHIR rendering ----------------------------------------------------------------------------


# Resources are assembled as JSON text with ``concat_str`` rather than ``struct.json_encode``:
# polars builds lists of structs row by row (several µs each), while string concatenation stays
# vectorised. A JSON value is a ``str`` (constant JSON text, folded at build time) or a ``pl.Expr``
# yielding JSON text; :class:`_Opt` marks a field or item left out where its condition is false.
# Every string written here is free of quotes and backslashes (checked in :func:`_lookups`), so
# no escaping is needed.

Json = str | pl.Expr


@dataclass(frozen=True)
class _Opt:
    when: pl.Expr
    value: Json


def _join(parts: Sequence[str | pl.Expr]) -> Json:
    merged: list[str | pl.Expr] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if len(merged) == 1 and isinstance(merged[0], str):
        return merged[0]
    return pl.concat_str([pl.lit(part) if isinstance(part, str) else part for part in merged])


def _pieces(prefix: str, value: Json | _Opt) -> list[str | pl.Expr]:
    if isinstance(value, _Opt):
        inner = _join([prefix, value.value])
        return [pl.when(value.when).then(inner if isinstance(inner, pl.Expr) else pl.lit(inner)).otherwise(pl.lit(""))]
    return [prefix, value]


def _obj(**fields: Json | _Opt) -> Json:
    """A JSON object; the first field must always be present."""
    parts: list[str | pl.Expr] = ["{"]
    for number, (key, value) in enumerate(fields.items()):
        if number == 0 and isinstance(value, _Opt):
            raise ValueError("the first field of an object cannot be optional")
        parts += _pieces(("," if number else "") + f'"{key}":', value)
    return _join([*parts, "}"])


def _arr(*items: Json | _Opt) -> Json:
    """A JSON array; the first item must always be present."""
    parts: list[str | pl.Expr] = ["["]
    for number, item in enumerate(items):
        if number == 0 and isinstance(item, _Opt):
            raise ValueError("the first item of an array cannot be optional")
        parts += _pieces("," if number else "", item)
    return _join([*parts, "]"])


def _str(value: str | pl.Expr) -> Json:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return pl.concat_str([pl.lit('"'), value, pl.lit('"')])


def _num(value: pl.Expr) -> pl.Expr:
    return value.cast(pl.String)


def _coding(system: str | pl.Expr, code: str | pl.Expr, display: str | pl.Expr | None = None) -> Json:
    if display is None:
        return _obj(system=_str(system), code=_str(code))
    return _obj(system=_str(system), code=_str(code), display=_str(display))


def _concept(*codings: Json) -> Json:
    return _obj(coding=_arr(*codings))


def _reference(reference: str | pl.Expr, display: str | pl.Expr | None = None) -> Json:
    if display is None:
        return _obj(reference=_str(reference))
    return _obj(reference=_str(reference), display=_str(display))


def _identifier(system: str | pl.Expr, value: str | pl.Expr, use: str | None = None) -> Json:
    if use:
        return _obj(use=_str(use), system=_str(system), value=_str(value))
    return _obj(system=_str(system), value=_str(value))


def _meta(resource: str) -> Json:
    return _obj(profile=_arr(_str(PROFILE + resource)), lastUpdated=_str(pl.col("last_updated")))


def _encode(frame: pl.DataFrame, resource: Json) -> pl.Series:
    """One resource per row as JSON text."""
    if frame.height == 0 or isinstance(resource, str):
        return pl.Series("json", [resource] * frame.height if isinstance(resource, str) else [], dtype=pl.String)
    out = frame.select(resource.alias("json")).to_series()
    if out.null_count():
        raise AssertionError("a required JSON value was null")
    return out


def _not(defect: str) -> pl.Expr:
    """True where the row does not carry the named defect."""
    return pl.col("defect").ne_missing(defect)


def _broken_json(lines: pl.Series, kinds: pl.Series) -> pl.Series:
    """Invalid JSON lines: cut off mid-way, or a trailing comma before the closing brace."""
    frame = pl.DataFrame({"line": lines, "kind": kinds})
    line, length = pl.col("line"), pl.col("line").str.len_chars()
    return frame.select(
        pl.when(pl.col("kind") == "json_truncated").then(line.str.slice(0, length // 2))
        .when(pl.col("kind") == "json_trailing_comma").then(line.str.slice(0, length - 1) + ",}")
        .otherwise(line)
    ).to_series()


def _defects(run: _Run, label: str, container: str, resource: str, n: int) -> pl.Series:
    """Per resource, the name of its planted defect or null."""
    kinds = DEFECT_KINDS[container][resource]
    drawn = draw_kinds(run.rng("defects", label, container, resource), n, run.defect_rate, len(kinds))
    names = pl.Series(kinds + ("",), dtype=pl.String).gather(np.where(drawn < 0, len(kinds), drawn))
    return names.replace("", None)


@dataclass(frozen=True)
class _Lookups:
    """Per-run string tables the renderers gather from."""

    org_id: pl.Series
    faskes_name: pl.Series
    faskes_kind: pl.Series
    location_id: pl.Series
    location_name: pl.Series
    practitioner_id: pl.Series
    practitioner_name: pl.Series
    village: pl.Series  # per kelurahan, without dots
    postal: pl.Series


def _lookups(world: _World) -> _Lookups:
    texts = [*world.practitioners.name, *(u.name for u in world.units), *(f.name for f in world.faskes),
             *(dx.display for dx in _DIAGNOSES), *(dx.lokal for dx in _DIAGNOSES), *_STREETS, *MALE, *FEMALE, *FAMILY]
    if any('"' in text or "\\" in text for text in texts):
        raise ValueError("generated strings must not need JSON escaping")
    return _Lookups(
        org_id=pl.Series([f.org_id for f in world.faskes]),
        faskes_name=pl.Series([f.name for f in world.faskes]),
        faskes_kind=pl.Series([f.kind for f in world.faskes]),
        location_id=pl.Series([u.location_id for u in world.units]),
        location_name=pl.Series([f"{u.name}, {world.faskes[u.faskes].short}" for u in world.units]),
        practitioner_id=pl.Series(world.practitioners.id),
        practitioner_name=pl.Series(world.practitioners.name),
        village=pl.Series([k.replace(".", "") for k in world.wilayah.kode]),
        postal=pl.Series([_KECAMATAN[k[6:8]][1] for k in world.wilayah.kode]),
    )


def _patient_ref(world: _World, person: pl.Series, bundle: bool) -> pl.Series:
    if bundle:
        return "urn:uuid:" + world.people.uuid.gather(person)
    return "Patient/" + world.people.ihs.gather(person)


def _orphan_ref(run: _Run, world: _World, label: str, n: int, bundle: bool) -> pl.Series:
    """References to Patients that exist in no delivery (ids outside the population)."""
    rng = run.rng("orphan", label)
    if bundle:
        return "urn:uuid:" + _uuids(rng, n)
    index = world.people.n + 1 + rng.integers(0, 10**6, n)
    return "Patient/P" + _digits(_permuted(index, 10**11, 17), 11)


def _medical_record(person: np.ndarray, faskes: np.ndarray) -> pl.Series:
    """Each faskes numbers its patients its own way: 8 digits, stable per person and faskes."""
    out = np.zeros(len(person), dtype=np.int64)
    for number in np.unique(faskes):
        here = faskes == number
        out[here] = _permuted(person[here], 10**8, int(number) + 3)
    return _digits(out, 8)


@functools.cache
def _patient_json(bundle: bool) -> Json:
    """The Patient resource as a JSON-text expression over the columns :func:`_patients` prepares."""
    nik = pl.when(pl.col("defect") == "nik_malformed").then(pl.col("nik").str.slice(0, 15)).otherwise(pl.col("nik"))
    village = pl.col("village")
    return _obj(
        resourceType=_str("Patient"),
        **({} if bundle else {"id": _str(pl.col("uuid"))}),
        meta=_meta("Patient"),
        identifier=_arr(
            _identifier(pl.col("mr_system"), pl.col("mr"), "usual"),
            _identifier(NIK_SYSTEM, nik, "official"),
            _identifier(IHS_SYSTEM, pl.col("ihs"), "official"),
        ),
        active="true",
        name=_arr(_obj(use=_str("official"), text=_str(pl.col("name")))),
        telecom=_Opt(pl.col("phone").is_not_null(),
                     _arr(_obj(system=_str("phone"), value=_str(pl.col("phone")), use=_str("mobile")))),
        gender=_str(pl.when(pl.col("female")).then(pl.lit("female")).otherwise(pl.lit("male"))),
        birthDate=_str(pl.col("birth").dt.strftime("%Y-%m-%d")),
        deceasedBoolean="false",
        address=_arr(_obj(
            use=_str("home"),
            line=_arr(_str(pl.col("line"))),
            city=_str("Kota Baubau"),
            postalCode=_str(pl.col("postal")),
            country=_str("ID"),
            extension=_arr(_obj(
                url=_str(ADMINISTRATIVE_CODE),
                extension=_arr(
                    _obj(url=_str("province"), valueCode=_str(village.str.slice(0, 2))),
                    _obj(url=_str("city"), valueCode=_str(village.str.slice(0, 4))),
                    _obj(url=_str("district"), valueCode=_str(village.str.slice(0, 6))),
                    _obj(url=_str("village"), valueCode=_str(village)),
                    _obj(url=_str("rt"), valueCode=_str(pl.col("rt"))),
                    _obj(url=_str("rw"), valueCode=_str(pl.col("rw"))),
                ),
            )),
        )),
        maritalStatus=_concept(_coding(MARITAL_STATUS, pl.col("marital"))),
    )


def _patients(world: _World, look: _Lookups, rows: pl.DataFrame, bundle: bool, defect: pl.Series) -> pl.Series:
    """Patient resources for ``rows`` (person, faskes, last_updated)."""
    people = world.people
    person = rows["person"]
    mr_org = look.org_id.gather(rows["faskes"])
    mr = _medical_record(person.to_numpy(), rows["faskes"].to_numpy())
    frame = pl.DataFrame({
        "uuid": None if bundle else people.ihs.gather(person),
        "mr_system": SYS_IDS + "/mr/" + mr_org,
        "mr": mr,
        "nik": people.nik.gather(person),
        "ihs": people.ihs.gather(person),
        "name": people.name.gather(person),
        "phone": people.phone.gather(person),
        "female": people.female[person.to_numpy()],
        "birth": people.birth[person.to_numpy()].astype("datetime64[ms]"),
        "line": people.line.gather(person),
        "rt": people.rt.gather(person),
        "rw": people.rw.gather(person),
        "village": look.village.gather(pl.Series(people.kelurahan[person.to_numpy()])),
        "postal": look.postal.gather(pl.Series(people.kelurahan[person.to_numpy()])),
        "marital": people.marital.gather(person),
        "last_updated": rows["last_updated"],
        "defect": defect,
    }, schema_overrides={"uuid": pl.String})
    return _encode(frame, _patient_json(bundle))


def _encounter_frame(world: _World, look: _Lookups, visits: pl.DataFrame, bundle: bool) -> pl.DataFrame:
    """Columns shared by Encounter, Condition and Observation renderers."""
    people = world.people
    person = visits["person"]
    return visits.with_columns(
        org_id=look.org_id.gather(visits["faskes"]),
        faskes_kind=look.faskes_kind.gather(visits["faskes"]),
        patient_ref=_patient_ref(world, person, bundle),
        patient_name=people.name.gather(person),
        enc_ref=("urn:uuid:" if bundle else "Encounter/") + visits["enc_uuid"],
        practitioner_ref="Practitioner/" + look.practitioner_id.gather(visits["practitioner"]),
        practitioner_name=look.practitioner_name.gather(visits["practitioner"]),
        location_ref="Location/" + look.location_id.gather(visits["unit"]),
        location_name=look.location_name.gather(visits["unit"]),
        faskes_name=look.faskes_name.gather(visits["faskes"]),
    )


_DX_TEXT = {field: pl.Series([getattr(dx, field) for dx in _DIAGNOSES], dtype=pl.String)
            for field in ("code", "display", "icd9", "lokal")}


def _dx_columns(prefix: str, dx: pl.Series) -> dict[str, pl.Series]:
    """Code, display, ICD-9 and local code of each diagnosis index (-1, no diagnosis, reads as the first)."""
    index = dx.clip(0)
    return {f"{prefix}_{field}": text.gather(index) for field, text in _DX_TEXT.items()}


@functools.cache
def _encounter_json(bundle: bool) -> Json:
    """The Encounter resource as a JSON-text expression."""
    finished = pl.col("status") == "finished"
    subject = _reference(
        pl.when(pl.col("defect") == "orphan_patient").then(pl.col("orphan")).otherwise(pl.col("patient_ref")),
        pl.col("patient_name"))
    discharge = _concept(_coding(DIAGNOSIS_ROLE, "DD", "Discharge diagnosis"))
    return _obj(
        resourceType=_str("Encounter"),
        **({} if bundle else {"id": _str(pl.col("enc_uuid"))}),
        meta=_meta("Encounter"),
        identifier=_arr(_identifier(pl.concat_str([pl.lit(SYS_IDS + "/encounter/"), pl.col("org_id")]),
                                    pl.col("enc_no"))),
        status=_str(pl.col("status")),
        **{"class": _coding(ACT_CODE, pl.col("class_code"), pl.col("class_display"))},
        subject=_Opt(_not("no_subject"), subject),
        participant=_arr(_obj(
            type=_arr(_concept(_coding(PARTICIPATION, "ATND", "attender"))),
            individual=_reference(pl.col("practitioner_ref"), pl.col("practitioner_name")),
        )),
        period=_Opt(_not("no_period"), _obj(start=_str(pl.col("arrived_s")),
                                             end=_Opt(finished, _str(pl.col("finished_s"))))),
        location=_arr(_obj(location=_reference(pl.col("location_ref"), pl.col("location_name")))),
        diagnosis=_Opt(finished, _arr(
            _obj(condition=_reference(pl.col("cond1_ref"), pl.col("d1_display")), use=discharge, rank="1"),
            _Opt(pl.col("dx2") >= 0,
                 _obj(condition=_reference(pl.col("cond2_ref"), pl.col("d2_display")), use=discharge, rank="2")),
        )),
        statusHistory=_arr(
            _obj(status=_str("arrived"), period=_obj(start=_str(pl.col("arrived_s")), end=_str(pl.col("started_s")))),
            _obj(status=_str("in-progress"), period=_obj(start=_str(pl.col("started_s")),
                                                         end=_Opt(finished, _str(pl.col("finished_s"))))),
            _Opt(finished, _obj(status=_str("finished"),
                                period=_obj(start=_str(pl.col("finished_s")), end=_str(pl.col("finished_s"))))),
        ),
        serviceProvider=_reference(pl.concat_str([pl.lit("Organization/"), pl.col("org_id")])),
        extension=_arr(_obj(url=_str(PENJAMIN_EXTENSION),
                            valueCode=_str(pl.when(pl.col("bpjs")).then(pl.lit("BPJS")).otherwise(pl.lit("UMUM"))))),
    )


def _encounters(frame: pl.DataFrame, bundle: bool, defect: pl.Series, orphan: pl.Series) -> pl.Series:
    """Encounter resources. ``frame`` has the shared columns, ``status``, ``dx1_shown``, ``last_updated``."""
    frame = frame.with_columns(
        defect=defect,
        orphan=orphan,
        class_code=pl.Series(_CLASSES).gather(frame["klass"]),
        class_display=pl.Series(_CLASS_DISPLAY).gather(frame["klass"]),
        arrived_s=pl.col("arrived").dt.strftime(_TIMESTAMP),
        started_s=pl.col("started").dt.strftime(_TIMESTAMP),
        finished_s=pl.col("finished").dt.strftime(_TIMESTAMP),
        cond1_ref=("urn:uuid:" if bundle else "Condition/") + pl.col("cond1_uuid"),
        cond2_ref=("urn:uuid:" if bundle else "Condition/") + pl.col("cond2_uuid"),
        **_dx_columns("d1", frame["dx1_shown"]),
        **_dx_columns("d2", frame["dx2"]),
    )
    return _encode(frame, _encounter_json(bundle))


def _conditions_of(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per Condition: the primary diagnosis (as shown) and the comorbidity, if any."""
    primary = frame.with_columns(cond_uuid=pl.col("cond1_uuid"), dx=pl.col("dx1_shown"), rank=pl.lit(1))
    secondary = frame.filter(pl.col("dx2") >= 0).with_columns(cond_uuid=pl.col("cond2_uuid"), dx=pl.col("dx2"),
                                                              rank=pl.lit(2))
    return pl.concat([primary, secondary]).sort("faskes", "klass", "enc_no", "rank")


@functools.cache
def _condition_json(bundle: bool) -> Json:
    """The Condition resource as a JSON-text expression."""
    d = pl.col("defect")
    code = (
        pl.when(d == "icd9").then(_concept(_coding(ICD9, pl.col("d_icd9"), pl.col("d_display"))))
        .when(d == "local_code").then(_concept(_coding(pl.col("lokal_system"), pl.col("d_lokal"), pl.col("d_lokal"))))
        .otherwise(_concept(_coding(ICD10, pl.col("d_code"), pl.col("d_display"))))
    )
    return _obj(
        resourceType=_str("Condition"),
        **({} if bundle else {"id": _str(pl.col("cond_uuid"))}),
        meta=_meta("Condition"),
        identifier=_arr(_identifier(
            pl.concat_str([pl.lit(SYS_IDS + "/condition/"), pl.col("org_id")]),
            pl.concat_str([pl.col("enc_no"), pl.lit("-DX"), pl.col("rank").cast(pl.String)]))),
        clinicalStatus=_concept(_coding(CONDITION_CLINICAL, "active", "Active")),
        category=_arr(_concept(_coding(CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis"))),
        code=_Opt(_not("no_code"), code),
        subject=_reference(pl.when(d == "orphan_patient").then(pl.col("orphan")).otherwise(pl.col("patient_ref")),
                           pl.col("patient_name")),
        encounter=_reference(pl.col("enc_ref")),
        recordedDate=_str(pl.col("recorded")),
    )


def _conditions(rows: pl.DataFrame, bundle: bool, defect: pl.Series, orphan: pl.Series) -> pl.Series:
    rows = rows.with_columns(
        defect=defect,
        orphan=orphan,
        recorded=(pl.col("started") + (pl.col("finished") - pl.col("started")) * 0.8).dt.strftime(_TIMESTAMP),
        **_dx_columns("d", rows["dx"]),
    )
    rows = rows.with_columns(lokal_system=pl.when(pl.col("faskes_kind") == "rsud").then(pl.lit(LOCAL_DIAGNOSIS["rsud"]))
                             .otherwise(pl.lit(LOCAL_DIAGNOSIS["pkm"])))
    return _encode(rows, _condition_json(bundle))


def _vital_rows(run: _Run, world: _World, frame: pl.DataFrame, day: date) -> pl.DataFrame:
    """The vital signs taken at each visit: one row per Observation."""
    rng = run.rng("vitals", day.isoformat())
    people = world.people
    n = frame.height
    person = frame["person"].to_numpy()
    age = people.age(np.datetime64(day, "D"), person)
    adult = age >= 18
    klass = frame["klass"].to_numpy()
    rsud = frame["faskes_kind"].to_numpy() == "rsud"
    setting = np.where(klass == IMP, 3, np.where(klass == EMER, 2, np.where(rsud, 1, 0)))
    gigi = np.isin(frame["unit"].to_numpy(), [u for u, unit in enumerate(world.units) if unit.code in ("GIGI", "GIG")])
    dx = frame["dx1"].to_numpy()
    fever = _DX_FEVER[dx] & (rng.random(n) < 0.8)
    respiratory = _DX_RESPIRATORY[dx]
    child = age < 12
    started = frame["started"].to_numpy()
    finished = frame["finished"].to_numpy()
    span = np.minimum((finished - started).astype("timedelta64[s]").astype(np.int64), 20 * 60)
    parts = []
    for number, (key, *_rest, probability) in enumerate(_VITALS):
        chance = np.array(probability)[setting]
        chance = np.where(gigi, _GIGI_VITALS.get(key, 0.0), chance)
        if key in ("BP", "BMI"):
            chance = np.where(adult, chance, 0.0)
        taken = np.flatnonzero(rng.random(n) < chance)
        m = len(taken)
        value = np.zeros(m)
        systolic = np.zeros(m, dtype=np.int64)
        diastolic = np.zeros(m, dtype=np.int64)
        a = age[taken]
        if key == "BP":
            # a hypertensive patient's reading is at or above 140/90 unless treatment controls it
            high = people.hypertensive[person[taken]] & (rng.random(m) < _P_UNCONTROLLED)
            normal = np.clip(rng.normal(112 + 0.35 * np.maximum(a - 18, 0), 10, m), 90, 139)
            systolic = np.where(high, 140 + rng.gamma(2.0, 9.0, m), normal).round().astype(np.int64)
            diastolic = np.where(high, np.clip(rng.normal(92, 7, m), 75, 125),
                                 np.clip(rng.normal(75, 7, m), 55, 89)).round().astype(np.int64)
        elif key == "HR":
            value = np.where(child[taken], rng.normal(105, 14, m), rng.normal(82, 10, m)) + 10 * fever[taken]
            value = np.clip(value, 48, 180).round()
        elif key == "TEMP":
            value = np.where(fever[taken], np.clip(rng.normal(38.3, 0.5, m), 37.6, 40.5),
                             np.clip(rng.normal(36.6, 0.3, m), 35.8, 37.4)).round(1)
        elif key == "RR":
            value = np.where(child[taken], rng.normal(26, 4, m), rng.normal(19, 2, m)) + 4 * respiratory[taken]
            value = np.clip(value, 12, 60).round()
        elif key == "SPO2":
            value = np.where(respiratory[taken], rng.normal(94, 2.5, m), rng.normal(98, 1, m))
            value = np.clip(value, 82, 100).round()
        else:
            value = np.clip(rng.normal(24, 4, m), 15, 45).round(1)
        effective = started[taken] + (rng.random(m) * span[taken]).astype(np.int64).astype("timedelta64[s]")
        parts.append(frame[taken].with_columns(
            vital=pl.lit(number), value=pl.Series(value, dtype=pl.Float64),
            systolic=pl.Series(systolic, dtype=pl.Int64), diastolic=pl.Series(diastolic, dtype=pl.Int64),
            effective=pl.Series(effective.astype("datetime64[ms]")),
        ))
    rows = pl.concat(parts).sort("faskes", "klass", "enc_no", "vital")
    return rows.with_columns(obs_uuid=_uuids(rng, rows.height))


@functools.cache
def _observation_json(bundle: bool) -> Json:
    """The Observation resource as a JSON-text expression."""
    bp = pl.col("vital") == 0
    decimal = pl.col("vital").is_in([number for number, v in enumerate(_VITALS) if v[0] in _DECIMAL_VITALS])
    value = pl.when(decimal).then(_num(pl.col("value"))).otherwise(_num(pl.col("value").cast(pl.Int64)))

    def quantity(amount: pl.Expr, unit: str | pl.Expr, code: str | pl.Expr) -> Json:
        return _obj(value=amount, unit=_str(unit), system=_str(UCUM), code=_str(code))

    return _obj(
        resourceType=_str("Observation"),
        **({} if bundle else {"id": _str(pl.col("obs_uuid"))}),
        meta=_meta("Observation"),
        identifier=_arr(_identifier(pl.concat_str([pl.lit(SYS_IDS + "/observation/"), pl.col("org_id")]),
                                    pl.concat_str([pl.col("enc_no"), pl.lit("-"), pl.col("suffix")]))),
        status=_str("final"),
        category=_arr(_concept(_coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs"))),
        code=_concept(_coding(LOINC, pl.col("loinc"), pl.col("loinc_display"))),
        subject=_Opt(_not("no_subject"), _reference(pl.col("patient_ref"))),
        performer=_arr(_reference(pl.col("practitioner_ref"))),
        encounter=_reference(pl.col("enc_ref")),
        effectiveDateTime=_str(pl.col("effective_s")),
        valueQuantity=_Opt(~bp, quantity(value, pl.col("unit_text"), pl.col("ucum"))),
        component=_Opt(bp, _arr(
            _obj(code=_concept(_coding(LOINC, *SYSTOLIC)),
                 valueQuantity=quantity(_num(pl.col("systolic")), "mmHg", "mm[Hg]")),
            _obj(code=_concept(_coding(LOINC, *DIASTOLIC)),
                 valueQuantity=quantity(_num(pl.col("diastolic")), "mmHg", "mm[Hg]")),
        )),
    )


def _observations(rows: pl.DataFrame, bundle: bool, defect: pl.Series) -> pl.Series:
    vital = rows["vital"]
    table = {name: pl.Series([v[i] for v in _VITALS]).gather(vital) for i, name in
             ((1, "loinc"), (2, "loinc_display"), (3, "unit_text"), (4, "ucum"), (5, "suffix"))}
    rows = rows.with_columns(defect=defect, effective_s=pl.col("effective").dt.strftime(_TIMESTAMP), **table)
    return _encode(rows, _observation_json(bundle))


# --- Deliveries --------------------------------------------------------------------------------


def _ndjson(run: _Run, key: str, dataset: str, lines: Sequence[str], defects: int) -> GeneratedFile:
    run.save(key, "".join(line + "\n" for line in lines).encode("utf-8"))
    run.report(dataset, len(lines))
    return GeneratedFile(key, dataset, len(lines), defects)


def _count(defect: pl.Series) -> int:
    return int(defect.is_not_null().sum())


@dataclass
class _Day:
    """The resources of one delivery, rendered, with their planted defect counts."""

    lines: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in _DAILY_TYPES})
    defects: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_DAILY_TYPES, 0))
    entries: list[str] = field(default_factory=list)  # bundle entries in order

    def add(self, resource: str, lines: pl.Series, defects: int) -> None:
        self.lines[resource] += lines.to_list()
        self.defects[resource] += defects


def _last_updated_posted(frame: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """When a Puskesmas posted a resource: 5 minutes to 4 hours after the visit (after triage if in progress)."""
    base = np.where(frame["status"].to_numpy() == "finished", frame["finished"].to_numpy(), frame["started"].to_numpy())
    return _timestamps(base + rng.integers(5, 240, frame.height).astype("timedelta64[m]"))


def _render(run: _Run, world: _World, look: _Lookups, visits: pl.DataFrame, day: date, delivered: date,
            bundle: bool, label: str) -> _Day:
    """Render one delivery's original resources (defects planted) for one source."""
    rng = run.rng("posted", label)
    out = _Day()
    container = "bundle" if bundle else "ndjson"
    frame = _encounter_frame(world, look, visits, bundle).with_columns(
        status=pl.when(pl.col("resend") == 1).then(pl.lit("in-progress")).otherwise(pl.lit("finished")),
        dx1_shown=pl.Series(np.where(visits["resend"].to_numpy() == 2, _DX_PROVISIONAL[visits["dx1"].to_numpy()],
                                     visits["dx1"].to_numpy()), dtype=pl.Int64),
    )
    nightly = np.datetime64(delivered, "s") + np.timedelta64(3600, "s")
    if bundle:
        stamp = _timestamps(nightly + np.arange(frame.height) * np.timedelta64(2, "s"))
    else:
        stamp = _last_updated_posted(frame, rng)
    frame = frame.with_columns(last_updated=stamp)

    # patients: one per person visiting (first visit of the day), posted at registration
    patients = (frame.sort("arrived").unique("person", keep="first", maintain_order=True)
                .sort("faskes", "klass", "enc_no"))
    if not bundle:
        patients = patients.with_columns(last_updated=pl.col("arrived").dt.strftime(_TIMESTAMP))
    defect = _defects(run, label, container, "Patient", patients.height)
    patient_json = _patients(world, look, patients, bundle, defect)
    encounter_defect = _defects(run, label, container, "Encounter", frame.height)
    encounter_json = _encounters(frame, bundle, encounter_defect,
                                 _orphan_ref(run, world, label + "E", frame.height, bundle))
    conditions = _conditions_of(frame)
    condition_defect = _defects(run, label, container, "Condition", conditions.height)
    condition_json = _conditions(conditions, bundle, condition_defect,
                                 _orphan_ref(run, world, label + "C", conditions.height, bundle))
    vitals = _vital_rows(run, world, frame, day)
    observation_defect = _defects(run, label, container, "Observation", vitals.height)
    observation_json = _observations(vitals, bundle, observation_defect)
    if bundle:
        out.entries += _entries(patient_json, "Patient", world.people.uuid.gather(patients["person"]),
                                NIK_SYSTEM + "|" + _nik_as_sent(world, patients["person"], defect))
        out.entries += _entries(encounter_json, "Encounter", frame["enc_uuid"],
                                SYS_IDS + "/encounter/" + frame["org_id"] + "|" + frame["enc_no"])
        out.entries += _entries(condition_json, "Condition", conditions["cond_uuid"],
                                SYS_IDS + "/condition/" + conditions["org_id"] + "|" + conditions["enc_no"] + "-DX"
                                + conditions["rank"].cast(pl.String))
        out.entries += _entries(observation_json, "Observation", vitals["obs_uuid"],
                                SYS_IDS + "/observation/" + vitals["org_id"] + "|" + vitals["enc_no"] + "-"
                                + pl.Series([v[5] for v in _VITALS]).gather(vitals["vital"]))
        for resource, d in (("Patient", defect), ("Encounter", encounter_defect), ("Condition", condition_defect),
                            ("Observation", observation_defect)):
            out.defects[resource] += _count(d)
    else:
        for resource, lines, d in (("Patient", patient_json, defect), ("Encounter", encounter_json, encounter_defect),
                                   ("Condition", condition_json, condition_defect),
                                   ("Observation", observation_json, observation_defect)):
            out.add(resource, _broken_json(lines, d), _count(d))
    return out


def _nik_as_sent(world: _World, person: pl.Series, defect: pl.Series) -> pl.Series:
    nik = world.people.nik.gather(person)
    return pl.select(pl.when(defect == "nik_malformed").then(nik.str.slice(0, 15)).otherwise(nik)).to_series()


def _entries(resources: pl.Series, resource_type: str, uuid: pl.Series, identifier: pl.Series,
             method: str = "POST") -> list[str]:
    """Bundle entries: POST with ifNoneExist, or a conditional PUT on the business identifier (re-sends)."""
    if method == "POST":
        request = (f'{{"method":"POST","url":"{resource_type}","ifNoneExist":"identifier=', '"}')
    else:
        request = (f'{{"method":"PUT","url":"{resource_type}?identifier=', '"}')
    frame = pl.DataFrame({"uuid": uuid, "resource": resources, "identifier": identifier})
    return frame.select(pl.concat_str(
        pl.lit('{"fullUrl":"urn:uuid:'), "uuid", pl.lit('","resource":'), "resource",
        pl.lit(',"request":' + request[0]), "identifier", pl.lit(request[1] + "}"),
    )).to_series().to_list()


def _render_resends(world: _World, look: _Lookups, due: pl.DataFrame, delivered: date, bundle: bool,
                    rng: np.random.Generator, present: pl.Series) -> _Day:
    """Re-sent resources due on ``delivered``: finished encounters and corrected diagnoses, without defects.

    ``present``: the people whose Patient entry the Bundle already carries (a fullUrl appears once).
    """
    out = _Day()
    if due.height == 0:
        return out
    frame = _encounter_frame(world, look, due, bundle).with_columns(status=pl.lit("finished"), dx1_shown=pl.col("dx1"))
    corrected = frame["resend"] == 2
    stamp_base = np.datetime64(delivered - timedelta(days=1), "s") + np.timedelta64(8 * 3600, "s")
    if bundle:
        stamp = _timestamps(np.datetime64(delivered, "s") + np.timedelta64(4 * 3600, "s")
                            + np.arange(frame.height) * np.timedelta64(2, "s"))
    else:
        stamp = _timestamps(stamp_base + rng.integers(0, 12 * 3600, frame.height).astype("timedelta64[s]"))
    frame = frame.with_columns(last_updated=stamp)
    none = pl.Series([None] * frame.height, dtype=pl.String)
    encounter_json = _encounters(frame, bundle, none, none)
    # a Bundle re-sends the whole visit (its references must resolve inside the Bundle); NDJSON only
    # the corrected primary diagnosis
    if bundle:
        conditions = _conditions_of(frame)
    else:
        conditions = _conditions_of(frame.filter(corrected)).filter(pl.col("rank") == 1)
    no = pl.Series([None] * conditions.height, dtype=pl.String)
    condition_json = _conditions(conditions, bundle, no, no)
    if bundle:
        patients = (frame.unique("person", keep="first", maintain_order=True)
                    .filter(~pl.col("person").is_in(present.implode())))
        nil = pl.Series([None] * patients.height, dtype=pl.String)
        out.entries += _entries(_patients(world, look, patients, bundle, nil), "Patient",
                                world.people.uuid.gather(patients["person"]),
                                NIK_SYSTEM + "|" + world.people.nik.gather(patients["person"]))
        out.entries += _entries(encounter_json, "Encounter", frame["enc_uuid"],
                                SYS_IDS + "/encounter/" + frame["org_id"] + "|" + frame["enc_no"], method="PUT")
        out.entries += _entries(condition_json, "Condition", conditions["cond_uuid"],
                                SYS_IDS + "/condition/" + conditions["org_id"] + "|" + conditions["enc_no"] + "-DX"
                                + conditions["rank"].cast(pl.String), method="PUT")
    else:
        out.add("Encounter", encounter_json.filter(~corrected), 0)
        out.add("Condition", condition_json, 0)
    return out


def _bundle_bytes(entries: list[str], bundle_id: str, stamp: str) -> bytes:
    head = (f'{{"resourceType":"Bundle","id":"{bundle_id}","meta":{{"lastUpdated":"{stamp}"}},'
            f'"type":"transaction","timestamp":"{stamp}"')
    body = ',"entry":[' + ",".join(entries) + "]" if entries else ""
    return (head + body + "}").encode("utf-8")


# --- Reference resources (Organization, Location, Practitioner) --------------------------------


def _json(resource: dict) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


def _address(world: _World, f: _Faskes) -> dict:
    village = world.wilayah.kode[f.kelurahan].replace(".", "")
    return {
        "use": "work", "type": "both", "line": [f.street], "city": "Kota Baubau",
        "postalCode": _KECAMATAN[village[4:6]][1], "country": "ID",
        "extension": [{"url": ADMINISTRATIVE_CODE, "extension": [
            {"url": "province", "valueCode": village[:2]}, {"url": "city", "valueCode": village[:4]},
            {"url": "district", "valueCode": village[:6]}, {"url": "village", "valueCode": village},
        ]}],
    }


def _reference_resources(world: _World, kind: str, stamp: str) -> dict[str, list[dict]]:
    """Organization, Location and Practitioner resources of the RSUD (``rsud``) or the Puskesmas (``pkm``)."""
    out: dict[str, list[dict]] = {"Organization": [], "Location": [], "Practitioner": []}
    for number, f in enumerate(world.faskes):
        if f.kind != kind:
            continue
        out["Organization"].append({
            "resourceType": "Organization", "id": f.org_id,
            "meta": {"profile": [PROFILE + "Organization"], "lastUpdated": stamp},
            "identifier": [{"use": "official", "system": f"{SYS_IDS}/organization/{f.org_id}", "value": f.kode}],
            "active": True,
            "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "prov", "display": "Healthcare Provider"}]}],
            "name": f.name,
            "telecom": [{"system": "phone", "value": f.phone, "use": "work"}],
            "address": [_address(world, f)],
        })
        for unit in world.units:
            if unit.faskes != number:
                continue
            out["Location"].append({
                "resourceType": "Location", "id": unit.location_id,
                "meta": {"profile": [PROFILE + "Location"], "lastUpdated": stamp},
                "identifier": [{"system": f"{SYS_IDS}/location/{f.org_id}", "value": unit.code}],
                "status": "active", "name": unit.name, "description": f"{unit.name}, {f.short}", "mode": "instance",
                "physicalType": {"coding": [{"system": PHYSICAL_TYPE, "code": unit.physical,
                                             "display": "Room" if unit.physical == "ro" else "Ward"}]},
                "address": _address(world, f),
                "position": {"longitude": f.longitude, "latitude": f.latitude, "altitude": 0},
                "managingOrganization": {"reference": f"Organization/{f.org_id}"},
            })
    practitioners = world.practitioners
    for index in range(len(practitioners.id)):
        if world.faskes[practitioners.faskes[index]].kind != kind:
            continue
        out["Practitioner"].append({
            "resourceType": "Practitioner", "id": practitioners.id[index],
            "meta": {"profile": [PROFILE + "Practitioner"], "lastUpdated": stamp},
            "identifier": [{"use": "official", "system": NAKES_SYSTEM, "value": practitioners.id[index]},
                           {"use": "official", "system": NIK_SYSTEM, "value": practitioners.nik[index]}],
            "active": True,
            "name": [{"use": "official", "text": practitioners.name[index]}],
            "gender": "female" if practitioners.female[index] else "male",
            "birthDate": str(practitioners.birth[index]),
        })
    return out


def _write_references(run: _Run, world: _World, first_delivery: date) -> list[GeneratedFile]:
    stamp = f"{first_delivery.isoformat()}T00:30:00+08:00"
    files = []
    rsud = _reference_resources(world, "rsud", stamp)
    entries = [
        _json({"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r,
               "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}})
        for resources in rsud.values() for r in resources
    ]
    key = f"simrs/fhir/{first_delivery.isoformat()}/rsud-referensi-bundle.json"
    run.save(key, _bundle_bytes(entries, _uuids(run.rng("bundle-id", "referensi"), 1)[0], stamp))
    run.report("fhir_bundle", len(entries))
    files.append(GeneratedFile(key, "fhir_bundle", len(entries), 0))
    for resource, items in _reference_resources(world, "pkm", stamp).items():
        key = f"puskesmas/fhir/{first_delivery.isoformat()}/{resource}.ndjson"
        files.append(_ndjson(run, key, "fhir_ndjson", [_json(r) for r in items], 0))
    return files


# --- BPJS claims and Dinkes recap --------------------------------------------------------------


_KLAIM_COLUMNS = (
    "NO_SEP", "TGL_SEP", "TGL_PULANG", "KODE_FASKES", "NAMA_FASKES", "NO_KARTU", "NIK", "NAMA_PESERTA", "TGL_LAHIR",
    "JENIS_KELAMIN", "JENIS_PELAYANAN", "KELAS_RAWAT", "POLI", "DIAGNOSA_ICD10", "DIAGNOSA_SEKUNDER", "KODE_INACBG",
    "DESKRIPSI_INACBG", "TARIF_INACBG", "STATUS_KLAIM",
)


def _claim_rows(world: _World, visits: pl.DataFrame) -> pl.DataFrame:
    """The RSUD's BPJS visits of a service day, as the data a claim is made of."""
    rsud = visits.filter((pl.col("faskes") == world.rsud) & pl.col("bpjs"))
    return rsud.select("sep", "person", "klass", "unit", "dx1", "dx2", "arrived", "finished")


def _write_klaim(run: _Run, world: _World, month: date, rows: list[pl.DataFrame]) -> GeneratedFile:
    """One month of the RSUD's BPJS claims (by discharge date), as the verification export lists them."""
    rng = run.rng("klaim", month.isoformat())
    claims = pl.concat(rows).sort("finished", "sep")
    n = claims.height
    people = world.people
    person = claims["person"].to_numpy()
    dx1 = claims["dx1"].to_numpy()
    inpatient = claims["klass"].to_numpy() == IMP
    severity = rng.choice(3, n, p=_SEVERITY_SHARE)
    kelas = rng.choice(3, n, p=_KELAS_SHARE)
    group = np.where(inpatient, np.array([dx.cbg_ri or "K-4-17-I" for dx in _DIAGNOSES])[dx1],
                     np.array([dx.cbg_rj for dx in _DIAGNOSES])[dx1])
    code = [g.rsplit("-", 1)[0] + "-" + _SEVERITY[v] if ip else g
            for g, v, ip in zip(group, severity, inpatient, strict=True)]
    description = [_INACBG[g][0].rsplit(" ", 1)[0] + " " + _SEVERITY_DESCRIPTION[v] if ip else _INACBG[g][0]
                   for g, v, ip in zip(group, severity, inpatient, strict=True)]
    tariff = np.array([_INACBG[g][1] for g in group], dtype=float)
    tariff *= np.where(inpatient, np.array(_SEVERITY_FACTOR)[severity] * np.array(_KELAS_FACTOR)[kelas], 1.0)
    poli = pl.Series([_POLI_BPJS.get(u.code, "") for u in world.units]).gather(claims["unit"])
    dx_codes = pl.Series([*_DX_CODE, ""])
    frame = pl.DataFrame({
        "NO_SEP": claims["sep"],
        "TGL_SEP": claims["arrived"].dt.strftime("%d/%m/%Y"),
        "TGL_PULANG": claims["finished"].dt.strftime("%d/%m/%Y"),
        "KODE_FASKES": pl.Series([_BPJS_KODE_RSUD] * n, dtype=pl.String),
        "NAMA_FASKES": pl.Series([_BPJS_NAMA_RSUD] * n, dtype=pl.String),
        "NO_KARTU": people.kartu.gather(claims["person"]),
        "NIK": people.nik.gather(claims["person"]),
        "NAMA_PESERTA": people.name.gather(claims["person"]).str.to_uppercase(),
        "TGL_LAHIR": pl.Series(people.birth[person].astype("datetime64[ms]")).dt.strftime("%d/%m/%Y"),
        "JENIS_KELAMIN": pl.Series(np.where(people.female[person], "P", "L"), dtype=pl.String),
        "JENIS_PELAYANAN": pl.Series(np.where(inpatient, "RITL", "RJTL"), dtype=pl.String),
        "KELAS_RAWAT": pl.Series(np.where(inpatient, kelas + 1, 3).astype(str), dtype=pl.String),
        "POLI": pl.Series(np.where(inpatient, "", poli.to_numpy()), dtype=pl.String).replace("", None),
        "DIAGNOSA_ICD10": dx_codes.gather(claims["dx1"]),
        "DIAGNOSA_SEKUNDER": dx_codes.gather(claims["dx2"].replace(-1, len(_DX_CODE))).replace("", None),
        "KODE_INACBG": pl.Series(code, dtype=pl.String),
        "DESKRIPSI_INACBG": pl.Series(description, dtype=pl.String),
        "TARIF_INACBG": pl.Series(np.round(tariff, -2).astype(np.int64)),
        "STATUS_KLAIM": pl.Series(_STATUS_KLAIM).gather(rng.choice(len(_STATUS_KLAIM), n, p=_STATUS_SHARE)),
    })
    # duplicated NO_SEP: a claim exported twice, the copy still PENDING (a planted defect)
    duplicate = np.flatnonzero(rng.random(n) < run.defect_rate)
    if len(duplicate):
        order = np.concatenate([np.arange(n), duplicate]).argsort(kind="stable")
        frame = pl.concat([frame, frame[duplicate].with_columns(STATUS_KLAIM=pl.lit("PENDING"))])[order]
    delivered = (month.replace(day=28) + timedelta(days=4)).replace(day=15)
    key = f"bpjs/klaim/{delivered.isoformat()}/klaim_jkn_{month.strftime('%Y-%m')}.csv"
    written = write_csv(run.out_dir / key, [frame])
    run.report("klaim_jkn", written)
    return GeneratedFile(key, "klaim_jkn", written, len(duplicate))


_BULAN = ("JANUARI", "FEBRUARI", "MARET", "APRIL", "MEI", "JUNI", "JULI", "AGUSTUS", "SEPTEMBER", "OKTOBER",
          "NOVEMBER", "DESEMBER")
REKAP_HEADER = ("NO", "NAMA PUSKESMAS", "KECAMATAN", "POLI UMUM", "POLI KIA", "POLI GIGI", "POLI LANSIA", "UGD",
                "RAWAT INAP", "BPJS", "UMUM", "JUMLAH KUNJUNGAN")


def _write_rekap(run: _Run, world: _World, month: date, counts: np.ndarray) -> GeneratedFile:
    """The Dinkes monthly recap, as staff make it: title block, two header rows, totals, signature."""
    delivered = (month.replace(day=28) + timedelta(days=4)).replace(day=5)
    kecamatan = world.wilayah.kecamatan_nama
    rows: list[list[object]] = [
        ["PEMERINTAH KOTA BAUBAU"],
        ["DINAS KESEHATAN"],
        [f"REKAPITULASI KUNJUNGAN PUSKESMAS BULAN {_BULAN[month.month - 1]} {month.year}"],
        [],
        ["NO", "NAMA PUSKESMAS", "KECAMATAN", "KUNJUNGAN RAWAT JALAN", None, None, None, "UGD", "RAWAT INAP",
         "PENJAMIN", None, "JUMLAH KUNJUNGAN"],
        list(REKAP_HEADER),
    ]
    pkm = [number for number, f in enumerate(world.faskes) if f.kind == "pkm"]
    for row, number in enumerate(pkm, start=1):
        f = world.faskes[number]
        by_unit = [int(v) for v in counts[number, :6]]
        rows.append([row, f.name.upper(), kecamatan[world.wilayah.kode[f.kelurahan][6:8]], *by_unit,
                     int(counts[number, 6]), int(counts[number, 7]), sum(by_unit)])
    total = counts[pkm].sum(axis=0)
    rows.append([None, "JUMLAH", None, *[int(v) for v in total[:8]], int(total[:6].sum())])
    signature = [None] * 8
    rows += [
        [],
        [*signature, f"Baubau, {delivered.day} {_BULAN[delivered.month - 1].title()} {delivered.year}"],
        [*signature, "KEPALA DINAS KESEHATAN"],
        [],
        [],
        [*signature, "dr. Wa Ode Salmia Karim, M.Kes"],  # a made-up official
    ]
    key = f"dinkes/rekap_kunjungan/{delivered.isoformat()}/rekap_kunjungan_puskesmas_{month.strftime('%Y-%m')}.xlsx"
    stamp = datetime(delivered.year, delivered.month, delivered.day, 10, 0)
    run.save(key, xlsx_bytes(f"REKAP {_BULAN[month.month - 1]}", rows, stamp))
    run.report("rekap_kunjungan", len(pkm))
    return GeneratedFile(key, "rekap_kunjungan", len(pkm), 0)


def _rekap_add(world: _World, counts: np.ndarray, visits: pl.DataFrame) -> None:
    """Count Puskesmas visits per unit column (0–5) and payer (6 BPJS, 7 UMUM)."""
    pkm = visits.filter(pl.col("faskes") != world.rsud)
    unit_column = np.array([_REKAP_UNITS.index(u.code) if u.code in _REKAP_UNITS else 0 for u in world.units])
    faskes = pkm["faskes"].to_numpy()
    np.add.at(counts, (faskes, unit_column[pkm["unit"].to_numpy()]), 1)
    np.add.at(counts, (faskes, np.where(pkm["bpjs"].to_numpy(), 6, 7)), 1)


# --- Bad deliveries ----------------------------------------------------------------------------


def _truncated(data: bytes) -> tuple[bytes, int]:
    """An upload cut off mid-line: no trailing newline, the last line incomplete."""
    middle = len(data) * 3 // 5
    start = data.rfind(b"\n", 0, middle) + 1
    end = data.find(b"\n", middle)
    end = len(data) - 1 if end < 0 else end
    cut = max(start + 1, (start + end) // 2)
    return data[:cut], data[:start].count(b"\n")


def _gateway_error(delivered: date) -> bytes:
    """What the SIMRS bridge saved when the gateway timed out: an HTML page named .json."""
    return (
        "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
        "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\r\n"
        f"<!-- bridging-satusehat {delivered.isoformat()}T02:14:07+08:00 -->\r\n</body>\r\n</html>\r\n"
    ).encode("ascii")


# --- Public API --------------------------------------------------------------------------------


def generate_health(
    out_dir: Path,
    year: int = 2025,
    start: date | None = None,
    days: int = 365,
    scale: float = 1.0,
    seed: int = 42,
    defect_rate: float = 0.01,
    bad_files: bool = True,
    progress: Progress | None = None,
) -> list[GeneratedFile]:
    """Write ``days`` service days of health extracts from ``start`` (1 January of ``year``) under ``out_dir``.

    ``scale`` 1.0 is a realistic Kota Baubau year: 170 000 residents, about 290 000 outpatient
    visits (215 000 at the Puskesmas, 75 000 at the RSUD), 10 500 emergency visits and 5 500
    inpatient stays. Each FHIR resource and claim row carries a planted defect with chance
    ``defect_rate``; with ``bad_files`` one NDJSON file is truncated and one Bundle re-delivery is
    not JSON. Monthly files cover the days of their month inside the range (a partial month gives
    a partial file). ``progress(label, n)`` is called with the resources or rows just written.
    Returns the files sorted by key.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if not 0 <= defect_rate <= 1:
        raise ValueError(f"defect_rate must be between 0 and 1, got {defect_rate}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    start = start or date(year, 1, 1)
    run = _Run(Path(out_dir), seed, defect_rate, progress)
    world = _world(run, scale, start)
    look = _lookups(world)
    ledger = _Ledger()
    first_delivery = start + timedelta(days=1)
    last_day = start + timedelta(days=days - 1)
    last_delivery = last_day + timedelta(days=1)
    bad_day = start + timedelta(days=days // 2)
    files = _write_references(run, world, first_delivery)
    claims: list[pl.DataFrame] = []
    counts = np.zeros((len(world.faskes), 8), dtype=np.int64)

    for offset in range(-_MAX_STAY, days):
        day = start + timedelta(days=offset)
        admitted = _number(run, world, ledger, _admissions(run, world, day, scale), day)
        for discharge, group in admitted.group_by(pl.col("finished").dt.date(), maintain_order=True):
            ledger.inpatients[discharge[0]].append(group)
        if offset < 0:
            continue
        delivered = day + timedelta(days=1)
        outpatients = _number(run, world, ledger, _outpatient_day(run, world, day, scale), day)
        discharged = ledger.inpatients.pop(day, [])
        visits = pl.concat([outpatients.select(admitted.columns), *discharged]) if discharged else outpatients
        visits = _plan_resends(run, visits.sort("faskes", "klass", "enc_no"), delivered, last_delivery)
        for resend_on, group in visits.filter(pl.col("resend") > 0).group_by("resend_on", maintain_order=True):
            ledger.resends[resend_on[0]].append(group)
        due = ledger.resends.pop(delivered, [])
        due_frame = pl.concat(due) if due else visits.clear()
        files += _deliver_day(run, world, look, visits, due_frame, day, delivered, bad_files and day == bad_day)
        claims.append(_claim_rows(world, visits))
        _rekap_add(world, counts, visits)
        if (day + timedelta(days=1)).month != day.month or day == last_day:
            month = day.replace(day=1)
            files.append(_write_klaim(run, world, month, claims))
            files.append(_write_rekap(run, world, month, counts))
            claims = []
            counts[:] = 0
    return sorted(files, key=lambda generated: generated.key)


def _deliver_day(run: _Run, world: _World, look: _Lookups, visits: pl.DataFrame, due: pl.DataFrame, day: date,
                 delivered: date, bad: bool) -> list[GeneratedFile]:
    """Write one delivery: the RSUD bundle and the Puskesmas NDJSON files (with the re-sends due)."""
    files = []
    is_rsud = pl.col("faskes") == world.rsud
    folder = delivered.isoformat()
    # RSUD SIMRS bundle
    label = f"rsud-{day.isoformat()}"
    original = _render(run, world, look, visits.filter(is_rsud), day, delivered, True, label)
    resent = _render_resends(world, look, due.filter(is_rsud), delivered, True, run.rng("resend-stamp", label),
                             visits.filter(is_rsud)["person"])
    entries = original.entries + resent.entries
    stamp = f"{folder}T01:00:00+08:00"
    key = f"simrs/fhir/{folder}/rsud-{day.strftime('%Y%m%d')}-bundle.json"
    data = _bundle_bytes(entries, _uuids(run.rng("bundle-id", label), 1)[0], stamp)
    run.save(key, data)
    run.report("fhir_bundle", len(entries))
    files.append(GeneratedFile(key, "fhir_bundle", len(entries), sum(original.defects.values())))
    if bad:
        later = delivered + timedelta(days=2)
        bad_key = f"simrs/fhir/{later.isoformat()}/rsud-{day.strftime('%Y%m%d')}-bundle.json"
        run.save(bad_key, _gateway_error(later))
        run.report("fhir_bundle", 0)
        files.append(GeneratedFile(bad_key, "fhir_bundle", 0, 0, "bad_file"))
    # Puskesmas NDJSON per resource type
    label = f"pkm-{day.isoformat()}"
    original = _render(run, world, look, visits.filter(~is_rsud), day, delivered, False, label)
    resent = _render_resends(world, look, due.filter(~is_rsud), delivered, False, run.rng("resend-stamp", label),
                             visits["person"].clear())
    for resource in _DAILY_TYPES:
        lines = original.lines[resource] + resent.lines[resource]
        key = f"puskesmas/fhir/{folder}/{resource}.ndjson"
        if bad and resource == "Observation":
            data, rows = _truncated("".join(line + "\n" for line in lines).encode("utf-8"))
            run.save(key, data)
            run.report("fhir_ndjson", rows)
            files.append(GeneratedFile(key, "fhir_ndjson", rows, 0, "bad_file"))
            continue
        files.append(_ndjson(run, key, "fhir_ndjson", lines, original.defects[resource]))
    return files


def scale_for_encounters(n: int, days: int = 365, start: date | None = None, year: int = 2025) -> float:
    """The scale at which about ``n`` encounters are delivered over ``days`` service days from ``start``.

    Every volume is linear in the scale, so this divides by the expected count at scale 1 (the
    same rates, weekday, season and chronic-control schedule the generator uses).
    """
    return n / _expected_encounters(days, start or date(year, 1, 1))


def _expected_encounters(days: int, start: date) -> float:
    """Encounters expected at scale 1 (all Puskesmas together, rural ones with UGD and beds)."""
    rural = sum(1 for _, _, is_rural in _PUSKESMAS if is_rural)
    total = 0.0
    for offset in range(days):
        day = start + timedelta(days=offset)
        kind = _day_kind(day)
        volume = _volume_factor(day.month)
        total += (_PKM_AMB_PER_DAY * _WEEKDAY_AMB["pkm"][kind] + _RS_AMB_PER_DAY * _WEEKDAY_AMB["rsud"][kind]) * volume
        total += (_RS_EMER_PER_DAY + rural * _PKM_EMER_PER_DAY) * _WEEKDAY_EMER[kind] * volume
        total += (_RS_IMP_PER_DAY + rural * _PKM_IMP_PER_DAY) * _WEEKDAY_IMP[kind] * _volume_factor(day.month)
        if _day_slot(day) >= 0:
            total += _CHRONIC / _CHRONIC_SLOTS * _CHRONIC_ATTENDANCE
    return total


# --- Raw identifiers (for the privacy leak test) -----------------------------------------------

_PATTERNS = {
    "nik": re.compile(r'"system":"' + re.escape(NIK_SYSTEM) + r'","value":"([^"]+)"'),
    "ihs": re.compile(r'"system":"' + re.escape(IHS_SYSTEM) + r'","value":"([^"]+)"|"Patient/(P\d+)"|"id":"(P\d{11})"'),
    "mr": re.compile(r'"system":"' + re.escape(SYS_IDS) + r'/mr/[^"]*","value":"([^"]+)"'),
    "nama": re.compile(r'"resourceType":"Patient".*?"name":\[\{"use":"official","text":"([^"]+)"'
                       r'|"subject":\{"reference":"[^"]*","display":"([^"]+)"'),
    "telepon": re.compile(r'"system":"phone","value":"([^"]+)","use":"mobile"'),
}


def raw_identifiers(out_dir: Path, files: list[GeneratedFile]) -> dict[str, set[str]]:
    """Every raw identifier written to the landing files, parsed back from them.

    Keys: ``nik`` (patients' and practitioners'), ``ihs`` (IHS numbers, also as Patient ids and in
    references), ``mr`` (medical-record numbers), ``sep``, ``no_kartu`` (JKN card), ``nama``
    (patient names as written, including the upper-case form of the claims) and ``telepon``.
    Lines or files that are not valid JSON are scanned with patterns instead of parsed.
    """
    found: dict[str, set[str]] = {k: set() for k in ("nik", "ihs", "mr", "sep", "no_kartu", "nama", "telepon")}
    for f in files:
        path = Path(out_dir) / f.key
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle, delimiter=";"):
                    for column, target in (("NO_SEP", "sep"), ("NIK", "nik"), ("NO_KARTU", "no_kartu"),
                                           ("NAMA_PESERTA", "nama")):
                        if row.get(column):
                            found[target].add(row[column])
        elif path.suffix == ".ndjson":
            for line in path.read_text(encoding="utf-8").splitlines():
                _collect_text(line, found)
        elif path.suffix == ".json":
            _collect_text(path.read_text(encoding="utf-8"), found)
    return found


def _collect_text(text: str, found: dict[str, set[str]]) -> None:
    try:
        document = json.loads(text)
    except ValueError:
        for target, pattern in _PATTERNS.items():
            for match in pattern.finditer(text):
                found[target].update(group for group in match.groups() if group)
        return
    if isinstance(document, dict) and document.get("resourceType") == "Bundle":
        for entry in document.get("entry", []):
            _collect_resource(entry.get("resource", {}), found)
    elif isinstance(document, dict):
        _collect_resource(document, found)


def _collect_resource(resource: dict, found: dict[str, set[str]]) -> None:
    for identifier in resource.get("identifier", []):
        system, value = identifier.get("system", ""), identifier.get("value")
        if not value:
            continue
        if system == NIK_SYSTEM:
            found["nik"].add(value)
        elif system == IHS_SYSTEM:
            found["ihs"].add(value)
        elif system.startswith(f"{SYS_IDS}/mr/"):
            found["mr"].add(value)
    if resource.get("resourceType") == "Patient":
        if resource.get("id"):
            found["ihs"].add(resource["id"])
        for name in resource.get("name", []):
            if name.get("text"):
                found["nama"].add(name["text"])
        for telecom in resource.get("telecom", []):
            if telecom.get("system") == "phone":
                found["telepon"].add(telecom["value"])
    subject = resource.get("subject") or {}
    reference = subject.get("reference", "")
    if reference.startswith("Patient/"):
        found["ihs"].add(reference.removeprefix("Patient/"))
    if subject.get("display") and resource.get("resourceType") != "Observation":
        found["nama"].add(subject["display"])

