"""The per-file ledger: what happened to every delivered file, stored in the lake.

One JSON object per landing object, at ``ledger/<landing key>.json``, so that "which deliveries are
still pending" is a comparison of two key listings and the ledger is queryable with DuckDB
(``read_json('s3://lake/ledger/**/*.json')``). Accounting: for a loaded file
``baris_dibaca = baris_dimuat + baris_karantina``. Statistical tables also report ``baris_agregat``:
cells of total and subtotal rows that matched the sum of their regions, checked and deliberately
not loaded (a total that does not match is quarantined and counted as read).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from satudata import objectstore
from satudata.contracts import Dataset
from satudata.settings import Settings

LEDGER_ROOT = "ledger/"

STATUS_LOADED = "dimuat"
STATUS_REJECTED = "ditolak"
STATUS_DUPLICATE = "duplikat"


@dataclass
class LedgerEntry:
    berkas: str
    dataset: str
    sumber: str
    sha256: str
    ukuran_byte: int
    diterima_pada: str
    diproses_pada: str
    status: str
    baris_dibaca: int = 0
    baris_dimuat: int = 0
    baris_karantina: int = 0
    baris_agregat: int = 0
    karantina_per_aturan: dict[str, int] = field(default_factory=dict)
    periode: str | None = None
    objek_bronze: str | None = None
    objek_karantina: str | None = None
    pesan: str | None = None
    duplikat_dari: str | None = None
    # FHIR deliveries (ingest.fhir): rows loaded per resource type, and unknown types skipped (not read).
    dimuat_per_tipe: dict[str, int] = field(default_factory=dict)
    dilewati_per_tipe: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.status != STATUS_LOADED or self.baris_dibaca == self.baris_dimuat + self.baris_karantina


def ledger_key(landing_key: str) -> str:
    return f"{LEDGER_ROOT}{landing_key}.json"


def write(settings: Settings, entry: LedgerEntry) -> None:
    objectstore.put_json(settings, settings.bucket_lake, ledger_key(entry.berkas), asdict(entry))


def entries(settings: Settings, dataset: Dataset) -> list[LedgerEntry]:
    """Every ledger entry of a dataset, in delivery order."""
    prefix = LEDGER_ROOT + dataset.landing_prefix
    out = []
    for key, _ in objectstore.list_keys(settings, settings.bucket_lake, prefix):
        raw = objectstore.get_json(settings, settings.bucket_lake, key)
        if isinstance(raw, dict):
            out.append(LedgerEntry(**raw))
    return sorted(out, key=lambda e: e.berkas)


def pending(settings: Settings, dataset: Dataset) -> list[str]:
    """Landing keys of a dataset that have no ledger entry yet, oldest delivery first."""
    done = {
        key[len(LEDGER_ROOT) : -len(".json")]
        for key, _ in objectstore.list_keys(settings, settings.bucket_lake, LEDGER_ROOT + dataset.landing_prefix)
    }
    landed = [k for k, _ in objectstore.list_keys(settings, settings.bucket_landing, dataset.landing_prefix)]
    return sorted(k for k in landed if k not in done)
