"""Human-readable quality reports: an HTML page per validation for stewards, and a plain-text
note per delivered file for the OPD that sent it ("berkas X: 12 baris …, mis. 'Wolyo' di baris 88").

The steward page goes to the lake (``quality/laporan/…``) and to the local state folder so the
Dagster UI can link it; the OPD note goes next to their delivery in the landing bucket under
``_umpan_balik/`` (a prefix no dataset reads, so it is never mistaken for a delivery).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from ingest import ledger
from quality.gate import GateReport
from satudata import objectstore
from satudata.duck import connect
from satudata.settings import Settings

FEEDBACK_PREFIX = "_umpan_balik/"

RULE_TEXT = {
    "wajib_diisi": "kolom wajib kosong",
    "minimum": "nilai di bawah batas minimum",
    "maksimum": "nilai di atas batas maksimum",
    "nilai_diizinkan": "nilai di luar daftar yang diizinkan",
    "format": "format tidak sesuai",
    "tidak_di_masa_depan": "tanggal di masa depan",
    "struktur_baris": "jumlah kolom pada baris tidak sesuai header",
    "periode_berkas": "baris dari periode lain",
    "kunci_ganda": "kunci data ganda di berkas yang sama",
}


def _rule_text(rule: str) -> str:
    if rule.startswith("tipe_"):
        return "nilai tidak dapat dibaca sebagai " + rule[5:]
    if rule.startswith("referensi_"):
        return "kode/nama wilayah atau referensi tidak dikenal"
    return RULE_TEXT.get(rule, rule)


def quarantine_summary(settings: Settings, entry: ledger.LedgerEntry) -> list[dict[str, object]]:
    """Per failed rule of one delivery: count and the first example (row, column, value, reason)."""
    if not entry.objek_karantina:
        return []
    con = connect(settings)
    rows = con.execute(
        "SELECT _aturan, count(*), arg_min(_baris, _baris), arg_min(_kolom, _baris), arg_min(_nilai, _baris), "
        f"arg_min(_alasan, _baris) FROM read_parquet('{settings.lake_uri(entry.objek_karantina)}') GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    return [dict(zip(("aturan", "jumlah", "baris", "kolom", "nilai", "alasan"), r)) for r in rows]


def opd_feedback(settings: Settings, entry: ledger.LedgerEntry) -> str | None:
    """The note for the OPD about one delivery, or None when there is nothing to fix."""
    name = entry.berkas.rsplit("/", 1)[-1]
    if entry.status == ledger.STATUS_REJECTED:
        reason = entry.pesan.split(": ", 1)[-1] if entry.pesan else ""
        return (f"Berkas {name} ditolak seluruhnya dan belum dimuat: {reason}.\n"
                "Mohon perbaiki lalu kirim ulang berkas yang lengkap.\n")
    summary = quarantine_summary(settings, entry)
    if not summary:
        return None
    lines = [f"Berkas {name}: {entry.baris_dimuat:,} dari {entry.baris_dibaca:,} baris dimuat; "
             f"{entry.baris_karantina:,} baris perlu diperbaiki:"]
    for s in summary:
        example = f"mis. '{s['nilai']}' di baris {s['baris']}" if s["nilai"] is not None else f"mis. baris {s['baris']}"
        column = f" (kolom {s['kolom']})" if s["kolom"] else ""
        lines.append(f"- {s['jumlah']:,} baris: {_rule_text(str(s['aturan']))}{column}, {example} — {s['alasan']}")
    lines.append("Kirim ulang berkas periode ini yang sudah diperbaiki; berkas baru menggantikan periode yang sama.")
    return "\n".join(lines) + "\n"


def write_opd_feedback(settings: Settings, entry: ledger.LedgerEntry) -> str | None:
    text = opd_feedback(settings, entry)
    if text is None:
        return None
    key = f"{FEEDBACK_PREFIX}{entry.berkas}.txt"
    objectstore.put_bytes(settings, settings.bucket_landing, key, text.encode(), "text/plain; charset=utf-8")
    return key


def render_html(report: GateReport) -> str:
    """A self-contained page: the verdict, then one row per check with observed value and samples."""
    verdict = "DIBLOKIR (ada pemeriksaan galat)" if report.blocked else "LULUS"
    color = "#b00020" if report.blocked else "#1b5e20"
    rows = []
    for o in report.outcomes:
        status = "lulus" if o.passed else ("GAGAL" if o.severity == "error" else "peringatan")
        cls = "ok" if o.passed else o.severity
        samples = html.escape(json.dumps(o.samples, ensure_ascii=False, default=str)) if o.samples else ""
        rows.append(
            f"<tr class='{cls}'><td>{html.escape(o.name)}</td><td>{status}</td><td>{o.severity}</td>"
            f"<td>{html.escape(o.description)}</td><td>{html.escape(json.dumps(o.observed, default=str))}</td>"
            f"<td>{'' if o.unexpected_count is None else o.unexpected_count}</td><td><code>{samples}</code></td></tr>"
        )
    deliveries = "".join(f"<li>{html.escape(p)}: {html.escape(k)}</li>" for p, k in report.deliveries.items())
    return f"""<!doctype html><html lang="id"><head><meta charset="utf-8">
<title>Laporan kualitas {html.escape(report.source)}.{html.escape(report.dataset)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}
tr.error td{{background:#fde0e0}}tr.warn td{{background:#fff4d6}}code{{font-size:85%}}</style></head><body>
<h1>Laporan kualitas data: {html.escape(report.source)} / {html.escape(report.dataset)}</h1>
<p>Diperiksa {html.escape(report.validated_at)} · periode: {', '.join(map(html.escape, report.periods)) or '-'} ·
<strong style="color:{color}">{verdict}</strong></p>
<p>Berkas per periode:</p><ul>{deliveries}</ul>
<table><tr><th>pemeriksaan</th><th>hasil</th><th>tingkat</th><th>aturan</th><th>nilai teramati</th><th>baris gagal</th><th>contoh</th></tr>
{''.join(rows)}</table></body></html>"""


def write_html(settings: Settings, report: GateReport) -> tuple[str, Path]:
    """Store the page in the lake and in ``<home>/laporan``; return (lake key, local path)."""
    page = render_html(report)
    stamp = report.validated_at.replace(":", "").replace("+0000", "Z")
    key = f"quality/laporan/{report.source}/{report.dataset}/{stamp}.html"
    objectstore.put_bytes(settings, settings.bucket_lake, key, page.encode(), "text/html; charset=utf-8")
    local = settings.home / "laporan" / report.source / f"{report.dataset}.html"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(page, encoding="utf-8")
    return key, local
