"""Issue #31's acceptance check: every output byte-identical before and after a refactor.

    .venv/bin/python bench/parity.py OUT_DIR [--parts sample,network,programs] [--cache DIR]
    .venv/bin/python bench/parity.py --compare BASELINE_DIR NEW_DIR
    .venv/bin/python bench/parity.py --rehash OUT_DIR

The first form renders a fixed set of outputs through the public command line only
(``iop-metrics sample``, ``run``, ``report``, ``metrics``, ``sites``), so that it runs unchanged
on code whose modules have moved, and writes OUT_DIR/manifest.json: the sha256 of every
output after normalizing the few bytes that differ between two renders of the same data.
The rendered files stay in OUT_DIR so that a later diff can show what changed.

- ``sample/``: data/sample as a run (2026-10, sites = "each", internal and external with
  K = 11, HTML and PDF; the PDF is checked through ``pdftotext``'s text, its bytes carry
  Chromium's creation date and object ids), the reports of a quarter (internal and K = 11),
  a month's report with ``--suppress 5``, and ``metrics`` and ``sites`` as JSON, CSV and table.
- ``network/``: the ten-site network of bench/runs.py (the sample generator with
  ``--network-clients`` clients, 32,000 = ~1M sessions, spread over sites s00..s09), one
  month as a run, internal and external, HTML.
- ``programs/``: the hidden-count hunts' small programs of tests/test_privacy.py (the seeds
  written there, K = 5, data from 2025-10-01 to 2026-10-31) and one more three-site one,
  each a run, internal and external, HTML.

Generated inputs are cached in ``--cache`` (default OUT_DIR/../.parity-data) and reused; the
manifest records each input's sha256 so that a comparison on other inputs says so.

Normalized (found by rendering 2ad574f twice into two folders with two caches and diffing;
one regex each in ``TIMES`` and ``rules``): the report header's "loaded" time and
"Generated" time (HTML and PDF text), the sites page's "Generated" time, the run index's
"Last run" time, the random id papermill gives the (empty, hidden) injected-parameters cell
kept in the report's HTML, and the absolute paths of OUT_DIR and of the cache where they
stand whole (the run index names its folder). Nothing else differed. Notebooks (their
parameters and papermill's timings change by design with issue #31's request object; their
cell outputs are hashed) and runs.jsonl (timings) are listed apart, as information:
``--compare`` prints their differences but judges only the reports, metrics.json, sites
pages and JSON, the run index, the PDFs' text and the command outputs. Exit 1 on any
difference. ``--parts`` renders only some parts (into the same folder), ``--rehash`` hashes
an earlier render again.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("iop-metrics"))
PERIOD = "2026-10"
QUARTER = "2026-Q3"
SITES = 10
# (clients, sites, seed): the explicit cases of tests/test_privacy.py's hunts, then one more
PROGRAMS = ((69, 1, 69889), (29, 2, 846974371), (120, 3, 31))
PROGRAM_DAYS = ("2025-10-01", "2026-10-31")

RUN = """[data]
export = "{export}"
db = "iop.duckdb"

[reports]
period = "{period}"
out = "reports"
sites = "each"
audiences = ["internal", "external"]
suppress = {k}
formats = [{formats}]
"""

# Files kept as information only: they change by design (the notebook's parameters) or
# carry timings throughout (the run journal).
INFORMATION = (re.compile(r"\.ipynb$"), re.compile(r"(^|/)runs\.jsonl$"))
# Never hashed: inputs and the run configs naming them, databases, locks (a pid), the
# manifest, the PDF bytes (their text is hashed instead, as FILE.pdf.txt), and dot folders
# (a run's scratch, .run-PID/ with its snapshot, gone when the run ends).
SKIP = re.compile(
    r"(^|/)(data/|iop\.duckdb|run\.toml$|manifest\.json$|\.[^/]+/)|\.lock$|\.pdf$|\.wal$"
)


# Every byte that differs between two renders of the same data into two folders (found by
# rendering the baseline twice and diffing, on 2ad574f), one pattern each.
TIMES = (
    # the report's header (HTML, and the PDF's text with its layout spaces):
    # "Data snapshot <code>76c6dcdc1f17bc73</code>, loaded 2026-12-06 06:02:21"
    (rb"(?<=, loaded )\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", b"<LOADED>"),
    # the report's and the sites page's "Generated 2026-12-06 06:04 UTC[ by iop-metrics ...]"
    (rb"(?<=Generated)(</th><td>| +)\d{4}-\d\d-\d\d \d\d:\d\d UTC", rb"\1<GENERATED>"),
    # the run index: "Last run 2026-12-06 06:04 UTC: every report written."
    (rb"(?<=Last run )\d{4}-\d\d-\d\d \d\d:\d\d UTC", b"<LAST-RUN>"),
    # papermill gives the cell it injects a random id, kept (empty) in the report's HTML
    (rb'(?<=celltag_injected-parameters" id="cell-id=)[0-9a-f]{8}(?=")', b"<CELL-ID>"),
)


def rules(out: Path, cache: Path) -> list[tuple[re.Pattern[bytes], bytes]]:
    """The normalizations, applied in order to every hashed file: the generation times, then
    the absolute paths of OUT_DIR (the run index names its folder) and of the cache."""
    return [(re.compile(p), r) for p, r in TIMES] + [
        (_path(out), b"<OUT>"),
        (_path(cache), b"<CACHE>"),
    ]


def _path(folder: Path) -> re.Pattern[bytes]:
    """``folder``'s absolute path where it stands whole (not inside a longer name or URL)."""
    return re.compile(rb"(?<![\w./-])" + re.escape(str(folder.resolve()).encode()) + rb"(?![\w.-])")


# A notebook's cells are kept for information only: its charts number their gradients on
# from the ones the warm kernel drew before (the HTML renumbers them), so the numbers go.
GRADIENT = (re.compile(rb"gradient_\d+"), b"gradient_N")


def normalize(data: bytes, subs: list[tuple[re.Pattern[bytes], bytes]]) -> bytes:
    for pattern, repl in subs:
        data = pattern.sub(repl, data)
    return data


def notebook_outputs(data: bytes) -> bytes:
    """A notebook's cell outputs, without execution counts, timings or metadata."""
    nb = json.loads(data)
    outs = []
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []):
            outs.append({k: v for k, v in o.items() if k not in ("execution_count", "metadata")})
    return json.dumps(outs, sort_keys=True, indent=1).encode()


def cli(*args: str, cwd: Path, stdout: Path | None = None) -> None:
    t = time.perf_counter()
    with open(stdout, "wb") if stdout else open(os.devnull, "wb") as out:
        p = subprocess.run([CLI, *args], cwd=cwd, stdout=out, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode(errors="replace")[-3000:])
        raise SystemExit(f"iop-metrics {' '.join(args)} exited {p.returncode}")
    print(f"  {time.perf_counter() - t:6.1f} s  iop-metrics {' '.join(args)}", flush=True)


def run(work: Path, export: Path, *, k: int, formats: str) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / "run.toml").write_text(RUN.format(export=export, period=PERIOD, k=k, formats=formats))
    cli("run", "run.toml", cwd=work)


def sample_case(out: Path) -> None:
    work = out / "sample"
    shutil.copytree(ROOT / "data" / "sample", work / "data")
    run(work, work / "data", k=11, formats='"html", "pdf"')
    db = str(work / "iop.duckdb")
    for k in (0, 11):
        cli("report", "--db", db, "--period", QUARTER, "--formats", "html", "--suppress", str(k),
            "--out", f"quarter-k{k}", cwd=work)  # fmt: skip
    cli("report", "--db", db, "--period", PERIOD, "--formats", "html", "--suppress", "5",
        "--out", "month-k5", cwd=work)  # fmt: skip
    (work / "cli").mkdir()
    for fmt in ("json", "csv", "table"):
        for site in (None, "north"):
            where = ["--site", site] if site else []
            name = f"metrics-{site or 'all'}.{fmt}"
            cli("metrics", "--db", db, "--period", PERIOD, "--format", fmt, *where,
                cwd=work, stdout=work / "cli" / name)  # fmt: skip
        cli("sites", "--db", db, "--period", PERIOD, "--format", fmt,
            cwd=work, stdout=work / "cli" / f"sites.{fmt}")  # fmt: skip
    for pdf in sorted(work.rglob("*.pdf")):
        txt = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True)
        pdf.with_name(pdf.name + ".txt").write_bytes(txt.stdout)


def network_data(cache: Path, clients: int) -> Path:
    """The ten-site network of bench/runs.py, generated once into the cache."""
    folder = cache / f"network-{clients}"
    if (folder / "episodes.parquet").exists():
        return folder
    import duckdb

    tmp = cache / f".network-{clients}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    cli("sample", "--out", str(tmp), "--clients", str(clients), "--sites", "1",
        "--format", "parquet", cwd=cache)  # fmt: skip
    src, dst = tmp / "episodes.parquet", tmp / "episodes.sites.parquet"
    # site from the client number (C0000001 -> s01), independent of DuckDB's hash function
    duckdb.sql(
        f"copy (select * replace ('s' || lpad(cast(cast(substr(client_id, 2) as integer)"
        f" % {SITES} as varchar), 2, '0') as site) from read_parquet('{src}'))"
        f" to '{dst}' (format parquet)"
    )
    os.replace(dst, src)
    os.replace(tmp, folder)
    return folder


def program_data(cache: Path, clients: int, sites: int, seed: int) -> Path:
    folder = cache / f"program-{clients}-{sites}-{seed}"
    if not (folder / "episodes.csv").exists():
        tmp = cache / f".{folder.name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        cache.mkdir(parents=True, exist_ok=True)
        cli("sample", "--out", str(tmp), "--clients", str(clients), "--sites", str(sites),
            "--seed", str(seed), "--start", PROGRAM_DAYS[0], "--end", PROGRAM_DAYS[1],
            cwd=cache)  # fmt: skip
        os.replace(tmp, folder)
    return folder


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(out: Path, cache: Path, seconds: dict[str, float]) -> dict:
    """The hashes of every rendered file under ``out`` and of every run's input (the export
    folder its run.toml names)."""
    subs = rules(out, cache)
    files, info, ins = {}, {}, {}
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if p.name == "run.toml":
            export = Path(re.search(r'export = "(.*)"', p.read_text())[1])
            for f in sorted(export.rglob("*")):
                if f.is_file():
                    key = f"{p.parent.relative_to(out).as_posix()}/{f.relative_to(export)}"
                    ins[key] = sha(f.read_bytes())
        if not p.is_file() or SKIP.search(rel):
            continue
        data = normalize(p.read_bytes(), subs)
        if any(r.search(rel) for r in INFORMATION):
            ipynb = rel.endswith(".ipynb")
            info[rel] = sha(notebook_outputs(normalize(data, [GRADIENT])) if ipynb else data)
        else:
            files[rel] = sha(data)
    git = ["git", "log", "-1", "--format=%H", "--", "iop_metrics", "notebooks", "pyproject.toml"]
    return {
        # the last commit of the code that rendered (bench/ may be newer)
        "commit": subprocess.run(git, cwd=ROOT, capture_output=True, text=True).stdout.strip(),
        "cache": str(cache.resolve()),
        "seconds": seconds,
        "inputs": ins,
        "files": files,
        "information": info,
    }


PARTS = ("sample", "network", "programs")


def render(out: Path, cache: Path, network_clients: int, parts: tuple[str, ...]) -> int:
    """Render ``parts`` into ``out`` (a part's folder must be new), then hash all of ``out``."""
    for part in parts:
        if (out / part).exists():
            raise SystemExit(f"{out / part} exists: give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    seconds = {}
    if (out / "manifest.json").exists():  # another part rendered before
        seconds = json.loads((out / "manifest.json").read_text())["seconds"]
    for part in parts:
        print(part, flush=True)
        t = time.perf_counter()
        if part == "sample":
            sample_case(out)
        elif part == "network":
            run(out / "network", network_data(cache, network_clients), k=11, formats='"html"')
            (out / "network" / "iop.duckdb").unlink()
        else:
            for clients, sites, seed in PROGRAMS:
                data = program_data(cache, clients, sites, seed)
                run(out / "programs" / data.name, data, k=5, formats='"html"')
        seconds[part] = round(time.perf_counter() - t, 1)
    write(out, manifest(out, cache, seconds))
    print("seconds: " + ", ".join(f"{k} {v}" for k, v in seconds.items()))
    return 0


def write(out: Path, m: dict) -> None:
    (out / "manifest.json").write_text(json.dumps(m, indent=1, sort_keys=True) + "\n")
    n, info = len(m["files"]), len(m["information"])
    print(f"{n} files (+{info} for information) in {out}/manifest.json")


def rehash(out: Path) -> int:
    """Hash an earlier render again (after a change to the rules), keeping its timings."""
    old = json.loads((out / "manifest.json").read_text())
    write(out, manifest(out, Path(old["cache"]), old["seconds"]))
    return 0


def compare(base: Path, new: Path, *, diffs: int = 3, lines: int = 80) -> int:
    a = json.loads((base / "manifest.json").read_text())
    b = json.loads((new / "manifest.json").read_text())
    if a["inputs"] != b["inputs"]:
        changed = sorted(k for k in a["inputs"].keys() | b["inputs"].keys()
                         if a["inputs"].get(k) != b["inputs"].get(k))  # fmt: skip
        print(f"INPUTS DIFFER ({len(changed)}): {', '.join(changed[:10])}")
    bad = []
    rendered = {k.split("/")[0] for k in b["files"]}
    for part in sorted({k.split("/")[0] for k in a["files"]} - rendered):
        print(f"not rendered in {new.name} (--parts), not compared: {part}/")
    for kind in ("files", "information"):
        x = {k: v for k, v in a[kind].items() if k.split("/")[0] in rendered}
        y = b[kind]
        for rel in sorted(x.keys() | y.keys()):
            if x.get(rel) != y.get(rel):
                what = "missing" if rel not in y else "new" if rel not in x else "differs"
                print(f"{'' if kind == 'files' else '(information) '}{what}: {rel}")
                if kind == "files":
                    bad.append((rel, what))
    shown = 0
    for rel, what in bad:
        if what != "differs" or shown >= diffs:
            continue
        old = normalize((base / rel).read_bytes(), rules(base, Path(a["cache"])))
        now = normalize((new / rel).read_bytes(), rules(new, Path(b["cache"])))
        try:
            old_t, now_t = old.decode(), now.decode()
        except UnicodeDecodeError:
            continue
        # HTML and JSON may sit on few long lines: diff them cut at tags and commas
        cut = re.compile(r"(?<=[>,])(?!\n)")
        d = list(
            difflib.unified_diff(
                cut.sub("\n", old_t).splitlines(),
                cut.sub("\n", now_t).splitlines(),
                f"{base.name}/{rel}",
                f"{new.name}/{rel}",
                lineterm="",
            )
        )
        more = f"\n... {len(d) - lines} more lines" if len(d) > lines else ""
        print("\n".join(d[:lines]) + more)
        shown += 1
    n = sum(k.split("/")[0] in rendered for k in a["files"])
    print(f"{len(bad)} of {n} files differ" if bad else f"all {n} files identical")
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, help="a new folder to render into")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BASELINE_DIR", "NEW_DIR"))
    ap.add_argument("--parts", default=",".join(PARTS), help="render only these (default all)")
    ap.add_argument("--rehash", type=Path, metavar="OUT_DIR", help="hash a render again")
    ap.add_argument("--cache", type=Path, help="generated inputs (default OUT/../.parity-data)")
    ap.add_argument("--network-clients", type=int, default=32_000, help="~32 sessions each")
    a = ap.parse_args()
    if a.compare:
        return compare(*a.compare)
    if a.rehash:
        return rehash(a.rehash.resolve())
    if a.out is None:
        ap.error("give OUT_DIR or --compare BASELINE_DIR NEW_DIR")
    out = a.out.resolve()
    parts = tuple(a.parts.split(","))
    if not set(parts) <= set(PARTS):
        ap.error(f"--parts: some of {','.join(PARTS)}")
    cache = (a.cache or out.parent / ".parity-data").resolve()
    return render(out, cache, a.network_clients, parts)


if __name__ == "__main__":
    sys.exit(main())
