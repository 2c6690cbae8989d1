"""An EHR-shaped export made from a contract folder (``data/sample``), for the worked example.

The export looks like what a program's EHR hands its analyst: a ``Census.xlsx``
(one row per admission, with the client's details repeated, synthetic names,
phones and MRNs, labels instead of codes, US dates, and cancelled admissions
that must be skipped), ``Appointments_<year>.csv`` saved by Excel as "CSV
UTF-8" (byte-order mark, CRLF), ``Measures.csv``, and ``TEDS_Submission.csv``, the NOMS
items as the program sends them to its state: one row per episode, TEDS's column names and
codes for admission and discharge (the five use levels collapse to TEDS's three), and
``FollowUp_Calls.csv``, the program's log of follow-up calls after discharge (its own labels,
one row per call). Imported with ``data/examples/ehr/mapping.toml`` it gives back exactly the
contract tables it came from, apart from the pseudonymized ids and the use levels of the state
submission. Deterministic for a given input.
"""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path

SEX = {"F": "Female", "M": "Male", "X": "Non-binary", "U": "Unknown"}
SUBSTANCE = {
    "alcohol": "Alcohol",
    "opioids": "Opioids",
    "stimulants": "Methamphetamine",
    "cannabis": "Marijuana/Hashish",
    "sedatives": "Benzodiazepines",
    "other": "Other Drug",
}
PAYER = {
    "medicaid": "Medicaid MCO",
    "medicare": "Medicare",
    "commercial": "Blue Cross",
    "self_pay": "Self Pay",
    "other": "Tricare",  # mapped through `other = "other"`
}
REFERRAL = {
    "self": "Self",
    "family": "Family/Friend",
    "provider": "Healthcare Provider",
    "court": "Court/Criminal Justice",
    "employer": "Employer/EAP",
    "other": "Other",
}
SITE = {"north": "North Campus", "main": "Main Campus", "south": "South Campus"}
LEVEL = {"1.0": "Outpatient", "2.1": "IOP", "2.5": "PHP", "3.5": "Residential", "3.7-WM": "Detox"}
TRACK = {"adult-day": "IOP Day", "adult-evening": "IOP Evening", "adolescent": "Adolescent IOP"}
REASON = {
    "completed": "Successful Completion",
    "dropped_out": "AMA",
    "terminated": "Admin Discharge",
    "transferred": "Transfer",
    "incarcerated": "Incarcerated",
    "died": "Deceased",
    "other": "Other",
}
SERVICE = {
    "group": "Group Therapy",
    "individual": "Individual Therapy",
    "family": "Family Session",
    "psychoeducation": "Psychoeducation",
    "skills": "Skills Group",
    "medication": "Med Management",
    "case_management": "Case Management",
    "assessment": "Assessment",
    "peer_support": "Peer Support",
    "other": "Other Service",
}
STATUS = {
    "attended": "Show",
    "no_show": "No Show",
    "cancelled_client": "Cancelled - Patient",
    "cancelled_program": "Cancelled - Clinic",
}
MEASURE = {"PHQ-9": "PHQ9 Total", "GAD-7": "GAD7 Total", "BAM-use": "BAM Use"}
FIRST = ("Avery", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Rowan", "Sage", "Emery", "Reese")
LAST = ("Testperson", "Sampleton", "Fakename", "Synthetic", "Notreal", "Demoson", "Placeholder")
CLINICIAN = ("Dr. Ada Example", "Lee Demo, LCSW", "Pat Sample, LADC")
# Contract codes -> TEDS's (recovery.md); an empty item is -9. Employment gives EMPLOY, DETNLF.
# Written out here, not inverted from teds_layout.CODES: the example's round trip then checks
# the importer's table against an independent one.
TEDS_CODES = {
    "use_frequency": {
        "none": "1",
        "1_3_month": "2",
        "1_2_week": "2",
        "3_6_week": "2",
        "daily": "3",
    },
    "living": {"homeless": "1", "dependent": "2", "independent": "3"},
    "self_help": {"none": "1", "1_3": "2", "4_7": "3", "8_30": "4", "some": "5"},
}
EMPLOY = {"full_time": ("1", "-9"), "part_time": ("2", "-9"), "unemployed": ("3", "-9")}
EMPLOY |= {
    code: ("4", str(n))
    for n, code in enumerate(
        ("homemaker", "student", "retired_disabled", "institution", "other_not_in_labor_force"), 1
    )
}
# The follow-up call log: the program's own labels for what a caller records (a CRM export).
CALL_LABELS = {
    "contact": {
        "reached": "Reached - survey done",
        "not_reached": "No answer / left message",
        "declined": "Declined survey",
        "deceased": "Deceased",
    },
    "use_frequency": {
        "none": "Not used",
        "1_3_month": "1-3 times in month",
        "1_2_week": "1-2 times a week",
        "3_6_week": "3-6 times a week",
        "daily": "Daily",
    },
    "employment": {
        "full_time": "Employed full time",
        "part_time": "Employed part time",
        "unemployed": "Unemployed, looking",
        "homemaker": "Homemaker",
        "student": "Student",
        "retired_disabled": "Retired/disabled",
        "institution": "In an institution",
        "other_not_in_labor_force": "Not in labor force (other)",
    },
    "living": {
        "homeless": "Homeless/shelter",
        "dependent": "Lives with family/supervised",
        "independent": "Own home/apartment",
    },
    "self_help": {
        "none": "None",
        "1_3": "1-3 meetings",
        "4_7": "4-7 meetings",
        "8_30": "8+ meetings",
        "some": "Some, count unknown",
    },
}
CALL_HEADER = [
    "Casefile ID", "MR #", "Call Date", "Call Result", "Substance Use (30 days)", "Work/School",
    "Living Situation", "Arrests (30 days)", "Self-Help Meetings (30 days)", "Caller",
]  # fmt: skip
TEDS_HEADER = [
    "Casefile ID", "MR #", "Admission Date", "Discharge Date", "SERVICES",
    "SERVICES_D", "FREQ1", "FREQ1_D", "EMPLOY", "EMPLOY_D", "DETNLF", "DETNLF_D", "LIVARAG",
    "LIVARAG_D", "ARRESTS", "ARRESTS_D", "FREQ_ATND_SELF_HELP", "FREQ_ATND_SELF_HELP_D",
]  # fmt: skip


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _us(iso: str) -> str:
    return f"{iso[5:7]}/{iso[8:10]}/{iso[0:4]}" if iso else ""


def _mrn(client_id: str) -> str:
    return f"{int(client_id[1:]) * 7 + 100000:07d}"  # leading zero kept: "0100007"


def _census(sample: Path, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    clients = {c["client_id"]: c for c in _rows(sample, "clients")}
    episodes = _rows(sample, "episodes")
    with_episode = {e["client_id"] for e in episodes}
    header = [
        "MR #", "Patient Name", "DOB", "Gender", "Phone", "Primary Drug", "Payer", "Referred By",
        "Casefile ID", "Site", "Level of Care", "Program", "Admission Date", "Discharge Date",
        "Discharge Type", "Status",
    ]  # fmt: skip

    def person(c: dict[str, str]) -> list[str]:
        dob = f"{c['birth_year']}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return [
            _mrn(c["client_id"]),
            f"{rng.choice(LAST)}, {rng.choice(FIRST)}",
            _us(dob) if c["birth_year"] else "",
            SEX.get(c["sex"], ""),
            f"(555) 01{rng.randint(0, 9)}-{rng.randint(1000, 9999)}",
            SUBSTANCE.get(c["primary_substance"], ""),
            PAYER.get(c["payer"], ""),
            REFERRAL.get(c["referral_source"], ""),
        ]

    people = {cid: person(c) for cid, c in clients.items()}
    rows = []
    for e in episodes:
        rows.append(
            people[e["client_id"]]
            + [
                f"CF-{int(e['episode_id'][1:]):06d}",
                SITE[e["site"] or "main"],
                LEVEL[e["level_of_care"]],
                TRACK.get(e["track"], ""),
                _us(e["admit_date"]),
                _us(e["discharge_date"]),
                REASON.get(e["discharge_reason"], ""),
                "Discharged" if e["discharge_date"] else "Active",
            ]
        )
    # Cancelled admissions: every client without an episode has one, and a few others too.
    cancelled = sorted(set(clients) - with_episode) + sorted(with_episode)[::97]
    for n, cid in enumerate(cancelled, 1):
        rows.append(
            people[cid]
            + [f"CF-9{n:05d}", "Main Campus", "IOP", "IOP Day", "01/05/2025", "", "", "Cancelled"]
        )
    return header, rows


def _write_xlsx(path: Path, header: list[str], rows: list[list[str]]) -> None:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Census"
    sheet.append(header)
    for r in rows:
        sheet.append([v if v != "" else None for v in r])
    book.properties.created = book.properties.modified = dt.datetime(2026, 11, 1)
    book.save(path)


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """As Excel's "CSV UTF-8" saves it: a byte-order mark and CRLF line ends."""
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def _teds_items(row: dict[str, str] | None) -> dict[str, str]:
    """One time point's NOMS items in TEDS's codes (no row: every item -9)."""
    r = row or {}
    employ, detnlf = EMPLOY.get(r.get("employment", ""), ("-9", "-9"))
    return {
        "FREQ1": TEDS_CODES["use_frequency"].get(r.get("use_frequency", ""), "-9"),
        "EMPLOY": employ,
        "DETNLF": detnlf,
        "LIVARAG": TEDS_CODES["living"].get(r.get("living", ""), "-9"),
        "ARRESTS": r.get("arrests") or "-9",
        "FREQ_ATND_SELF_HELP": TEDS_CODES["self_help"].get(r.get("self_help", ""), "-9"),
    }


def _teds_submission(src: Path, mrn: dict[str, str]) -> list[list[str]]:
    """One row per episode with NOMS admission items (and its discharge items, if any), dated
    when the items were collected; the discharge columns are empty without a discharge row."""
    if not (src / "noms.csv").is_file():
        return []
    rows: dict[str, dict[str, dict[str, str]]] = {}
    for n in _rows(src, "noms"):
        if n["time_point"] != "follow_up":
            rows.setdefault(n["episode_id"], {})[n["time_point"]] = n
    out = []
    for episode, at in rows.items():
        adm, dis = _teds_items(at["admission"]), at.get("discharge")
        dis_items = _teds_items(dis) if dis else dict.fromkeys(adm, "")
        line = [f"CF-{int(episode[1:]):06d}", mrn[episode], _us(at["admission"]["collected_on"])]
        line += [_us(dis["collected_on"]) if dis else "", "6", "6" if dis else ""]
        for base in ("FREQ1", "EMPLOY", "DETNLF", "LIVARAG", "ARRESTS", "FREQ_ATND_SELF_HELP"):
            line += [adm[base], dis_items[base]]
        out.append(line)
    return out


def _calls(src: Path, mrn: dict[str, str]) -> list[list[str]]:
    """The follow-up call log: one row per follow-up contact of the sample, in its order, with
    the caller's labels (an empty item stays empty) and the caller's name."""
    if not (src / "noms.csv").is_file():
        return []
    out: list[list[str]] = []
    for n in (r for r in _rows(src, "noms") if r["time_point"] == "follow_up"):
        line = [f"CF-{int(n['episode_id'][1:]):06d}", mrn[n["episode_id"]], _us(n["collected_on"])]
        line += [CALL_LABELS["contact"][n["contact"]]]
        for item in ("use_frequency", "employment", "living", "arrests", "self_help"):
            line.append(n[item] if item == "arrests" else CALL_LABELS[item].get(n[item], ""))
        out.append([*line, CLINICIAN[len(out) % len(CLINICIAN)]])
    return out


def make_export(
    sample: str | os.PathLike[str], out: str | os.PathLike[str], *, seed: int = 7
) -> Path:
    """Write the EHR-shaped export of the contract folder ``sample`` into ``out``."""
    src, dst = Path(sample), Path(out)
    dst.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    header, rows = _census(src, rng)
    _write_xlsx(dst / "Census.xlsx", header, rows)
    mrn = {e["episode_id"]: _mrn(e["client_id"]) for e in _rows(src, "episodes")}
    appt = ["Appt ID", "Casefile ID", "MR #", "Appt Date", "Service", "Duration (min)",
            "Attended Min", "Appt Status", "Visit Type", "Rendering Clinician"]  # fmt: skip
    by_year: dict[str, list[list[str]]] = {}
    for s in _rows(src, "sessions"):
        by_year.setdefault(s["session_date"][:4], []).append(
            [
                f"A{int(s['session_id'][1:]):09d}",
                f"CF-{int(s['episode_id'][1:]):06d}",
                mrn[s["episode_id"]],
                _us(s["session_date"]),
                SERVICE[s["service_type"]],
                s["scheduled_minutes"],
                s["attended_minutes"],
                STATUS[s["status"]],
                "Telehealth" if s["telehealth"] == "true" else "In Person",
                rng.choice(CLINICIAN),
            ]
        )
    for year, year_rows in sorted(by_year.items()):
        _write_csv(dst / f"Appointments_{year}.csv", appt, year_rows)
    measures = [
        [f"CF-{int(a['episode_id'][1:]):06d}", mrn[a["episode_id"]], _us(a["assessed_on"]),
         MEASURE[a["instrument"]], a["score"]]
        for a in _rows(src, "assessments")
    ]  # fmt: skip
    _write_csv(
        dst / "Measures.csv", ["Casefile ID", "MR #", "Date Given", "Measure", "Score"], measures
    )
    if teds := _teds_submission(src, mrn):
        _write_csv(dst / "TEDS_Submission.csv", TEDS_HEADER, teds)
    if calls := _calls(src, mrn):
        _write_csv(dst / "FollowUp_Calls.csv", CALL_HEADER, calls)
    return dst


if __name__ == "__main__":  # python -m iop_metrics.ingest.ehr_example data/sample OUT
    import sys

    print(make_export(sys.argv[1], sys.argv[2]))
