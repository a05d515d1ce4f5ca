"""Benchmark of FHIR → bronze (ingest.fhir) against DuckDB ``read_json`` of the same NDJSON.

Run as ``python benchmarks/bench_kesehatan.py [--encounters 1000000] [--days 365]``. Not a test.

It generates Puskesmas/RSUD FHIR for about ``--encounters`` encounters (with their patients,
conditions and observations) into ``.state/bench-kesehatan/gen``, then, in the same run:

- **ingest**: every FHIR file (NDJSON and Bundles) through ``ingest.fhir.parse_file`` — streaming
  parse, checks, pseudonymisation, staging Parquet — and the DuckDB typing step that writes the
  bronze Parquet, i.e. everything ``load_delivery`` does except the S3 transfer (the S3 leg is the
  same object upload every domain pays and is measured by ``bench_pajak``; S3 port 23333 is
  reserved for a later stack-backed variant);
- **baseline**: DuckDB ``COPY (SELECT * FROM read_json(<the NDJSON files>)) TO parquet`` — the
  cheapest way to turn the same NDJSON into Parquet, without checks or pseudonyms (Bundles have
  no line-oriented equivalent, so the ratio is over the NDJSON files only).

Prints resources/s, peak RSS (sampled VmRSS of this process, 50 ms) and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BENCH_HOME = REPO / ".state" / "bench-kesehatan"


class PeakRss:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def _rss(self) -> int:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def __enter__(self):
        self.peak = self._rss()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._rss())

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)

    import duckdb

    from ingest import fhir
    from ingest.generate.health import generate_health, scale_for_encounters
    from ingest.pseudonym import Pseudonymiser

    gen = BENCH_HOME / "gen"
    shutil.rmtree(gen, ignore_errors=True)
    gen.mkdir(parents=True)
    scale = scale_for_encounters(args.encounters, days=args.days)
    t0 = time.perf_counter()
    files = generate_health(gen, start=date(2025, 1, 1), days=args.days, scale=scale, defect_rate=0.01,
                            bad_files=False)
    gen_s = time.perf_counter() - t0
    fhir_files = sorted((f for f in files if "/fhir/" in f.key), key=lambda f: fhir._order(f.key))
    ndjson = [gen / f.key for f in fhir_files if f.key.endswith(".ndjson")]
    size = sum((gen / f.key).stat().st_size for f in fhir_files)
    print(f"generated {len(fhir_files)} FHIR files, {size / 2**20:.0f} MiB, scale {scale:.3f}, in {gen_s:.0f} s")

    pseudo = Pseudonymiser(os.environ.get("SATUDATA_PSEUDONYM_KEY", "bench-key-" + "x" * 32))
    patients: dict[str, str] = {}
    resources = ndjson_resources = encounters = 0
    ndjson_s = 0.0
    with PeakRss() as rss, tempfile.TemporaryDirectory(prefix="bench-fhir-") as tmp:
        start = time.perf_counter()
        con = duckdb.connect()
        for n, f in enumerate(fhir_files):
            t = time.perf_counter()
            work = Path(tmp) / str(n)
            work.mkdir()
            ctx = fhir.Context(pseudo=pseudo, day=fhir.service_day(f.key), source=f.key.split("/")[0],
                               patients=patients)
            result = fhir.parse_file(gen / f.key, "bundle" if f.key.endswith(".json") else "ndjson", ctx, work)
            lineage = "'x' AS _berkas_sumber, 'x' AS _sha256_berkas, _baris_berkas, now() AS _dimuat_pada"
            for kind, rows in result.rows.items():
                con.execute(f"COPY ({fhir._typed_select(kind, work / f'{kind}.parquet', lineage)}) "
                            f"TO '{work / (kind + '.bronze.parquet')}' (FORMAT parquet, COMPRESSION zstd)")
            resources += result.read
            encounters += result.rows.get("Encounter", 0)
            if f.key.endswith(".ndjson"):
                ndjson_resources += result.read
                ndjson_s += time.perf_counter() - t
            shutil.rmtree(work)
        ingest_s = time.perf_counter() - start
    ingest_mb = rss.mb

    with PeakRss() as rss2, tempfile.TemporaryDirectory(prefix="bench-duck-") as tmp:
        start = time.perf_counter()
        con = duckdb.connect()
        listing = ", ".join(f"'{p}'" for p in ndjson)
        con.execute(f"COPY (SELECT * FROM read_json([{listing}], format = 'newline_delimited', union_by_name = true, "
                    f"ignore_errors = true)) TO '{tmp}/all.parquet' (FORMAT parquet, COMPRESSION zstd)")
        baseline_s = time.perf_counter() - start
    print(f"encounters loaded         {encounters:>12,}")
    print(f"FHIR resources read       {resources:>12,}  in {ingest_s:8.1f} s  = {resources / ingest_s:>10,.0f} resources/s"
          f"  (peak RSS {ingest_mb:,.0f} MiB)")
    print(f"  of which NDJSON         {ndjson_resources:>12,}  in {ndjson_s:8.1f} s  = {ndjson_resources / ndjson_s:>10,.0f} resources/s")
    print(f"DuckDB read_json (NDJSON) {ndjson_resources:>12,}  in {baseline_s:8.1f} s  = "
          f"{ndjson_resources / baseline_s:>10,.0f} resources/s  (peak RSS {rss2.mb:,.0f} MiB)")
    print(f"ratio ingest/read_json (NDJSON, seconds) {ndjson_s / baseline_s:.1f}x")
    if not args.keep:
        shutil.rmtree(gen, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
