"""Import benchmark: an EHR-shaped CSV export with 10M appointment rows -> contract folder.

The export (a census of 250,000 admissions, US dates, labels, an MRN and a
patient name per row; appointments in one BOM/CRLF CSV) is written by DuckDB
once into bench/out/import/. The import then runs in a fresh process, so its
wall time, CPU time and peak memory (max RSS) are its own. Target: under 60 s
and 2 GB. Not a test: the machine is shared and noisy (the load average is
printed with the figures). Run: .venv/bin/python bench/import_export.py [ROWS]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "import"
PER_EPISODE = 40

MAPPING = """
[source]
date_format = "%m/%d/%Y"
[pseudonymize]
key_file = "bench.key"
columns = ["client_id", "episode_id", "session_id"]
[tables.clients]
file = "Census.csv"
drop = ["Patient Name"]
[tables.clients.columns]
client_id = "MR #"
sex = { column = "Gender", codes = { Female = "F", Male = "M" } }
[tables.episodes]
file = "Census.csv"
keep = { Status = ["Active", "Discharged"] }
[tables.episodes.columns]
episode_id = "Casefile ID"
client_id = "MR #"
level_of_care = { column = "Level of Care", codes = { IOP = "2.1", PHP = "2.5" } }
admit_date = "Admission Date"
discharge_date = "Discharge Date"
discharge_reason = { column = "Discharge Type", codes = { "Successful Completion" = "completed", AMA = "dropped_out" } }
[tables.sessions]
file = "Appointments.csv"
drop = ["MR #", "Rendering Clinician"]
[tables.sessions.columns]
session_id = "Appt ID"
episode_id = "Casefile ID"
session_date = "Appt Date"
service_type = { column = "Service", codes = { "Group Therapy" = "group", "Individual Therapy" = "individual", "Skills Group" = "skills" } }
scheduled_minutes = "Duration (min)"
status = { column = "Appt Status", codes = { Show = "attended", "No Show" = "no_show", "Cancelled - Patient" = "cancelled_client" } }
telehealth = { column = "Visit Type", codes = { "In Person" = "false", Telehealth = "true" } }
"""  # noqa: E501


def make_export(rows: int) -> Path:
    folder = OUT / f"export-{rows}"
    if (folder / "Appointments.csv").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    episodes = rows // PER_EPISODE
    con = duckdb.connect()
    con.execute(
        f"""copy (select lpad(cast(i * 7 + 100000 as varchar), 7, '0') as "MR #",
            'Testperson, Avery' as "Patient Name", case when i % 2 = 0 then 'Female' else 'Male'
            end as "Gender", 'CF-' || i as "Casefile ID", case when i % 3 = 0 then 'PHP' else 'IOP'
            end as "Level of Care", strftime(date '2024-01-01' + cast(i % 600 as integer),
            '%m/%d/%Y') as "Admission Date", strftime(date '2024-01-01' + cast(i % 600 + 60 as
            integer), '%m/%d/%Y') as "Discharge Date", case when i % 4 = 0 then 'AMA' else
            'Successful Completion' end as "Discharge Type", 'Discharged' as "Status"
            from range({episodes}) t(i)) to '{folder / "Census.csv"}' (header)"""
    )
    con.execute(
        f"""copy (select 'A' || j as "Appt ID", 'CF-' || (j // {PER_EPISODE}) as "Casefile ID",
            lpad(cast((j // {PER_EPISODE}) * 7 + 100000 as varchar), 7, '0') as "MR #",
            strftime(date '2024-01-01' + cast((j // {PER_EPISODE}) % 600 + j % {PER_EPISODE}
            as integer), '%m/%d/%Y') as "Appt Date", case j % 3 when 0 then 'Group Therapy'
            when 1 then 'Individual Therapy' else 'Skills Group' end as "Service",
            case when j % 3 = 1 then 60 else 180 end as "Duration (min)",
            case when j % 10 = 0 then 'No Show' when j % 17 = 0 then 'Cancelled - Patient'
            else 'Show' end as "Appt Status", case when j % 9 = 0 then 'Telehealth'
            else 'In Person' end as "Visit Type", 'Lee Demo, LCSW' as "Rendering Clinician"
            from range({rows}) t(j)) to '{folder / "Appointments.csv"}' (header)"""
    )
    con.close()
    data = (folder / "Appointments.csv").read_bytes()  # as Excel saves it: BOM and CRLF
    (folder / "Appointments.csv").write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    return folder


def main(rows: int) -> None:
    t0 = time.perf_counter()
    export = make_export(rows)
    made = time.perf_counter() - t0
    (OUT / "mapping.toml").write_text(MAPPING)
    if not (OUT / "bench.key").exists():
        from iop_metrics.ingest.pseudonym import keygen

        keygen(OUT / "bench.key")
    t1 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "iop_metrics.cli", "import", str(export), "--mapping",
         str(OUT / "mapping.toml"), "--out", str(OUT / "contract")],
        check=True,
    )  # fmt: skip
    took = time.perf_counter() - t1
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss / 1024**2  # KiB -> GiB
    cpu = usage.ru_utime + usage.ru_stime
    size = (export / "Appointments.csv").stat().st_size / 1e9
    result = {
        "appointment_rows": rows,
        "export_gb": round(size, 2),
        "export_written_s": round(made, 1),
        "import_s": round(took, 1),
        "import_cpu_s": round(cpu, 1),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "import_peak_gib": round(peak, 2),
        "rows_per_s": round(rows / took),
        "vs_target_time": round(took / 60, 2),
        "vs_target_memory": round(peak / 2, 2),
    }
    print(json.dumps(result, indent=2))
    (OUT / "results.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
