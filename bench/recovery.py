"""`make bench`: what the document's ``noms`` and ``follow_up`` keys add to one month's document
at ~10M sessions with ~1M noms rows (issue #29: under 15%).

bench/run.py's ``10M`` set (generated and loaded here if missing, as bench/outcomes.py does) is
copied to bench/out/10M-noms.duckdb and, when its noms table holds fewer than 1.5 rows per
client (the sample generator writes none yet), given ~1M by a bench-local generator in SQL: an
admission row for 80% of the episodes, a discharge row for half of the discharged ones, and for each
discharged episode a follow-up contact at about 1, 3, 6 and 12 months with probability 0.08 each
(reached, not reached, declined, rarely deceased), items drawn from a hash of the episode; then
the recovery derived tables (episode_noms, episode_follow_up) are built, as load builds them. One
process then times, in turns, ``document(con, q)`` with both keys and without them (the same
function with the two keys left out), after a warm-up of each, in wall and CPU time; the goal is
judged on the CPU medians. Not a test: the machine may be shared, so the load average is printed.

    .venv/bin/python bench/recovery.py [--size 10M] [--period 2026-06] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

from outcomes import data_for
from run import OUT, SIZES, py, timed

GOAL = 1.15  # the document with noms and follow_up over the document without them

# The bench-local generator: ~1M noms rows from the episodes (DuckDB SQL, deterministic).
GENERATE = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[1])
have = con.execute("select count(*) from duckdb_tables() where table_name = 'noms'").fetchone()[0]
if not have:
    con.execute("create table noms (episode_id varchar, time_point varchar, collected_on date, "
                "contact varchar, use_frequency varchar, employment varchar, living varchar, "
                "arrests integer, self_help varchar)")
if con.execute("select count(*) from noms").fetchone()[0] < int(sys.argv[2]):
    print("generating ~1M noms rows", flush=True)
    con.execute("delete from noms")
    con.execute('''
    create or replace macro pick(key, salt, choices) as
        choices[1 + cast(hash(key || salt) % len(choices) as integer)];
    create or replace macro maybe(key, salt, p) as hash(key || salt) % 1000 < p * 1000;
    insert into noms
    with items as (
        select
            episode_id, admit_date, discharge_date,
            pick(episode_id, 'u', ['none', '1_3_month', '1_2_week', '3_6_week', 'daily', null])
                as u,
            pick(episode_id, 'e', ['full_time', 'part_time', 'unemployed', 'student', null])
                as e,
            pick(episode_id, 'l', ['homeless', 'dependent', 'independent', 'independent'])
                as l,
            pick(episode_id, 'a', [0, 0, 0, 1, null]) as a,
            pick(episode_id, 's', ['none', '1_3', '4_7', 'some', null]) as s
        from episodes
    ),
    admission as (
        select episode_id, 'admission', admit_date, null, u, e, l, a, s
        from items where maybe(episode_id, 'A', 0.8)
    ),
    discharge as (
        select episode_id, 'discharge', discharge_date, null,
            pick(episode_id, 'ud', ['none', 'none', '1_3_month', 'daily']), e, l, 0, s
        from items where discharge_date is not null and maybe(episode_id, 'D', 0.5)
    ),
    contacts as (
        select i.episode_id, i.discharge_date + d.day as on_day,
            pick(i.episode_id, 'c' || cast(d.day as varchar),
                 ['reached', 'reached', 'not_reached', 'declined', 'reached', 'deceased'])
                as contact,
            i.u, i.e, i.l, i.a
        from items as i
        cross join (select unnest([30, 90, 180, 365]) as day) as d
        where i.discharge_date is not null
            and maybe(i.episode_id, 'F' || cast(d.day as varchar), 0.08)
    )
    select * from admission
    union all select * from discharge
    union all
    select episode_id, 'follow_up', on_day, contact,
        case when contact = 'reached' then pick(episode_id, 'uf' || cast(on_day as varchar),
            ['none', 'none', '1_2_week', 'daily']) end,
        case when contact = 'reached' then e end,
        case when contact = 'reached' then l end,
        case when contact = 'reached' then a end,
        null
    from contacts
    order by 3, 1
    ''')
    generated = True
else:
    generated = False
from iop_metrics.compute import derived
if generated:  # the noms rows changed: build the derived tables again, as load builds them
    print("building the derived tables", flush=True)
    derived.build(con)
print(con.execute("select count(*) from noms").fetchone()[0], flush=True)
"""

MEASURE = r"""
import json, statistics, sys, time
import duckdb
from iop_metrics.compute import metrics as m
from iop_metrics.compute.query import Query
from iop_metrics.compute import recovery as r
from iop_metrics.periods import parse_period

con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set enable_progress_bar = false")
q, runs = Query.of(parse_period(sys.argv[2])), int(sys.argv[3])
keys = (r.noms, r.follow_up)


def none(con, q):
    return {}


def timed(f):
    w, c = time.perf_counter(), time.process_time()
    out = f()
    return (time.perf_counter() - w, time.process_time() - c), out


def document(with_keys):
    r.noms, r.follow_up = keys if with_keys else (none, none)  # looked up on every call
    try:
        return timed(lambda: m.document(con, q))
    finally:
        r.noms, r.follow_up = keys


document(True), document(False)  # warm-up: macros, caches
times = {"with": [], "without": [], "noms": [], "follow_up": []}
for i in range(runs):
    for k in ((True, False) if i % 2 == 0 else (False, True)):
        times["with" if k else "without"].append(document(k)[0])
    t, n = timed(lambda: keys[0](con, q))
    times["noms"].append(t)
    t, f = timed(lambda: keys[1](con, q))
    times["follow_up"].append(t)
c = con.execute("select (select count(*) from sessions), (select count(*) from noms)").fetchone()
print(json.dumps({
    "sessions": c[0], "noms_rows": c[1],
    "wall_median": {k: statistics.median(w for w, _ in v) for k, v in times.items()},
    "wall_best": {k: min(w for w, _ in v) for k, v in times.items()},
    "cpu_median": {k: statistics.median(c for _, c in v) for k, v in times.items()},
    "runs": {k: [[round(w, 3), round(c, 3)] for w, c in v] for k, v in times.items()},
    "figures": {"ended": n["ended"], "paired_abstinent": n["abstinent"]["paired"],
                "due_3m": f["3m"]["due"], "reached_3m": f["3m"]["reached"]},
}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="10M", choices=sorted(SIZES), help="default 10M")
    ap.add_argument("--period", default="2026-06", help="the month measured (default 2026-06)")
    ap.add_argument("--runs", type=int, default=7, help="runs per figure (default 7)")
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    source = data_for(a.size)
    db = OUT / f"{a.size}-noms.duckdb"
    if not db.is_file() or db.stat().st_mtime < source.stat().st_mtime:
        shutil.copyfile(source, db)
    enough = str(SIZES[a.size] * 3 // 2)  # a set's noms rows when generated (~1M at 10M)
    print(timed(py(GENERATE, str(db), enough))["stdout"].strip(), flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    r = json.loads(timed(py(MEASURE, str(db), a.period, str(a.runs)))["stdout"])
    columns = ("wall_median", "wall_best", "cpu_median")
    ratios = {c: r[c]["with"] / r[c]["without"] for c in columns}
    verdict = "goal met" if ratios["cpu_median"] < GOAL else f"goal <{GOAL:.2f}x NOT met"
    f = r["figures"]
    print(
        f"[recovery {a.size}] {r['sessions']:,} sessions, {r['noms_rows']:,} noms rows, period "
        f"{a.period} ({f['ended']:,} ended, {f['paired_abstinent']:,} paired on abstinence; "
        f"3m: {f['due_3m']:,} due, {f['reached_3m']:,} reached); {a.runs} runs in-process"
    )
    print(f"  {'':<38} {'wall median':>12} {'wall best':>10} {'CPU median':>11}")
    for label, key in (
        ("document without noms, follow_up", "without"),
        ("document with noms, follow_up", "with"),
        ("the noms key alone", "noms"),
        ("the follow_up key alone", "follow_up"),
    ):
        print(f"  {label:<38} " + " ".join(f"{r[c][key]:10.3f} s" for c in columns))
    print(
        f"  {'ratio with / without':<38} "
        + " ".join(f"{ratios[c]:11.3f}x" for c in columns)
        + f"   {verdict} (judged on CPU time: the work added, whatever else runs)"
    )
    print(f"load average {os.getloadavg()[0]:.1f}")
    (OUT / "recovery.json").write_text(json.dumps({**r, "ratios": ratios, "goal": GOAL}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
