"""Schedules fire the right jobs; alerts reach a real (local) SMTP server and a webhook."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socketserver
import threading
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterInstance, build_schedule_context, job, op

from satudata.notify import notify


class _SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message and keep it (the test's mail server)."""

    messages: list[str] = []

    def handle(self) -> None:
        self.wfile.write(b"220 sink ready\r\n")
        data: list[str] = []
        in_data = False
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace")
            if in_data:
                if line.rstrip("\r\n") == ".":
                    in_data = False
                    self.messages.append("".join(data))
                    self.wfile.write(b"250 queued\r\n")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb == "DATA":
                in_data = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            elif verb == "EHLO":
                self.wfile.write(b"250 sink\r\n")
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, list[str]]]:
    _SmtpSink.messages = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], _SmtpSink.messages
    server.shutdown()


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def test_notify_sends_mail_and_webhook(smtp_sink, webhook):
    port, mails = smtp_sink
    url, posts = webhook
    env = {"SATUDATA_SMTP_HOST": "127.0.0.1", "SATUDATA_SMTP_PORT": str(port),
           "SATUDATA_ALERT_EMAIL_TO": "walidata@baubaukota.go.id", "SATUDATA_ALERT_WEBHOOK": url}
    assert notify("Run gagal: muat_data_pajak", "rincian", env) == ["log", "email", "webhook"]
    assert "Subject: Run gagal: muat_data_pajak" in mails[0] and "walidata@baubaukota.go.id" in mails[0]
    assert posts == [{"judul": "Run gagal: muat_data_pajak", "isi": "rincian", "sumber": "satudata-baubau"}]


def test_notify_survives_an_unreachable_mail_server():
    env = {"SATUDATA_SMTP_HOST": "127.0.0.1", "SATUDATA_SMTP_PORT": "9", "SATUDATA_ALERT_EMAIL_TO": "x@y"}
    assert notify("judul", "isi", env) == ["log"]


def test_run_failure_sensor_mails_the_failure(smtp_sink, monkeypatch):
    from dagster import DagsterEventType, build_run_status_sensor_context

    from orchestration.alerts import peringatan_run_gagal

    port, mails = smtp_sink
    monkeypatch.setenv("SATUDATA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SATUDATA_SMTP_PORT", str(port))
    monkeypatch.setenv("SATUDATA_ALERT_EMAIL_TO", "walidata@baubaukota.go.id")

    @op
    def rusak() -> None:
        raise RuntimeError("object store tidak menjawab")

    @job
    def job_rusak() -> None:
        rusak()

    with DagsterInstance.ephemeral() as instance:
        result = job_rusak.execute_in_process(instance=instance, raise_on_error=False)
        failure = next(e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE)
        context = build_run_status_sensor_context(
            sensor_name="peringatan_run_gagal", dagster_event=failure, dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        peringatan_run_gagal(context)
    assert len(mails) == 1 and "job_rusak" in mails[0]


def test_schedules_close_the_period_that_just_ended():
    from orchestration.definitions import defs

    close = defs.resolve_schedule_def("tutup_buku_pajak_bulanan")
    assert close.job_name == "muat_pajak_bulanan" and close.execution_timezone == "Asia/Makassar"
    daily = defs.resolve_schedule_def("tutup_hari_kesehatan")
    assert daily.job_name == "muat_kesehatan_harian"
    wita = ZoneInfo("Asia/Makassar")
    repo = defs.get_repository_def()
    with DagsterInstance.ephemeral() as instance:
        tick = close.evaluate_tick(build_schedule_context(
            instance=instance, repository_def=repo, scheduled_execution_time=dt.datetime(2026, 1, 6, 6, 0, tzinfo=wita)))
        assert [r.partition_key for r in tick.run_requests] == ["2025-12"]
        # 02.00 WITA on 1 March is still 28 February in UTC: the day closed is WITA's yesterday
        tick = daily.evaluate_tick(build_schedule_context(
            instance=instance, repository_def=repo, scheduled_execution_time=dt.datetime(2026, 3, 1, 2, 0, tzinfo=wita)))
        assert [r.partition_key for r in tick.run_requests] == ["2026-02-28"]
    assert defs.resolve_schedule_def("terbit_harian").job_name == "terbitkan_ke_portal"
