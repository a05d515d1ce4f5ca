"""``satudata``: the platform's command line (stack, generate, run, sql, ledger, demo, ui)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from satudata.settings import Settings, get_settings

console = Console()
err = Console(stderr=True)


class UserError(click.ClickException):
    """A mistake or missing prerequisite the user can fix; printed as one line, exit 1."""

    def show(self, file: Any = None) -> None:  # noqa: ARG002 - click's signature
        err.print(f"[bold red]galat:[/] {self.message}")


def _known_errors() -> tuple[type[BaseException], ...]:
    from satudata.contracts import ContractError
    from satudata.dbt import DbtError
    from satudata.instance import InstanceConfigError
    from satudata.runner import RunPlanError
    from satudata.stack import StackError

    return (ContractError, DbtError, StackError, RunPlanError, InstanceConfigError, FileNotFoundError, ConnectionError)


class Cli(click.Group):
    """Turns known failures into one-line errors; ``--verbose`` shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except _known_errors() as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            raise UserError(str(exc).splitlines()[0] if isinstance(exc, ConnectionError) else str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - last resort: readable message, traceback on demand
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            from urllib3.exceptions import MaxRetryError

            if isinstance(exc, MaxRetryError):
                raise UserError(
                    "object store tidak menjawab; jalankan 'satudata stack up' (atau periksa SATUDATA_S3_ENDPOINT)"
                ) from None
            raise UserError(f"{type(exc).__name__}: {exc} (ulangi dengan --verbose untuk traceback)") from None


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Tampilkan traceback lengkap bila terjadi galat.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Satu Data Baubau — platform data Kota Baubau (lakehouse, pipeline, katalog)."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def _settings() -> Settings:
    return get_settings()


# --------------------------------------------------------------------------- stack
@main.group()
def stack() -> None:
    """Layanan lokal (S3 SeaweedFS, PostgreSQL, Redis, portal CKAN, papan Command Center) untuk demo dan pengembangan."""


@stack.command("up")
def stack_up() -> None:
    """Jalankan layanan lokal (idempoten) dan buat bucket landing, lake, open."""
    from satudata import stack as local_stack

    _print_status(local_stack.up(_settings()))


@stack.command("down")
def stack_down() -> None:
    """Hentikan tepat layanan yang dijalankan oleh 'stack up' (berdasarkan PID)."""
    from satudata import stack as local_stack

    stopped = local_stack.down(_settings())
    console.print(f"dihentikan: {', '.join(stopped)}" if stopped else "tidak ada layanan yang berjalan")


@stack.command("status")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON untuk skrip.")
def stack_status(as_json: bool) -> None:
    """Layanan apa yang berjalan dan di URL mana. Exit 3 bila ada yang mati."""
    from satudata import stack as local_stack

    rows = local_stack.status(_settings())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        _print_status(rows)
    if not all(r["running"] for r in rows):
        sys.exit(3)


def _print_status(rows: list[dict[str, Any]]) -> None:
    settings = _settings()
    table = Table(title="Satu Data Baubau — stack lokal")
    for col in ("layanan", "status", "pid", "url"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["service"]), "[green]berjalan" if r["running"] else "[red]mati", str(r["pid"] or "-"), str(r["url"]))
    console.print(table)
    console.print(f"state: {settings.home}   kredensial lokal: {settings.stack_env_file}")


# --------------------------------------------------------------------------- generate
@main.command()
@click.option("--year", default=2025, show_default=True, help="Tahun data (tahun pajak/anggaran).")
@click.option("--scale", default=1.0, show_default=True, help="Skala kota (1.0 ≈ satu tahun Kota Baubau).")
@click.option("--rows", type=int, default=None, help="Sebagai ganti --scale: target jumlah baris pembayaran/penerimaan.")
@click.option("--seed", default=42, show_default=True, help="Benih acak (hasil sama untuk benih sama).")
@click.option("--defect-rate", default=0.01, show_default=True, help="Porsi baris cacat untuk menguji karantina.")
@click.option("--bad-files/--no-bad-files", default=True, show_default=True, help="Sertakan berkas rusak (terpotong, encoding salah, …).")
def generate(year: int, scale: float, rows: int | None, seed: int, defect_rate: float, bad_files: bool) -> None:
    """Bangkitkan ekstrak sintetis (deterministik) ke bucket landing."""
    from ingest.generate.landing import generate_to_landing

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    settings = _settings()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("membangkitkan ekstrak…", total=None)
        written = generate_to_landing(
            settings, year=year, scale=scale, rows=rows, seed=seed, defect_rate=defect_rate, bad_files=bad_files,
            progress=lambda label, n: bar.update(task, description=label),
        )
    table = Table(title=f"Berkas dikirim ke landing ({len(written)})")
    for col in ("dataset", "berkas", "baris", "cacat"):
        table.add_column(col)
    for f in written:
        table.add_row(f.dataset, f.key, f"{f.rows:,}", ("berkas rusak" if f.kind == "bad_file" else f"{f.defect_rows:,}"))
    console.print(table)


# --------------------------------------------------------------------------- run
@main.command()
@click.argument("job", default="satudata_lengkap")
def run(job: str) -> None:
    """Muat berkas baru per periode lalu bangun turunannya (default: seluruh platform), atau jalankan job Dagster.

    JOB: satudata_lengkap, muat_data_pajak, muat_data_opd, muat_data_kesehatan, bangun_mart, terbitkan_ke_portal.
    """
    from satudata.runner import run_job

    settings = _settings()
    started = time.monotonic()
    with err.status(f"menjalankan {job} (landing → bronze per periode → dbt → warehouse)…"):
        result = run_job(settings, job)
    _print_run(result, time.monotonic() - started)
    if not result["success"]:
        raise UserError(f"job {job} gagal: {result['error']}")


@main.command()
@click.argument("job")
@click.option("--dari", "start", required=True, help="Partisi pertama, mis. 2025-01 (bulanan), 2025 (tahunan), 2025-01-31 (harian).")
@click.option("--sampai", "end", required=True, help="Partisi terakhir (inklusif).")
def backfill(job: str, start: str, end: str) -> None:
    """Muat ulang rentang partisi sebuah job muat (mis. muat_pajak_bulanan) lalu bangun ulang turunannya saja.

    Setiap berkas periode itu di landing diproses ulang (berguna setelah deklarasi berubah); berkas
    perbaikan baru cukup ditaruh di landing, sensor memuat periodenya.
    """
    from satudata.runner import backfill as run_backfill

    started = time.monotonic()
    with err.status(f"backfill {job} {start}..{end}…"):
        result = run_backfill(_settings(), job, start, end)
    _print_run(result, time.monotonic() - started)
    if not result["success"]:
        raise UserError(f"backfill {job} gagal: {result['error']}")


def _print_run(result: dict[str, Any], seconds: float) -> None:
    runs = len(result["run_ids"])
    table = Table(title=f"{result['job']} — {'berhasil' if result['success'] else 'GAGAL'} ({runs} run, {seconds:.0f} s)")
    for col in ("aset", "ringkasan"):
        table.add_column(col)
    # The runner lists a partitioned asset under "<asset>[<partition>]" and, for lookups, "<asset>".
    assets = result["assets"]
    partitions: dict[str, list[str]] = {}
    for key in assets:
        if key.endswith("]") and "[" in key:
            asset, _, partition = key[:-1].partition("[")
            partitions.setdefault(asset, []).append(partition)
    for key, summary in assets.items():
        if key in partitions:
            shown = partitions[key]
            table.add_row(key, f"{len(shown)} partisi ({', '.join(shown[:3])}{', …' if len(shown) > 3 else ''}); terakhir: {summary}")
        elif not (key.endswith("]") and "[" in key):
            table.add_row(key, summary)
    console.print(table)
    checks = result["checks"]
    failed = [c for c in checks if not c["passed"]]
    console.print(f"pemeriksaan: {len(checks) - len(failed)} lulus, {len(failed)} gagal")
    # One line per check, with the partitions it failed in (a load plan runs one partition per run).
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for c in failed:
        grouped.setdefault((c["asset"], c["check"], c["severity"]), []).append(c.get("partition") or "")
    for (asset, check, severity), partitions in grouped.items():
        where = [p for p in partitions if p]
        detail = f" — {len(where)} partisi: {', '.join(where[:4])}{', …' if len(where) > 4 else ''}" if where else ""
        console.print(f"  [yellow]✗[/] {asset} · {check} ({severity}){detail}")


# --------------------------------------------------------------------------- sql
@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", default=200, show_default=True, help="Baris maksimum yang dicetak (mode table).")
def sql(query: str, fmt: str, limit: int) -> None:
    """Kueri warehouse analis (DuckDB, baca-saja). Contoh: satudata sql "select * from fct_realisasi_pad_bulanan limit 5"."""
    import duckdb

    from satudata import warehouse

    con = warehouse.open_readonly(_settings())
    try:
        rel = con.sql(query)
    except duckdb.Error as exc:
        raise UserError(f"kueri gagal: {str(exc).splitlines()[0]}") from None
    if rel is None:
        return
    columns = rel.columns
    rows = rel.fetchall()
    if fmt == "json":
        click.echo(json.dumps([dict(zip(columns, r)) for r in rows], default=str, indent=1))
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        table = Table(show_lines=False)
        for c in columns:
            table.add_column(c, overflow="fold")
        for r in rows[:limit]:
            table.add_row(*(_fmt(v) for v in r))
        console.print(table)
        if len(rows) > limit:
            console.print(f"… {len(rows) - limit} baris lagi (pakai --limit atau --format csv)")


def _fmt(value: Any) -> str:
    from decimal import Decimal

    if value is None:
        return "∅"
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        text = f"{value:,}"
        return text.replace(",", "\u202f") if isinstance(value, Decimal) or abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


# --------------------------------------------------------------------------- ledger / quarantine
@main.command()
@click.option("--dataset", default=None, help="Hanya dataset ini.")
def ledger(dataset: str | None) -> None:
    """Buku besar berkas: apa yang terjadi pada setiap berkas yang dikirim."""
    from ingest import ledger as ledger_mod
    from satudata.contracts import get_dataset, load_datasets

    settings = _settings()
    datasets = [get_dataset(settings, dataset)] if dataset else load_datasets(settings)
    table = Table(title="Buku besar berkas")
    for col in ("berkas", "status", "dibaca", "dimuat", "karantina", "periode", "keterangan"):
        table.add_column(col, overflow="fold")
    for d in datasets:
        for e in ledger_mod.entries(settings, d):
            note = e.pesan or ", ".join(f"{k}: {v}" for k, v in e.karantina_per_aturan.items())
            table.add_row(e.berkas, e.status, f"{e.baris_dibaca:,}", f"{e.baris_dimuat:,}", f"{e.baris_karantina:,}", e.periode or "-", note)
    console.print(table)


@main.command()
@click.argument("landing_key")
@click.option("--limit", default=50, show_default=True)
def quarantine(landing_key: str, limit: int) -> None:
    """Baris yang dikarantina untuk satu berkas (kunci landing), dengan baris, kolom dan alasan."""
    from satudata.duck import connect

    settings = _settings()
    uri = settings.lake_uri(f"quarantine/{landing_key}.parquet")
    con = connect(settings)
    try:
        rows = con.execute(f"SELECT _baris, _kolom, _nilai, _alasan FROM read_parquet('{uri}') ORDER BY _baris LIMIT {int(limit)}").fetchall()
    except Exception:  # noqa: BLE001 - a missing object means nothing quarantined
        console.print(f"tidak ada baris karantina untuk {landing_key}")
        return
    table = Table(title=f"Karantina: {landing_key}")
    for col in ("baris", "kolom", "nilai", "alasan"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*(_fmt(v) for v in r))
    console.print(table)


# --------------------------------------------------------------------------- demo / ui
@main.command()
@click.option("--scale", default=0.3, show_default=True, help="Skala data demo.")
def demo(scale: float) -> None:
    """Stack up → bangkitkan ekstrak → jalankan semua aset → cetak ke mana melihat."""
    from satudata import stack as local_stack

    ctx = click.get_current_context()
    ctx.invoke(stack_up)
    ctx.invoke(generate, scale=scale)
    ctx.invoke(run, job="satudata_lengkap")
    settings = _settings()
    rows = {r["service"]: r for r in local_stack.status(settings)}
    console.rule("Satu Data Baubau siap")
    console.print(f"Object store (S3)   : {rows['s3']['url']}  (kredensial di {settings.stack_env_file})")
    console.print(f"Portal data (CKAN)  : {rows['ckan']['url']}  (admin 'satudata'; sandi dan token API di stack.env)")
    console.print(f"Command Center      : {rows['board']['url']}  (papan PAD, kesehatan, statistik, kesegaran data)")
    console.print(f"Warehouse analis    : {settings.warehouse_path}")
    console.print('  coba               : satudata sql "select * from fct_realisasi_pad_bulanan where tingkat_wilayah = \'kota\' limit 20"')
    console.print("UI Dagster          : make ui   (lalu buka http://127.0.0.1:3000)")
    console.print("Hentikan stack      : satudata stack down")


@main.command()
@click.option("--port", default=3000, show_default=True)
def ui(port: int) -> None:
    """Jalankan UI Dagster (webserver + daemon) di 127.0.0.1 sampai Ctrl-C."""
    import signal
    import subprocess

    from satudata.dbt import prepare
    from satudata.instance import ensure_dagster_home

    settings = _settings()
    ensure_dagster_home(settings)
    prepare(settings)
    env = settings.env_for_children()
    cmd = [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
    console.print(f"UI Dagster: http://127.0.0.1:{port}  (Ctrl-C untuk berhenti)")
    proc = subprocess.Popen(cmd, env=env, cwd=str(Path(__file__).resolve().parent.parent), start_new_session=True)
    try:
        proc.wait()
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
