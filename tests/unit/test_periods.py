"""The partition a landing file feeds, read from its key (ingest.periods, orchestration.partitions)."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.periods import delivery_date, delivery_period, previous_period


@pytest.mark.parametrize(
    ("key", "grain", "expected"),
    [
        # the export name carries the masa pajak; a correction delivered two days later keeps it
        ("sismiop/pbb_pembayaran/2025-02-05/pembayaran_pbb_2025-01.csv", "month", "2025-01"),
        ("sismiop/pbb_pembayaran/2025-02-07/pembayaran_pbb_2025-01.csv", "month", "2025-01"),
        # a late file for an old month feeds that month, not the month it arrived in
        ("eretribusi/retribusi/2025-09-30/retribusi_2025_03_susulan.csv", "month", "2025-03"),
        # no period in the name: the month before delivery (the tax close)
        ("simpatda/sptpd/2025-04-20/ekspor.jsonl", "month", "2025-03"),
        ("simpatda/sptpd/2025-01-20/ekspor.jsonl", "month", "2024-12"),
        # yearly tables: the latest year already begun when delivered
        ("opd/sekolah/2025-08-15/rekap_sekolah_ta_2025_2026.xlsx", "year", "2025"),
        ("opd/produksi_perikanan/2026-02-03/produksi_perikanan_tangkap_2021_2025.csv", "year", "2025"),
        ("opd/penduduk/2026-01-20/penduduk_kelurahan.xlsx", "year", "2025"),
        # daily SIMRS deliveries: the delivery day, whatever service days the bundle holds
        ("simrs/fhir/2025-01-05/rsud-20250102-bundle.json", "day", "2025-01-05"),
    ],
)
def test_delivery_period_from_landing_key(key, grain, expected):
    assert delivery_period(key, grain) == expected


def test_a_key_without_delivery_folder_uses_the_upload_date():
    assert delivery_date("opd/penduduk/penduduk.xlsx") is None
    assert delivery_period("opd/penduduk/penduduk.xlsx", "year", received=dt.date(2026, 3, 1)) == "2025"


def test_previous_period_crosses_year_boundaries():
    assert previous_period(dt.date(2026, 1, 6), "month") == "2025-12"
    assert previous_period(dt.date(2026, 3, 1), "day") == "2026-02-28"
    assert previous_period(dt.date(2026, 3, 1), "year") == "2025"


def test_partition_key_stays_inside_the_partitions_that_exist():
    from orchestration.partitions import PARTITIONS, partition_key

    # a typo'd year far in the future still lands in a valid partition (and is loaded and accounted for)
    assert partition_key("sismiop/pbb_pembayaran/2025-02-05/pembayaran_pbb_2095-01.csv", "month") == \
        PARTITIONS["month"].get_last_partition_key()
    assert partition_key("opd/penduduk/2001-01-20/penduduk_1999.xlsx", "year") == "2015"
