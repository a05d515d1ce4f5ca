"""Alert sensors: a failed run, and a failed blocking (ERROR) quality check, reach a person."""

from dagster import (
    AssetCheckSeverity,
    DagsterEventType,
    DefaultSensorStatus,
    EventRecordsFilter,
    RunFailureSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from satudata.notify import notify


@run_failure_sensor(name="peringatan_run_gagal", default_status=DefaultSensorStatus.RUNNING,
                    description="Kirim peringatan (log, e-mail, webhook) saat sebuah run gagal.")
def peringatan_run_gagal(context: RunFailureSensorContext) -> None:
    run = context.dagster_run
    message = context.failure_event.message or "run gagal"
    notify(f"[Satu Data Baubau] Run gagal: {run.job_name}",
           f"Run {run.run_id} untuk job '{run.job_name}' gagal.\n\n{message}\n\nLihat UI Dagster untuk rinciannya.")


@sensor(name="peringatan_pemeriksaan_gagal", default_status=DefaultSensorStatus.RUNNING, minimum_interval_seconds=60,
        description="Kirim peringatan saat pemeriksaan kualitas tingkat galat (memblokir) gagal.")
def peringatan_pemeriksaan_gagal(context: SensorEvaluationContext):
    after = int(context.cursor) if context.cursor else None
    records = context.instance.get_event_records(
        EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=after),
        ascending=True, limit=1000,
    )
    if not records:
        return SkipReason("tidak ada hasil pemeriksaan baru")
    failed = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
            failed.append(f"- {evaluation.asset_key.to_user_string()} · {evaluation.check_name}")
    context.update_cursor(str(records[-1].storage_id))
    if not failed:
        return SkipReason(f"{len(records)} hasil pemeriksaan baru, tidak ada yang memblokir")
    notify("[Satu Data Baubau] Gerbang kualitas memblokir data",
           "Pemeriksaan tingkat galat gagal; mart turunannya tidak dibangun sampai berkas perbaikan lulus:\n"
           + "\n".join(failed))
    return SkipReason(f"peringatan dikirim untuk {len(failed)} pemeriksaan")
