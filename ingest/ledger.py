"""The per-file ledger: what happened to every delivered file, stored in the lake.

One JSON object per landing object, at ``ledger/<landing key>.json``, so that "which deliveries are
still pending" is a comparison of two key listings and the ledger is queryable with DuckDB
(``read_json('s3://lake/ledger/**/*.json')``). Accounting: for a loaded file
``baris_dibaca = baris_dimuat + baris_karantina``. Statistical tables also report ``baris_agregat``:
cells of total and subtotal rows that matched the sum of their regions, checked and deliberately
not loaded (a total that does not match is quarantined and counted as read).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

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


def landed(settings: Settings, dataset: Dataset) -> list[str]:
    """Every landing key of a dataset (processed or not), oldest delivery first."""
    return sorted(k for k, _ in objectstore.list_keys(settings, settings.bucket_landing, dataset.landing_prefix))


def pending(settings: Settings, dataset: Dataset) -> list[str]:
    """Landing keys of a dataset that have no ledger entry yet, oldest delivery first."""
    done = {
        key[len(LEDGER_ROOT) : -len(".json")]
        for key, _ in objectstore.list_keys(settings, settings.bucket_lake, LEDGER_ROOT + dataset.landing_prefix)
    }
    return [k for k in landed(settings, dataset) if k not in done]


def receive(
    settings: Settings,
    dataset: Dataset,
    landing_key: str,
    known_sha: dict[str, str],
    load: Callable[[Path, Path, LedgerEntry], None],
) -> LedgerEntry:
    """Receive one landing object: download (hashing it), skip it as a duplicate or ``load`` it, record it.

    ``load(local_file, work_dir, entry)`` fills the entry's counts and raises
    :class:`ingest.readers.FileRejected` for a file that cannot be read; the message, naming the
    file, goes to the ledger and other files still load. The entry is written last, so a file
    without one is simply processed again.
    """
    from ingest.readers import FileRejected

    stat = objectstore.client(settings).stat_object(settings.bucket_landing, landing_key)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="satudata-ingest-") as tmp:
        work = Path(tmp)
        local = work / Path(landing_key).name
        sha = objectstore.download(settings, settings.bucket_landing, landing_key, local)
        entry = LedgerEntry(
            berkas=landing_key, dataset=dataset.name, sumber=dataset.source, sha256=sha, ukuran_byte=stat.size or 0,
            diterima_pada=stat.last_modified.isoformat() if stat.last_modified else now, diproses_pada=now,
            status=STATUS_LOADED,
        )
        if sha in known_sha:
            entry.status = STATUS_DUPLICATE
            entry.duplikat_dari = known_sha[sha]
            entry.pesan = f"isi sama persis dengan {known_sha[sha]}; tidak ada yang berubah"
        else:
            try:
                load(local, work, entry)
            except FileRejected as exc:
                entry.status = STATUS_REJECTED
                entry.pesan = f"{landing_key}: {exc}"
        write(settings, entry)
        return entry


def process(
    settings: Settings,
    dataset: Dataset,
    keys: list[str],
    load_one: Callable[[str, dict[str, str]], LedgerEntry],
    on_file: Callable[[LedgerEntry], None] | None = None,
    current_only: bool = False,
) -> list[LedgerEntry]:
    """Process landing files in order, whether or not the ledger has seen them.

    ``load_one(key, known)`` loads one file, where ``known`` maps sha256 → landing key of files
    whose bytes are already in bronze (a file with a known hash is a duplicate and changes nothing).
    With ``current_only`` only the delivery that currently states each period counts: re-sending
    an earlier, superseded version of a period (the good file after a bad correction) loads it
    again and restores that period. Reprocessing (a backfill) replays deliveries oldest first, so
    a period ends as its latest good delivery left it; their own earlier ledger entries do not make
    them duplicates of themselves.
    """
    if not keys:
        return []
    replay = set(keys)
    loaded = [e for e in entries(settings, dataset) if e.status == STATUS_LOADED and e.berkas not in replay]
    current: dict[str, LedgerEntry] = {}
    for e in loaded:  # in delivery order: the last delivery of a period is the one in bronze
        current[e.periode or e.berkas] = e
    known = {e.sha256: e.berkas for e in (current.values() if current_only else loaded)}
    results = []
    for key in keys:
        entry = load_one(key, known)
        if entry.status == STATUS_LOADED:
            superseded = current.get(entry.periode or entry.berkas)
            if current_only and superseded is not None and known.get(superseded.sha256) == superseded.berkas:
                del known[superseded.sha256]
            current[entry.periode or entry.berkas] = entry
            known[entry.sha256] = key
        results.append(entry)
        if on_file:
            on_file(entry)
    return results
