"""Benchmark of the pajak pipeline: landing → bronze ingest and the dbt build, against plain DuckDB.

Run as ``python benchmarks/bench_pajak.py [--rows 1000000 5000000] [--keep]`` (or ``make bench``).
Not a test: pytest only collects ``tests/``, and nothing here runs on import.

Why it is built this way:

- It runs on its OWN stack (``.state/bench``, S3 on port 22333), wiped per size, so it neither
  reads nor disturbs the demo or test stacks, and every size starts from an empty lake.
- The baseline is the cheapest thing that turns the same delivered files into Parquet in the lake:
  one DuckDB ``COPY read_csv/read_json → s3://lake/bench_baseline/`` per file, all text columns
  (our ingest reads text first and types in SQL, so ``all_varchar`` is the like-for-like floor).
  ``ratio`` = ingest seconds / baseline seconds over the same files: what the contract checks,
  quarantine, lineage and ledger cost on top of "just copy it".
- Peak RSS is sampled (VmRSS every 50 ms) per phase, because ``ru_maxrss`` only ever grows and
  would smear one phase's peak over the next. dbt runs as a child process, so its process tree is
  sampled; the SeaweedFS server is sampled separately (the S3 column), since it holds the bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # project modules are imported only after the environment points at the bench stack
    from satudata.contracts import Dataset
    from satudata.settings import Settings

REPO = Path(__file__).resolve().parent.parent
BENCH_HOME = REPO / ".state" / "bench"
BENCH_S3_PORT = 22333  # + its neighbours and +10000: all below Linux's ephemeral port range
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SAMPLE_SECONDS = 0.05
BASELINE_PREFIX = "bench_baseline"


# --- Memory sampling -----------------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    """Resident set size of one process from /proc (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, via /proc/<pid>/task/<tid>/children (cheap enough for 50 ms)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(child) for child in fh.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


class PeakRss:
    """Background thread that keeps the peak of the summed VmRSS of ``pids()`` while it runs."""

    def __init__(self, pids: Callable[[], Iterable[int]]) -> None:
        self._pids = pids
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.peak = 0

    def sample(self) -> None:
        self.peak = max(self.peak, sum(rss_bytes(p) for p in self._pids()))

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def __enter__(self) -> PeakRss:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


# --- Results ------------------------------------------------------------------------------------


@dataclass
class Phase:
    """One timed step; ``baseline_seconds`` is set where a like-for-like DuckDB copy was timed."""

    name: str
    rows: int
    seconds: float
    peak_rss_mb: float
    s3_peak_rss_mb: float
    baseline_seconds: float | None = None
    note: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.baseline_seconds if self.baseline_seconds else None


@dataclass
class Run:
    """All phases of one size, plus what is needed to compare runs across machines."""

    requested_rows: int
    phases: list[Phase] = field(default_factory=list)
    info: dict[str, object] = field(default_factory=dict)


@contextmanager
def measured(settings: Settings, pids: Callable[[], Iterable[int]] = lambda: [os.getpid()]) -> Iterator[dict[str, float]]:
    """Time a block and sample its RSS and the S3 server's; fills ``seconds``/``rss``/``s3`` on exit."""
    from satudata.stack import SeaweedS3

    s3_pid = SeaweedS3(settings).pid()
    out: dict[str, float] = {}
    with PeakRss(pids) as mine, PeakRss(lambda: [s3_pid] if s3_pid else []) as s3:
        start = time.perf_counter()
        try:
            yield out
        finally:
            out["seconds"] = time.perf_counter() - start
    out["rss"], out["s3"] = mine.peak_mb, s3.peak_mb


# --- Phases -------------------------------------------------------------------------------------


def fresh_stack() -> Settings:
    """Stop a stack left by ``--keep``, wipe the bench home, and start an empty one."""
    from satudata import stack
    from satudata.settings import get_settings

    stack.down(get_settings())
    shutil.rmtree(BENCH_HOME, ignore_errors=True)
    settings = stack.ensure_credentials(get_settings())
    stack.up(settings, only=("s3",))
    return settings


def generate(settings: Settings, rows: int, run: Run) -> None:
    """Deliver the extracts to landing (timed for the record; not part of any ratio)."""
    from ingest.generate.landing import generate_to_landing

    with measured(settings) as m:
        files = generate_to_landing(settings, rows=rows, bad_files=False, health_days=0)
    payment = sum(f.rows for f in files if f.dataset in ("pbb_pembayaran", "bphtb_transaksi", "sptpd", "retribusi"))
    run.info["files"] = len(files)
    run.info["payment_rows"] = payment
    run.phases.append(Phase("generate → landing", sum(f.rows for f in files), m["seconds"], m["rss"], m["s3"],
                            note=f"{len(files)} files, {payment} payment rows"))


def ingest(settings: Settings, datasets: list[Dataset], run: Run) -> dict[str, int]:
    """Landing → bronze per dataset; returns bronze rows per dataset (the dbt build's input)."""
    from ingest.bronze import load_pending

    loaded: dict[str, int] = {}
    read_total = 0
    with measured(settings) as total:
        for dataset in datasets:
            with measured(settings) as m:
                entries = load_pending(settings, dataset)
            read = sum(e.baris_dibaca for e in entries)
            loaded[dataset.name] = sum(e.baris_dimuat for e in entries)
            read_total += read
            statuses = sorted({e.status for e in entries})
            run.phases.append(Phase(f"  ingest {dataset.name}", read, m["seconds"], m["rss"], m["s3"],
                                    note=f"{len(entries)} files {','.join(statuses)}, {read - loaded[dataset.name]} quarantined"))
    run.phases.append(Phase("ingest landing → bronze", read_total, total["seconds"], total["rss"], total["s3"],
                            note=f"{sum(loaded.values())} rows to bronze"))
    return loaded


def validate(settings: Settings, datasets: list[Dataset], run: Run) -> None:
    """The quality gate over every loaded period, as the bronze assets run it; ratio = validate / ingest."""
    from quality.gate import _gx, _periods, validate as run_gate

    _gx()  # GX's import (seconds) is a per-process start-up cost, not per-partition work
    ingest_seconds = {p.name.strip().removeprefix("ingest "): p for p in run.phases if p.name.startswith("  ingest ")}
    total_seconds = 0.0
    for dataset in datasets:
        with measured(settings) as m:
            report = run_gate(settings, dataset, _periods(settings, dataset))
        total_seconds += m["seconds"]
        ingested = ingest_seconds[dataset.name]
        phase = Phase(f"  validate {dataset.name}", ingested.rows, m["seconds"], m["rss"], m["s3"],
                      note=f"{len(report.periods)} periods, {len(report.outcomes)} checks, "
                           f"validate/ingest {m['seconds'] / ingested.seconds:.2f}")
        run.phases.append(phase)
    ingest_total = next(p for p in run.phases if p.name == "ingest landing → bronze")
    run.info["ratio_validate_ingest"] = total_seconds / ingest_total.seconds
    run.phases.append(Phase("quality gate (GX + dataset checks)", ingest_total.rows, total_seconds,
                            max(p.peak_rss_mb for p in run.phases if p.name.startswith("  validate")),
                            max(p.s3_peak_rss_mb for p in run.phases if p.name.startswith("  validate")),
                            note=f"validate/ingest {total_seconds / ingest_total.seconds:.2f}"))


def dbt_build(settings: Settings, bronze_rows: int, run: Run) -> None:
    """``prepare`` then ``dbt build``, launched here (same command as ``satudata.dbt.run``) to sample its RSS."""
    from satudata import dbt

    with measured(settings) as m:
        dbt.prepare(settings)
    run.phases.append(Phase("dbt prepare (sources, parse)", 0, m["seconds"], m["rss"], m["s3"]))

    (settings.home / "dbt").mkdir(parents=True, exist_ok=True)
    log = settings.home / "logs" / "bench_dbt_build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    # Only the revenue models and what they are built from: the bench loads only the pajak datasets.
    command = [dbt.dbt_executable(), "build", "--select", "+tag:pajak", "--exclude", "tag:opd tag:kesehatan",
               "--project-dir", str(dbt.DBT_DIR), "--profiles-dir", str(dbt.DBT_DIR)]
    with open(log, "w") as out:
        proc = subprocess.Popen(command, cwd=dbt.DBT_DIR, env=dbt.dbt_env(settings), stdout=out, stderr=subprocess.STDOUT)
        with measured(settings, lambda: process_tree(proc.pid)) as m:
            proc.wait()
    note = f"log {log.relative_to(REPO)}"
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-15:])
        print(f"dbt build FAILED (exit {proc.returncode}):\n{tail}", file=sys.stderr)
        note = f"FAILED exit {proc.returncode}; {note}"
    run.phases.append(Phase("dbt build", bronze_rows, m["seconds"], m["rss"], m["s3"], note=note))


def _baseline_source(settings: Settings, dataset: Dataset, key: str, all_varchar: bool) -> str:
    """The DuckDB table function that reads one delivered file as plainly as DuckDB can."""
    uri = f"s3://{settings.bucket_landing}/{key}"
    if dataset.format.type == "csv":
        options = ", all_varchar = true" if all_varchar else ""
        delim = dataset.format.delimiter.replace("'", "''")
        return f"read_csv('{uri}', delim = '{delim}', header = true{options})"
    if all_varchar:
        columns = ", ".join(f"'{c.source}': 'VARCHAR'" for c in dataset.columns)
        return f"read_json('{uri}', format = 'newline_delimited', columns = {{{columns}}})"
    return f"read_json('{uri}', format = 'newline_delimited')"


def baseline(settings: Settings, datasets: list[Dataset], run: Run, all_varchar: bool) -> dict[str, float]:
    """Plain DuckDB COPY of every CSV/JSONL delivery to Parquet (zstd, like bronze); seconds per dataset.

    Failures (type sniffing tripping on a defect row) are recorded, not raised: whether DuckDB can
    read these files unaided at all is part of the answer.
    """
    import duckdb

    from satudata import objectstore
    from satudata.duck import connect

    label = "all_varchar" if all_varchar else "sniffed types"
    per_dataset: dict[str, float] = {}
    rows = 0
    errors: list[str] = []
    con = connect(settings)
    with measured(settings) as total:
        for dataset in datasets:
            if dataset.format.type == "xlsx":
                continue
            start = time.perf_counter()
            for key, _ in objectstore.list_keys(settings, settings.bucket_landing, dataset.landing_prefix):
                target = settings.lake_uri(f"{BASELINE_PREFIX}/{'text' if all_varchar else 'typed'}/{key}.parquet")
                sql = (f"COPY (SELECT * FROM {_baseline_source(settings, dataset, key, all_varchar)}) "
                       f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
                try:
                    result = con.execute(sql).fetchone()
                    rows += int(result[0]) if result else 0
                except duckdb.Error as exc:
                    errors.append(f"{key}: {str(exc).splitlines()[0]}")
            per_dataset[dataset.name] = time.perf_counter() - start
    con.close()
    note = "ok" if not errors else f"{len(errors)} files FAILED, e.g. {errors[0][:160]}"
    run.phases.append(Phase(f"baseline DuckDB COPY ({label})", rows, total["seconds"], total["rss"], total["s3"], note=note))
    run.info[f"baseline_{label.replace(' ', '_')}_errors"] = errors
    return per_dataset


def attach_baseline(run: Run, per_dataset: dict[str, float]) -> None:
    """Give each ingest row its baseline seconds; the total compares only files both sides read."""
    for phase in run.phases:
        name = phase.name.strip().removeprefix("ingest ")
        if phase.name.startswith("  ingest ") and name in per_dataset:
            phase.baseline_seconds = per_dataset[name]
    total = next(p for p in run.phases if p.name == "ingest landing → bronze")
    total.baseline_seconds = sum(per_dataset.values())
    comparable = sum(p.seconds for p in run.phases if p.baseline_seconds and p.name.startswith("  ingest "))
    run.info["ratio_same_files"] = comparable / total.baseline_seconds if total.baseline_seconds else None


# --- Report -------------------------------------------------------------------------------------


def table(run: Run) -> str:
    """Fixed-width text table; the ratio column is ingest seconds / baseline seconds."""
    header = f"{'phase':<36} {'rows':>10} {'seconds':>9} {'rows/s':>10} {'peak RSS MB':>11} {'S3 RSS MB':>9} {'base s':>8} {'ratio':>6}  note"
    load = run.info.get("loadavg_1_5_15_at_end")
    lines = [f"== bench_pajak: {run.requested_rows:,} payment/receipt rows requested; load average at end {load} ==",
             header, "-" * len(header)]
    for p in run.phases:
        base = f"{p.baseline_seconds:8.2f}" if p.baseline_seconds else f"{'':8}"
        ratio = f"{p.ratio:6.2f}" if p.ratio else f"{'':6}"
        rows_s = f"{p.rows_per_s:10,.0f}" if p.rows else f"{'':10}"
        lines.append(f"{p.name:<36} {p.rows:>10,} {p.seconds:9.2f} {rows_s} {p.peak_rss_mb:11.0f} "
                     f"{p.s3_peak_rss_mb:9.0f} {base} {ratio}  {p.note}")
    same = run.info.get("ratio_same_files")
    if isinstance(same, float):
        lines.append(f"ratio ingest/baseline over the same CSV/JSONL files (XLSX excluded): {same:.2f}")
    gate = run.info.get("ratio_validate_ingest")
    if isinstance(gate, float):
        lines.append(f"ratio quality-gate validation / ingest for the same partitions: {gate:.2f}")
    return "\n".join(lines)


def write_json(run: Run) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"bench_pajak_{run.requested_rows}.json"
    phases = [{**asdict(p), "rows_per_s": p.rows_per_s, "ratio": p.ratio} for p in run.phases]
    path.write_text(json.dumps({"requested_rows": run.requested_rows, "info": run.info, "phases": phases}, indent=1) + "\n")
    return path


def bench(rows: int) -> Run:
    """One size, on an empty stack: generate, ingest, dbt, both baselines."""
    import duckdb

    from satudata.contracts import load_datasets

    settings = fresh_stack()
    run = Run(rows, info={"machine": f"{platform.machine()} {os.cpu_count()} cpu", "python": platform.python_version(),
                          "duckdb": duckdb.__version__, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    datasets = load_datasets(settings, domain="pajak")
    generate(settings, rows, run)
    bronze_rows = ingest(settings, datasets, run)
    validate(settings, datasets, run)
    dbt_build(settings, sum(bronze_rows.values()), run)
    attach_baseline(run, baseline(settings, datasets, run, all_varchar=True))
    baseline(settings, datasets, run, all_varchar=False)
    run.info["loadavg_1_5_15_at_end"] = [round(x, 2) for x in os.getloadavg()]  # others sharing the cores skew timings
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000],
                        help="payment/receipt rows per run (default: 1000000 5000000)")
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running at the end")
    args = parser.parse_args(argv)

    # Point every project module at the bench stack before any of them is imported; drop S3
    # variables a shell may carry for another stack so they cannot win over stack.env.
    os.environ["SATUDATA_HOME"] = str(BENCH_HOME)
    os.environ["SATUDATA_S3_PORT"] = str(BENCH_S3_PORT)
    for name in ("SATUDATA_S3_ENDPOINT", "SATUDATA_S3_ACCESS_KEY", "SATUDATA_S3_SECRET_KEY", "SATUDATA_WAREHOUSE", "DAGSTER_HOME"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(REPO))
    from satudata import stack
    from satudata.settings import get_settings

    try:
        for rows in args.rows:
            run = bench(rows)
            print(table(run), flush=True)
            print(f"written {write_json(run).relative_to(REPO)}\n", flush=True)
    finally:
        if not args.keep:
            stack.down(get_settings())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
