"""Synthetic, de-identified records with the shape of a real IOP.

Seeded and deterministic. Clients are made in fixed-size chunks, each from its
own child seed, with numpy arrays only (no per-client Python loop), and each
chunk is appended to the output files, so tens of millions of sessions take
bounded memory.

Pathways: detox (3.7-WM) and/or residential (3.5) or PHP (2.5) stepping down
into IOP (2.1), a few direct IOP admissions, step-down to outpatient (1.0),
some step-ups back to PHP or residential, and some readmissions. Attendance
falls off in the weeks before a drop-out; most drop-outs leave early;
completions come around 8-12 weeks. The program is closed on holidays, some
weeks run as telehealth, and PHQ-9 / GAD-7 are taken at intake and every 30 days. The NOMS
items (``noms``) are asked at IOP admission and discharge and at follow-up contacts after it
(``sample_noms``), from their own random stream, so the other tables do not depend on them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..periods import us_federal_holidays
from .sample_model import (
    EPOCH,
    IOP,
    LEVELS,
    REASONS,
    _assessments,
    _d,
    _pathways,
    _sessions,
)
from .sample_noms import CODES, _noms

if TYPE_CHECKING:
    import duckdb

CHUNK = 20_000
SITES = ("main", "north", "east", "west")


@dataclass(frozen=True)
class SampleSummary:
    clients: int
    episodes: int
    sessions: int
    assessments: int
    out_dir: Path
    noms: int = 0


def _holidays(start: dt.date, end: dt.date) -> np.ndarray:
    return np.array(us_federal_holidays(start, end), dtype="datetime64[D]")


class _Writer:
    """Appends pyarrow tables chunk by chunk to NAME.csv or NAME.parquet."""

    def __init__(self, out: Path, fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self.open: dict[str, pq.ParquetWriter | pacsv.CSVWriter] = {}

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self.open:
            path = self.out / f"{name}.{self.fmt}"
            if self.fmt == "parquet":
                self.open[name] = pq.ParquetWriter(path, table.schema, compression="zstd")
            else:
                opts = pacsv.WriteOptions(quoting_style="needed")
                self.open[name] = pacsv.CSVWriter(path, table.schema, write_options=opts)
        self.open[name].write_table(table)

    def close(self) -> None:
        for w in self.open.values():
            w.close()


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array((EPOCH + days).astype("datetime64[D]"), mask=mask)


def generate(
    out_dir: str | os.PathLike[str],
    *,
    clients: int = 700,
    sites: int = 2,
    start: dt.date = dt.date(2024, 11, 1),
    end: dt.date = dt.date(2026, 10, 31),
    seed: int = 20261031,
    fmt: str = "csv",
) -> SampleSummary:
    """Write synthetic records for ``clients`` people to ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> s = generate(tempfile.mkdtemp(), clients=50, seed=3)
    >>> s.clients, s.episodes > 50, s.sessions > 500
    (50, True, True)
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {fmt!r}")
    if not 1 <= sites <= len(SITES):
        raise ValueError(f"sites must be 1..{len(SITES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    s0, s1 = (
        int((np.datetime64(start) - EPOCH).astype(int)),
        int((np.datetime64(end) - EPOCH).astype(int)),
    )
    holidays = _d(_holidays(start, end) - EPOCH)
    root = np.random.SeedSequence(seed)
    storm_rng = np.random.default_rng(root.spawn(1)[0])
    weeks = np.arange((s0 + 3) // 7, (s1 + 3) // 7 + 1)
    storm = np.concatenate(
        [s * 100_000 + storm_rng.choice(weeks, 3, replace=False) for s in range(sites)]
    )
    writer = _Writer(out, fmt)
    n_ep = n_sess = n_ass = n_noms = 0
    try:
        for c, child in enumerate(root.spawn((clients + CHUNK - 1) // CHUNK)):
            rng = np.random.default_rng(child)
            ids = np.arange(c * CHUNK, min(clients, (c + 1) * CHUNK))
            e, birth_year, site = _pathways(rng, ids, s0, s1, sites)
            n = len(ids)
            writer.write("clients", _clients_table(rng, ids, birth_year, e))
            ep_ids = np.char.add(
                "E", np.char.zfill((n_ep + np.arange(len(e["client"])) + 1).astype(str), 8)
            )
            writer.write("episodes", _episodes_table(e, ids, ep_ids))
            attend = rng.beta(9, 1.6, size=n)
            s = _sessions(rng, e, attend, s1, holidays, storm)
            sess_ids = np.char.add(
                "S", np.char.zfill((n_sess + np.arange(len(s["episode"])) + 1).astype(str), 10)
            )
            writer.write("sessions", _sessions_table(s, ep_ids, sess_ids))
            # the scores draw from their own stream, so clients, episodes and sessions stay
            # as they were whatever the score model does
            a = _assessments(np.random.default_rng([seed, 14, c]), e, attend, s1)
            writer.write(
                "assessments",
                pa.table(
                    {
                        "episode_id": pa.array(ep_ids[a["episode"]]),
                        "assessed_on": _dates(a["assessed_on"]),
                        "instrument": pa.array(a["instrument"]),
                        "score": pa.array(a["score"]),
                    }
                ),
            )
            # the NOMS items too: their own stream, drawn after everything else of the chunk
            nm = _noms(np.random.default_rng([seed, 29, c]), e, attend, s1)
            writer.write("noms", _noms_table(nm, ep_ids))
            n_noms += len(nm["episode"])
            n_ep += len(ep_ids)
            n_sess += len(sess_ids)
            n_ass += len(a["episode"])
    finally:
        writer.close()
    return SampleSummary(clients, n_ep, n_sess, n_ass, out, n_noms)


def _clients_table(rng, ids, birth_year, e) -> pa.Table:
    n = len(ids)
    first_level = np.full(n, -1)
    firsts = np.unique(e["client"], return_index=True)
    first_level[firsts[0]] = e["level"][firsts[1]]
    direct = first_level == IOP
    referral = np.where(
        direct,
        rng.choice(
            np.array(["self", "family", "court", "employer", "other"]),
            size=n,
            p=[0.4, 0.25, 0.2, 0.1, 0.05],
        ),
        "provider",
    )
    subst = ["alcohol", "opioids", "stimulants", "cannabis", "sedatives", "other"]
    payer = ["medicaid", "medicare", "commercial", "self_pay", "other"]
    return pa.table(
        {
            "client_id": pa.array(np.char.add("C", np.char.zfill((ids + 1).astype(str), 7))),
            "birth_year": pa.array(birth_year, mask=rng.random(n) < 0.02),
            "sex": pa.array(
                rng.choice(np.array(["F", "M", "X", "U"]), size=n, p=[0.42, 0.55, 0.01, 0.02])
            ),
            "primary_substance": pa.array(
                rng.choice(np.array(subst), size=n, p=[0.42, 0.28, 0.14, 0.1, 0.03, 0.03])
            ),
            "payer": pa.array(
                rng.choice(np.array(payer), size=n, p=[0.45, 0.08, 0.38, 0.06, 0.03])
            ),
            "referral_source": pa.array(referral),
        }
    )


def _episodes_table(e, ids, ep_ids) -> pa.Table:
    open_ = e["open"]
    tracks = np.array(["adult-day", "adult-evening", "adolescent"])
    is_iop = e["level"] == IOP
    return pa.table(
        {
            "episode_id": pa.array(ep_ids),
            "client_id": pa.array(
                np.char.add("C", np.char.zfill((ids[0] + e["client"] + 1).astype(str), 7))
            ),
            "site": pa.array(np.array(SITES)[e["site"]]),
            "level_of_care": pa.array(LEVELS[e["level"]]),
            "track": pa.array(tracks[np.clip(e["track"], 0, 2)], mask=~is_iop),
            "admit_date": _dates(e["admit"]),
            "discharge_date": _dates(e["discharge"], mask=open_),
            "discharge_reason": pa.array(REASONS[e["reason"]], mask=open_),
        }
    )


def _sessions_table(s, ep_ids, sess_ids) -> pa.Table:
    att = s["attended_minutes"]
    return pa.table(
        {
            "session_id": pa.array(sess_ids),
            "episode_id": pa.array(ep_ids[s["episode"]]),
            "session_date": _dates(s["session_date"]),
            "service_type": pa.array(s["service_type"]),
            "scheduled_minutes": pa.array(s["scheduled_minutes"]),
            "status": pa.array(s["status"]),
            "attended_minutes": pa.array(att, mask=att < 0),
            "telehealth": pa.array(s["telehealth"]),
        }
    )


def _noms_table(r, ep_ids) -> pa.Table:
    def coded(name: str) -> pa.Array:
        return pa.array(CODES[name][np.maximum(r[name], 0)], mask=r[name] < 0)

    return pa.table(
        {
            "episode_id": pa.array(ep_ids[r["episode"]]),
            "time_point": pa.array(CODES["time_point"][r["time_point"]]),
            "collected_on": _dates(r["day"]),
            "contact": coded("contact"),
            "use_frequency": coded("use"),
            "employment": coded("employment"),
            "living": coded("living"),
            "arrests": pa.array(r["arrests"], mask=r["arrests"] < 0),
            "self_help": coded("self_help"),
        }
    )


def write_worked_example(out_dir: str | os.PathLike[str]) -> Path:
    """Write the worked example of metrics.md (clients A, B and C) as CSV files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "clients": "client_id,birth_year\nA,1980\nB,1992\nC,1975\n",
        "episodes": (
            "episode_id,client_id,site,level_of_care,track,admit_date,discharge_date,"
            "discharge_reason\n"
            "A-res,A,main,3.5,,2026-04-01,2026-05-02,completed\n"
            "A-iop,A,main,2.1,adult-day,2026-05-01,2026-05-29,completed\n"
            "A-op,A,main,1.0,,2026-06-03,,\n"
            "B-iop,B,main,2.1,adult-day,2026-05-04,2026-05-08,dropped_out\n"
            "C-iop,C,main,2.1,adult-evening,2026-02-02,,\n"
        ),
        "sessions": (
            "session_id,episode_id,session_date,service_type,scheduled_minutes,status\n"
            "s1,A-iop,2026-05-04,group,180,attended\n"
            "s2,A-iop,2026-05-06,group,180,attended\n"
            "s3,B-iop,2026-05-05,group,180,no_show\n"
        ),
    }
    for name, text in files.items():
        (out / f"{name}.csv").write_text(text)
    return out


def example_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory database holding the worked example of metrics.md (clients A, B, C)."""
    import tempfile

    from .load import load_memory

    with tempfile.TemporaryDirectory() as folder:
        return load_memory(write_worked_example(folder))
