{{ config(severity="warn", tags=["kesehatan"], meta={"dagster": {"ref": {"name": "stg_dinkes__rekap_kunjungan"}}}) }}
-- Control total: each Puskesmas' monthly visits in the Dinkes recap equal the encounters its FHIR
-- feed delivered for that month (latest version per business identifier, stg_fhir__encounter). A
-- visit counts in the month it ended, as the recap counts an inpatient stay when the patient goes
-- home. Only months whose recap has arrived are compared ("rekap belum diterima" is not a failure);
-- a Puskesmas missing on either side counts as zero there.
--
-- Why a dbt test and not a declared total_kontrol (quality/total_kontrol.py): the FHIR side is not a
-- declared dataset but versioned resources whose latest version wins and whose faskes name sits in
-- another resource, both already modelled in staging (fhir_versi_terbaru); this test reuses them
-- instead of a second copy in Python. Encounters the FHIR ingest quarantined are not in bronze, so
-- a Puskesmas-month short by a few visits usually means invalid resources: see the quarantine of
-- that day's puskesmas/fhir deliveries. Severity warn: the recap is a check on the feed, not a gate.
with rekap as (
    select periode, nama_puskesmas, sum(jumlah_kunjungan) as kunjungan_rekap
    from {{ ref('stg_dinkes__rekap_kunjungan') }}
    group by all
),
fhir as (
    select
        strftime(timezone('Asia/Makassar', coalesce(k.selesai, k.mulai)), '%Y-%m') as periode,
        upper(f.nama) as nama_puskesmas,
        count(*) as kunjungan_fhir
    from {{ ref('stg_fhir__encounter') }} as k
    join {{ ref('stg_fhir__organization') }} as f on f.id_sumber_daya = k.organisasi_id
    where k.sumber = 'puskesmas'
    group by all
)
select
    periode,
    nama_puskesmas,
    coalesce(kunjungan_rekap, 0) as kunjungan_rekap,
    coalesce(kunjungan_fhir, 0) as kunjungan_fhir,
    coalesce(kunjungan_rekap, 0) - coalesce(kunjungan_fhir, 0) as selisih
from rekap
full join fhir using (periode, nama_puskesmas)
where periode in (select periode from rekap)
  and coalesce(kunjungan_rekap, 0) <> coalesce(kunjungan_fhir, 0)
order by periode, nama_puskesmas
