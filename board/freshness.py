"""Freshness and quality per dataset, the way stewards see them in Dagster.

For every declared dataset (and the FHIR feeds, which are not declarations but are in the same
ledger): when it last loaded, how often it is expected (its period grain), whether it is overdue
and by how many days (``quality.freshness.assess``, the rule of the ``kesegaran`` asset check,
computed for today), the latest gate verdict and the rows quarantined in its last delivery.

Loads and quarantine come from the ledger mart in the warehouse; the gate verdict from the
quality gate's status object in the lake (``quality/status/<source>/<dataset>.json``), the same
one that blocks dbt. When the object store cannot be reached the board still shows the
warehouse's ledger, which carries each delivery's check counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from board.format import angka, tanggal, waktu
from board.queries import Con
from ingest.fhir import FEEDS
from quality.freshness import assess
from satudata import objectstore
from satudata.contracts import load_datasets
from satudata.settings import Settings
from satudata.stack import port_open

FREKUENSI = {"day": "harian", "month": "bulanan", "year": "tahunan"}


@dataclass(frozen=True)
class Deklarasi:
    """What the board needs to know about one dataset, declared or a FHIR feed."""

    source: str
    name: str
    judul: str
    grain: str
    tenggat_hari: int | None = None
    gerbang: bool = True  # has a quality gate (FHIR feeds are checked at ingest only)


def daftar_dataset(settings: Settings) -> list[Deklarasi]:
    """Every declared dataset plus the FHIR feeds (one file per service day, so a daily grain)."""
    out = [
        Deklarasi(d.source, d.name, d.satu_data.judul or d.metadata.get("judul") or d.description or d.name,
                  d.period.grain, d.quality.tenggat_hari)
        for d in load_datasets(settings)
    ]
    out += [Deklarasi(f.source, f.name, f"FHIR {f.source.upper()}", "day", gerbang=False) for f in FEEDS]
    return out


def _lake_terjangkau(settings: Settings) -> bool:
    """A quick probe, so an unreachable store costs 0.3 s per refresh instead of the SDK's retries."""
    if not settings.s3_access_key:
        return False
    host, _, port = settings.s3_endpoint.rpartition(":")
    try:
        return port_open(int(port or (443 if settings.s3_secure else 80)), host or settings.s3_endpoint)
    except ValueError:
        return False


def status_gerbang(settings: Settings, datasets: list[Deklarasi]) -> dict[tuple[str, str], dict[str, Any]] | None:
    """The gate status object of each dataset, or None when the lake cannot be read."""
    if not _lake_terjangkau(settings):
        return None
    out: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        for d in datasets:
            if d.gerbang:
                doc = objectstore.get_json(settings, settings.bucket_lake, f"quality/status/{d.source}/{d.name}.json")
                if isinstance(doc, dict):
                    out[(d.source, d.name)] = doc
    except Exception:  # noqa: BLE001 - any failure to read the lake means: show the warehouse's view
        return None
    return out


def _teks_gerbang(doc: dict[str, Any]) -> str:
    failing = [o for o in doc.get("outcomes", []) if not o.get("passed")]
    errors = [o["name"] for o in failing if o.get("severity") == "error"]
    warns = [o["name"] for o in failing if o.get("severity") != "error"]
    if errors:
        return "diblokir: " + ", ".join(errors)
    if warns:
        return "peringatan: " + ", ".join(warns)
    return "lulus"


def _teks_buku_besar(row: pd.Series) -> str:
    if row.get("diblokir"):
        return "diblokir"
    if (row.get("gagal_galat") or 0) > 0:
        return f"gagal ({int(row['gagal_galat'])} pemeriksaan)"
    if (row.get("gagal_peringatan") or 0) > 0:
        return f"peringatan ({int(row['gagal_peringatan'])} pemeriksaan)"
    if (row.get("lulus") or 0) > 0:
        return "lulus"
    return "belum diperiksa"


def ringkasan_buku_besar(con: Con) -> pd.DataFrame:
    """Per dataset from the ledger: latest period and load, and the last delivery's rows.

    The last delivery is the latest landing date folder (``<source>/<dataset>/<date>/``), which
    for a daily FHIR export is all the files of that day. A table with year columns records its
    periods as ``2021,2022,…``; its latest is the largest of them.
    """
    return con.execute("""
        WITH berkas AS (
            SELECT *, split_part(berkas, '/', 3) AS tanggal_kirim FROM fct_buku_besar_berkas
        ),
        terakhir AS (
            SELECT sumber, dataset, max(tanggal_kirim) AS tanggal_kirim FROM berkas GROUP BY ALL
        ),
        pengiriman AS (
            SELECT b.sumber, b.dataset, any_value(b.tanggal_kirim) AS pengiriman_terakhir,
                   sum(b.baris_dibaca)::BIGINT AS dibaca_terakhir, sum(b.baris_karantina)::BIGINT AS karantina_terakhir,
                   count(*) FILTER (WHERE b.status = 'ditolak') AS ditolak_terakhir
            FROM berkas AS b JOIN terakhir USING (sumber, dataset, tanggal_kirim)
            GROUP BY ALL
        ),
        dimuat AS (
            SELECT sumber, dataset, max(list_max(string_split(periode, ','))) AS periode_terbaru, max(diproses_pada) AS dimuat_terakhir,
                   arg_max(pemeriksaan_lulus, diproses_pada) AS lulus,
                   arg_max(pemeriksaan_gagal_galat, diproses_pada) AS gagal_galat,
                   arg_max(pemeriksaan_gagal_peringatan, diproses_pada) AS gagal_peringatan,
                   arg_max(diblokir, diproses_pada) AS diblokir
            FROM berkas WHERE status = 'dimuat' GROUP BY ALL
        )
        SELECT * FROM pengiriman FULL JOIN dimuat USING (sumber, dataset)
    """).df()


def kesegaran(con: Con, settings: Settings, today: dt.date | None = None) -> tuple[pd.DataFrame, bool]:
    """The freshness table (most overdue first) and whether check verdicts came from the lake."""
    today = today or dt.date.today()  # the same clock as the kesegaran check in the quality gate
    datasets = daftar_dataset(settings)
    ledger = {(r.sumber, r.dataset): r for r in ringkasan_buku_besar(con).itertuples(index=False)}
    lake = status_gerbang(settings, datasets)
    rows = []
    for d in datasets:
        r = ledger.get((d.source, d.name))
        latest = getattr(r, "periode_terbaru", None) if r is not None else None
        latest = latest if isinstance(latest, str) else None
        state = assess(latest, d.grain, today, d.tenggat_hari)
        if lake is not None and (d.source, d.name) in lake:
            doc = lake[(d.source, d.name)]
            pemeriksaan = f"{_teks_gerbang(doc)} ({waktu(dt.datetime.fromisoformat(doc['validated_at']))})"
        elif not d.gerbang:
            pemeriksaan = "diperiksa saat dimuat (tanpa gerbang)"
        elif r is not None:
            pemeriksaan = _teks_buku_besar(pd.Series(r._asdict()))
        else:
            pemeriksaan = "belum diperiksa"
        dibaca = getattr(r, "dibaca_terakhir", None) if r is not None else None
        karantina = getattr(r, "karantina_terakhir", None) if r is not None else None
        ditolak = getattr(r, "ditolak_terakhir", 0) if r is not None else 0
        rows.append({
            "Dataset": d.judul,
            "Sumber": f"{d.source}/{d.name}",
            "Frekuensi": FREKUENSI[d.grain],
            "Periode terbaru": latest or "–",
            "Dimuat terakhir": waktu(_ts(getattr(r, "dimuat_terakhir", None))) if r is not None else "belum pernah",
            "Terlambat (hari)": state.days_late,
            "Kesegaran": f"terlambat {state.days_late} hari" if state.overdue else "tepat waktu",
            "Wajib ada": f"{state.latest_due} (tenggat {tanggal(state.due_date)})",
            "Pemeriksaan terakhir": pemeriksaan,
            "Karantina pengiriman terakhir": _teks_karantina(karantina, dibaca, ditolak),
            "Baris karantina": int(karantina) if _angka(karantina) else 0,
        })
    frame = pd.DataFrame(rows).sort_values(["Terlambat (hari)", "Dataset"], ascending=[False, True]).reset_index(drop=True)
    return frame, lake is not None


def _angka(value: Any) -> bool:
    return value is not None and not pd.isna(value)


def _ts(value: Any) -> dt.datetime | None:
    return None if not _angka(value) else pd.Timestamp(value).to_pydatetime()


def _teks_karantina(karantina: Any, dibaca: Any, ditolak: Any) -> str:
    if not _angka(dibaca):
        return "–"
    text = f"{angka(int(karantina))} dari {angka(int(dibaca))} baris"
    if _angka(ditolak) and int(ditolak):
        text += f"; {int(ditolak)} berkas ditolak"
    return text
