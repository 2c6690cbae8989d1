"""Builders for hand-made datasets used across the tests."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from iop_metrics.contract import TABLES


def write_dataset(folder: Path, tables: dict[str, list[dict]]) -> Path:
    """Write each table as NAME.csv with the contract's columns (missing keys -> empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        cols = list(TABLES[name].column_names)
        with open(folder / f"{name}.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({c: r.get(c, "") for c in cols})
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def client(cid: str, **kw) -> dict:
    return {"client_id": cid, "birth_year": 1980, **kw}


def episode(
    eid: str, cid: str, level: str, admit: str, discharge: str = "", reason: str = "", **kw
) -> dict:
    if discharge and not reason:
        reason = "completed"
    return {
        "episode_id": eid,
        "client_id": cid,
        "level_of_care": level,
        "admit_date": admit,
        "discharge_date": discharge,
        "discharge_reason": reason,
        **kw,
    }


_counter = iter(range(1, 10**9))


def session(
    eid: str, date: str, status: str = "attended", minutes: int = 180, service: str = "group", **kw
) -> dict:
    return {
        "session_id": f"S{next(_counter)}",
        "episode_id": eid,
        "session_date": date,
        "service_type": service,
        "scheduled_minutes": minutes,
        "status": status,
        **kw,
    }
