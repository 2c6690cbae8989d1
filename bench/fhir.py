"""FHIR import benchmark: a synthetic bulk export of ~1M Encounters, imported and written.

Generates (with DuckDB's JSON writer) an IOP-shaped NDJSON export: Patients,
Coverage, EpisodeOfCare (about 36 encounters each), Encounters, no-show and
cancelled Appointments (about 12% of sessions) and PHQ-9/GAD-7 Observations,
then times ``import_fhir`` (with a pseudonymization key) and the validated
Parquet write. Not a test; the machine is shared, read the figures as orders of
magnitude. Usage: ``python bench/fhir.py [ENCOUNTERS]`` (default 1,000,000).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from iop_metrics.ingest.fhir import import_fhir
from iop_metrics.ingest.writer import write_contract_folder

CODING = "[{'coding': [{'system': 'http://example.org/service', 'code': 'GRP'}]}]"
MAPPING = {
    "level_of_care": {"codes": {"IOP": "2.1"}},
    "service_type": {"codes": {"GRP": "group"}},
    "discharge_reason": {"source": "episode-type", "codes": {"done": "completed"}},
}


def generate(root: Path, encounters: int) -> dict[str, int]:
    episodes = max(encounters // 36, 1)
    patients = (episodes + 1) // 2  # two episodes each, 200 days apart
    appointments = encounters // 8
    con = duckdb.connect()
    con.execute(f"set threads = {os.cpu_count() or 1}")
    ep = "(i % $e)"
    start = f"(DATE '2024-01-01' + cast({ep} // 2 % 300 + {ep} % 2 * 200 as integer))"
    ep_start = start.replace(ep, "i")
    queries = {
        "Patient": "select 'Patient' as resourceType, 'p' || i as id, "
        "case when i % 2 = 0 then 'female' else 'male' end as gender, "
        "cast(1950 + i % 50 as varchar) || '-06-01' as birthDate from range($p) t(i)",
        "Coverage": "select 'Coverage' as resourceType, 'c' || i as id, 'active' as status, "
        "{'reference': 'Patient/p' || i} as beneficiary, "
        "{'coding': [{'system': 'https://nahdo.org/sopt', 'code': '2'}]} as type "
        "from range($p) t(i)",
        "EpisodeOfCare": "select 'EpisodeOfCare' as resourceType, 'ep' || i as id, "
        "case when i % 6 < 5 then 'finished' else 'active' end as status, "
        "[{'coding': [{'system': 'http://example.org/p', 'code': 'IOP'}, "
        "{'system': 'http://example.org/d', 'code': 'done'}]}] as type, "
        "{'reference': 'Patient/p' || (i // 2)} as patient, "
        f"{{'start': cast({ep_start} as varchar), "
        f"'end': case when i % 6 < 5 then cast({ep_start} + 90 as varchar) end}} as period "
        "from range($e) t(i)",
        "Encounter": f"select 'Encounter' as resourceType, 'e' || i as id, 'finished' as status, "
        "{'system': 'http://terminology.hl7.org/CodeSystem/v3-ActCode', "
        "'code': case when i % 10 = 0 then 'VR' else 'AMB' end} as class, "
        f"{CODING} as type, {{'reference': 'Patient/p' || ({ep} // 2)}} as subject, "
        f"[{{'reference': 'EpisodeOfCare/ep' || {ep}}}] as episodeOfCare, "
        f"{{'start': strftime({start} + cast((i // $e) % 84 as integer), '%Y-%m-%d') "
        "|| 'T09:00:00-05:00', "
        f"'end': strftime({start} + cast((i // $e) % 84 as integer), '%Y-%m-%d') "
        "|| 'T12:00:00-05:00'} as period from range($n) t(i)",
        "Appointment": "select 'Appointment' as resourceType, 'a' || i as id, "
        "case when i % 3 = 0 then 'cancelled' else 'noshow' end as status, "
        "case when i % 3 = 0 then {'coding': [{'system': "
        "'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason', "
        "'code': case when i % 2 = 0 then 'pat' else 'prov' end}]} end as cancelationReason, "
        f"{CODING} as serviceType, "
        f"strftime({start} + cast((i // $e) % 84 as integer), '%Y-%m-%d') "
        "|| 'T09:00:00-05:00' as start, 180 as minutesDuration, "
        f"[{{'reference': 'EpisodeOfCare/ep' || {ep}}}] as supportingInformation, "
        f"[{{'actor': {{'reference': 'Patient/p' || ({ep} // 2)}}}}] as participant "
        "from range($a) t(i)",
        "Observation": "select 'Observation' as resourceType, 'o' || i as id, 'final' as status, "
        "{'coding': [{'system': 'http://loinc.org', "
        "'code': case when i % 2 = 0 then '44261-6' else '70274-6' end}]} as code, "
        f"{{'reference': 'Patient/p' || ({ep} // 2)}} as subject, "
        f"strftime({start} + cast((i // $e) % 84 as integer), '%Y-%m-%d') as effectiveDateTime, "
        "cast(i % 20 as integer) as valueInteger from range($o) t(i)",
    }
    sizes = {"n": encounters, "e": episodes, "p": patients, "a": appointments, "o": episodes * 2}
    counts = {}
    for name, sql in queries.items():
        used = {k: v for k, v in sizes.items() if f"${k}" in sql}
        target = str(root / f"{name}.000.ndjson")
        con.execute(f"COPY ({sql}) TO '{target}' (FORMAT json)", used)
        counts[name] = int(con.execute(f"select count(*) from ({sql})", used).fetchall()[0][0])
    con.close()
    return counts


def main() -> None:
    encounters = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "export"
        root.mkdir()
        t0 = time.perf_counter()
        counts = generate(root, encounters)
        t_gen = time.perf_counter() - t0
        mb = sum(p.stat().st_size for p in root.iterdir()) / 1e6
        key = os.urandom(32)
        con = duckdb.connect()
        t0 = time.perf_counter()
        report = import_fhir(con, root, MAPPING, key=key)
        t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_contract_folder(con, Path(tmp) / "out", fmt="parquet", report=report)
        t_write = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "resources": counts,
        "export_mb": round(mb),
        "generate_s": round(t_gen, 1),
        "import_s": round(t_import, 1),
        "write_and_validate_s": round(t_write, 1),
        "encounters_per_s": round(encounters / t_import),
        "rows_written": {t: v["rows_written"] for t, v in report["tables"].items()},
        "max_rss_mb": round(rss),
        "target_import_s": 60,
        "ratio_to_target": round(t_import / 60, 2),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
