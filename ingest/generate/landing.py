"""Deliver generated extracts to the landing bucket, the way the source systems would."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from ingest.generate.files import GeneratedFile
from ingest.generate.health import generate_health
from ingest.generate.opd import generate_opd
from ingest.generate.tax import generate_tax, scale_for_rows
from satudata import objectstore
from satudata.settings import Settings

CONTENT_TYPES = {
    ".csv": "text/csv",
    ".jsonl": "application/x-ndjson",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/fhir+json",
    ".ndjson": "application/fhir+ndjson",
}
HEALTH_DAYS = 60  # service days of health extracts in a demo delivery (a full year is `days=365`)


def generate_to_landing(
    settings: Settings,
    *,
    year: int = 2025,
    scale: float = 1.0,
    rows: int | None = None,
    seed: int = 42,
    defect_rate: float = 0.01,
    bad_files: bool = True,
    progress: Callable[[str, int], None] | None = None,
    health_days: int = HEALTH_DAYS,
    rekap_selisih: bool = False,
) -> list[GeneratedFile]:
    """Generate a city-year into a scratch folder, then upload every file to ``landing``.

    The year's tax extracts (Bapenda) and the OPD sectoral statistics (``opd/…``) are delivered
    together; ``scale`` and ``rows`` apply to the tax extracts (OPD tables are one row per region).
    ``rows`` (payment/receipt rows wanted) overrides ``scale``. The health extracts (RSUD FHIR
    Bundles, Puskesmas NDJSON, BPJS claims, Dinkes recaps) cover ``health_days`` service days from
    1 January at the same ``scale``, capped at 1.0 (a realistic Kota Baubau; larger tax scales are
    for tax benchmarks, and health has its own, ``benchmarks/bench_kesehatan.py``); 0 days skips them. Files are put under their
    ``<source>/<dataset>/<delivery date>/<file>`` keys; an existing key is overwritten with the
    same bytes (generation is deterministic), so running this twice delivers nothing new.
    ``rekap_selisih`` adds a PBB payment re-export that disagrees with its recap (see ``generate_tax``).
    """
    if rows is not None:
        scale = scale_for_rows(rows)
    with tempfile.TemporaryDirectory(prefix="satudata-generate-") as tmp:
        out = Path(tmp)
        files = generate_tax(out, year=year, scale=scale, seed=seed, defect_rate=defect_rate,
                             bad_files=bad_files, progress=progress, rekap_selisih=rekap_selisih)
        files += generate_opd(out, year=year, seed=seed, defect_rate=defect_rate, bad_files=bad_files,
                              progress=progress)
        if health_days > 0:
            files += generate_health(out, year=year, days=health_days, scale=min(scale, 1.0), seed=seed,
                                     defect_rate=defect_rate, bad_files=bad_files, progress=progress)
        for f in files:
            path = out / f.key
            objectstore.upload_file(settings, settings.bucket_landing, f.key, path,
                                    CONTENT_TYPES.get(path.suffix, "application/octet-stream"))
            if progress:
                progress(f"unggah {f.key}", 0)
    return files
