"""Validate bronze against a dataset's derived checks and record the gate's verdict.

Per validated period the bronze partition is read through DuckDB into pandas (decimals as
doubles, only declared and lineage columns) and handed to a Great Expectations suite; the
dataset-level checks run as DuckDB SQL over all periods. Results are stored in the lake for audit
(``quality/hasil/<landing key>.json``) and the gate status per dataset
(``quality/status/<source>/<dataset>.json``) tells downstream steps whether the dataset is blocked.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from ingest import ledger
from ingest.bronze import bronze_key
from ingest.rules import q
from quality import freshness, total_kontrol
from quality.suites import LINEAGE, CheckDef, build_checks
from satudata import objectstore
from satudata.contracts import Dataset
from satudata.duck import connect
from satudata.settings import Settings

SAMPLES = 5
BATCH_ROWS = 500_000


@dataclass
class Outcome:
    """One check's result for one validation (possibly over several periods)."""

    name: str
    severity: str
    description: str
    passed: bool
    observed: Any = None
    unexpected_count: int | None = None
    element_count: int | None = None
    samples: list[Any] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)


@dataclass
class GateReport:
    dataset: str
    source: str
    validated_at: str
    periods: list[str]
    outcomes: list[Outcome]
    deliveries: dict[str, str]  # period → landing key that produced it

    @property
    def blocked(self) -> bool:
        return any(not o.passed and o.severity == "error" for o in self.outcomes)

    def failing(self, severity: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed and (severity is None or o.severity == severity)]


def status_key(dataset: Dataset) -> str:
    return f"quality/status/{dataset.source}/{dataset.name}.json"


def result_key(landing_key: str) -> str:
    return f"quality/hasil/{landing_key}.json"


@lru_cache(maxsize=1)
def _gx():
    """An ephemeral GX context with analytics and progress bars off (imported only when validating)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.enable_analytics(False)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("bronze")
    batch_definition = source.add_dataframe_asset("partisi").add_batch_definition_whole_dataframe("partisi")
    return gx, batch_definition


def _suite(dataset: Dataset, checks: list[CheckDef]):
    gx, _ = _gx()
    suite = gx.ExpectationSuite(name=f"{dataset.source}.{dataset.name}")
    for check in checks:
        cls = getattr(gx.expectations, check.gx_type)
        suite.add_expectation(cls(**check.kwargs, meta={"nama": check.name}, severity="critical" if check.severity == "error" else "warning"))
    return suite


def _periods(settings: Settings, dataset: Dataset) -> list[str]:
    prefix = dataset.bronze_prefix + "periode="
    keys = objectstore.list_keys(settings, settings.bucket_lake, prefix)
    return sorted({k[len(prefix) :].split("/")[0] for k, _ in keys})


def _latest_delivery(entries: list[ledger.LedgerEntry]) -> dict[str, ledger.LedgerEntry]:
    latest: dict[str, ledger.LedgerEntry] = {}
    for e in entries:  # entries are in delivery (key) order, the order they were loaded in
        if e.status == ledger.STATUS_LOADED and e.periode:
            latest[e.periode] = e
    return latest


def validate(settings: Settings, dataset: Dataset, periods: list[str] | None = None) -> GateReport:
    """Validate ``periods`` (default: the latest period in bronze) and store results and status."""
    checks = build_checks(dataset, settings)
    all_periods = _periods(settings, dataset)
    periods = [p for p in (periods or all_periods[-1:]) if p in all_periods]
    deliveries = _latest_delivery(ledger.entries(settings, dataset))
    con = connect(settings)
    bronze = f"read_parquet('{settings.lake_uri(dataset.bronze_prefix)}*/*.parquet', hive_partitioning = true, hive_types_autocast = false)"
    per_check: dict[str, list[Outcome]] = {c.name: [] for c in checks}
    gx_checks = [c for c in checks if c.kind == "gx"]
    if periods and gx_checks:
        suite = _suite(dataset, gx_checks)
        _, batch_definition = _gx()
        # Small partitions are validated together (GX's fixed cost per call dominates them), large
        # ones alone, so memory stays bounded by BATCH_ROWS however much a run loads. A row-level
        # failure is attributed to every period of its batch (conservative; bronze rows already
        # passed the same rules at ingest, so failures here are rare).
        for batch in _batches(periods, deliveries):
            frame = _partition_frame(con, settings, dataset, batch)
            result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
                suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLES}
            )
            del frame
            for r in result.results:
                check = gx_checks[[c.name for c in gx_checks].index(r.expectation_config.meta["nama"])]
                res = r.result or {}
                per_check[check.name].append(
                    Outcome(check.name, check.severity, check.description, bool(r.success),
                            observed=_plain(res.get("observed_value")), unexpected_count=res.get("unexpected_count"),
                            element_count=res.get("element_count"), samples=_plain(res.get("partial_unexpected_list") or []),
                            periods=list(batch))
                )
    for check in checks:
        if check.kind == "total_kontrol":
            per_check[check.name] += _control_total(con, settings, dataset, check, all_periods, deliveries)
        elif check.kind != "gx":
            per_check[check.name] += _dataset_check(con, bronze, dataset, check, periods, all_periods, deliveries)
    outcomes = [_merge(check, per_check[check.name]) for check in checks]
    per_period = {
        period: [_merge(check, [p for p in per_check[check.name] if period in p.periods]) for check in checks]
        for period in periods
    }
    report = GateReport(
        dataset=dataset.name, source=dataset.source,
        validated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        periods=periods, outcomes=outcomes,
        deliveries={p: deliveries[p].berkas for p in periods if p in deliveries},
    )
    _store(settings, dataset, report, per_period)
    return report


def _batches(periods: list[str], deliveries: dict[str, ledger.LedgerEntry]) -> list[list[str]]:
    """Group periods into validation batches of at most BATCH_ROWS rows (a big period stays alone)."""
    batches: list[list[str]] = []
    size = BATCH_ROWS
    for period in periods:
        rows = deliveries[period].baris_dimuat if period in deliveries else BATCH_ROWS
        if size + rows > BATCH_ROWS:
            batches.append([])
            size = 0
        batches[-1].append(period)
        size += rows
    return batches


def _partition_frame(con, settings: Settings, dataset: Dataset, periods: list[str]):
    """The validated partitions as one pandas frame (decimals as doubles: GX compares floats fast)."""
    cols = []
    for c in dataset.columns:
        cast = "DOUBLE" if c.type == "decimal" else None
        cols.append(f"CAST({q(c.name)} AS {cast}) AS {q(c.name)}" if cast else q(c.name))
    cols += [q(n) for n in LINEAGE]
    uris = ", ".join(f"'{settings.lake_uri(bronze_key(dataset, p))}'" for p in periods)
    return con.execute(f"SELECT {', '.join(cols)} FROM read_parquet([{uris}])").df()


def _control_total(con, settings: Settings, dataset: Dataset, check: CheckDef, all_periods: list[str],
                   deliveries: dict[str, ledger.LedgerEntry]) -> list[Outcome]:
    """Every period in bronze against the recap (a late recap or an old mismatch is seen at the next run)."""
    return [
        Outcome(check.name, check.severity, check.description, r.passed, observed=r.observed,
                unexpected_count=len(r.differences), element_count=r.compared, samples=r.differences[:SAMPLES],
                periods=[r.period])
        for r in total_kontrol.compare(con, settings, dataset, check.kwargs["kontrol"], all_periods, deliveries)
    ]


def _dataset_check(con, bronze: str, dataset: Dataset, check: CheckDef, periods: list[str],
                   all_periods: list[str], deliveries: dict[str, ledger.LedgerEntry]) -> list[Outcome]:
    base = dict(name=check.name, severity=check.severity, description=check.description)
    if check.kind == "kunci_unik":
        keys = ", ".join(q(k) for k in dataset.key)
        rows = con.execute(
            f"SELECT {keys}, count(*) AS n, list(DISTINCT periode ORDER BY periode) FROM {bronze} "
            f"GROUP BY ALL HAVING count(*) > 1 ORDER BY n DESC"
        ).fetchall()
        total = con.execute(f"SELECT count(*) FROM {bronze}").fetchone()[0]
        samples = [dict(zip([*dataset.key, "jumlah", "periode"], r)) for r in rows[:SAMPLES]]
        return [Outcome(**base, passed=not rows, observed=len(rows), unexpected_count=sum(r[-2] for r in rows),
                        element_count=total, samples=_plain(samples), periods=periods)]
    if check.kind == "jumlah_baris":
        counts = dict(con.execute(f"SELECT periode, count(*) FROM {bronze} GROUP BY 1").fetchall())
        out = []
        for period in periods:
            earlier = [p for p in all_periods if p < period]
            if not earlier:
                out.append(Outcome(**base, passed=True, observed=counts.get(period), periods=[period]))
                continue
            previous = counts[earlier[-1]]
            ratio = counts.get(period, 0) / previous if previous else None
            limit = 1 + dataset.quality.toleransi_jumlah_baris  # symmetric: a jump ×limit or a drop ÷limit
            ok = ratio is not None and 1 / limit <= ratio <= limit
            out.append(Outcome(**base, passed=ok, observed=round(ratio, 3) if ratio is not None else None,
                               samples=[f"{period}: {counts.get(period, 0)} baris; {earlier[-1]}: {previous} baris"],
                               periods=[period]))
        return out
    if check.kind == "kesegaran":
        state = freshness.assess(all_periods[-1] if all_periods else None, dataset.period.grain,
                                 dt.date.today(), dataset.quality.tenggat_hari)
        text = (f"terlambat {state.days_late} hari: periode {state.latest_due} jatuh tempo {state.due_date}, "
                f"terbaru yang ada {state.latest_loaded or '-'}") if state.overdue else f"terbaru {state.latest_loaded}"
        return [Outcome(**base, passed=not state.overdue, observed={"terlambat_hari": state.days_late,
                        "periode_terbaru": state.latest_loaded, "periode_jatuh_tempo": state.latest_due},
                        samples=[text], periods=periods)]
    if check.kind == "cakupan":
        missing = _missing_periods(all_periods, dataset.period.grain)
        return [Outcome(**base, passed=not missing, observed=len(missing), samples=missing[:SAMPLES], periods=periods)]
    out = []
    for period in periods:
        entry = deliveries.get(period)
        if entry is None:
            continue
        share = 100 * entry.baris_karantina / entry.baris_dibaca if entry.baris_dibaca else 0.0
        if check.kind == "karantina_nol":
            passed = entry.baris_karantina == 0
        else:
            limits = dataset.quality
            passed = share <= limits.max_karantina_persen or entry.baris_karantina < limits.min_baris_blokir
        samples = [f"{entry.berkas}: {rule} × {n}" for rule, n in entry.karantina_per_aturan.items()][:SAMPLES]
        out.append(Outcome(**base, passed=passed, observed=round(share, 2), unexpected_count=entry.baris_karantina,
                           element_count=entry.baris_dibaca, samples=samples, periods=[period]))
    return out


def _missing_periods(periods: list[str], grain: str) -> list[str]:
    if len(periods) < 2:
        return []
    if grain == "year":
        wanted = [str(y) for y in range(int(periods[0]), int(periods[-1]) + 1)]
    elif grain == "month":
        y, m = map(int, periods[0].split("-"))
        wanted = []
        while f"{y:04d}-{m:02d}" <= periods[-1]:
            wanted.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    else:
        start, end = dt.date.fromisoformat(periods[0]), dt.date.fromisoformat(periods[-1])
        wanted = [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    present = set(periods)
    return [p for p in wanted if p not in present]


def _merge(check: CheckDef, parts: list[Outcome]) -> Outcome:
    if not parts:
        return Outcome(check.name, check.severity, check.description, passed=True, observed="tidak ada data untuk diperiksa")
    failing = [p for p in parts if not p.passed]
    counts = [p.unexpected_count for p in parts if p.unexpected_count is not None]
    elements = [p.element_count for p in parts if p.element_count is not None]
    return Outcome(
        check.name, check.severity, check.description, passed=not failing,
        observed=parts[0].observed if len(parts) == 1 else {"/".join(p.periods): p.observed for p in parts},
        unexpected_count=sum(counts) if counts else None, element_count=sum(elements) if elements else None,
        samples=[s for p in (failing or parts) for s in p.samples][:SAMPLES],
        periods=sorted({x for p in parts for x in p.periods}),
    )


def _plain(value: Any) -> Any:
    """JSON-safe copies of GX/pandas values (NaN, numpy scalars, timestamps)."""
    import math

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _store(settings: Settings, dataset: Dataset, report: GateReport, per_period: dict[str, list[Outcome]]) -> None:
    """The dataset's gate status, and per delivery the outcomes that concern its own period."""
    for period, landing_key in report.deliveries.items():
        outcomes = per_period[period]
        doc = asdict(report) | {
            "periods": [period], "deliveries": {period: landing_key}, "outcomes": [asdict(o) for o in outcomes],
            "blocked": any(not o.passed and o.severity == "error" for o in outcomes),
        }
        objectstore.put_json(settings, settings.bucket_lake, result_key(landing_key), doc)
    objectstore.put_json(settings, settings.bucket_lake, status_key(dataset), asdict(report) | {"blocked": report.blocked})


def blocked_datasets(settings: Settings, datasets: list[Dataset]) -> list[Dataset]:
    """Datasets whose latest validation failed a blocking (``error``) check."""
    out = []
    for d in datasets:
        status = objectstore.get_json(settings, settings.bucket_lake, status_key(d))
        if isinstance(status, dict) and status.get("blocked"):
            out.append(d)
    return out
