"""The ingest commands of ``iop-metrics`` (sample, validate, load, import, keygen, mapping, export,
benchmark): each takes the parsed arguments, calls the ingest functions and prints what was
written; bad input raises ``InputError`` for ``cli.main`` to turn into exit 2.

Every command imports its module when it runs, so parsing arguments loads none of them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError


def cmd_sample(a: argparse.Namespace) -> int:
    from .sample import generate

    s = generate(
        a.out, clients=a.clients, sites=a.sites, start=a.start, end=a.end, seed=a.seed, fmt=a.format
    )
    print(
        f"wrote {s.clients:,} clients, {s.episodes:,} episodes, {s.sessions:,} sessions, "
        f"{s.assessments:,} assessments, {s.noms:,} noms rows to {s.out_dir}/ ({a.format})"
    )
    return 0


def cmd_validate(a: argparse.Namespace) -> int:
    import duckdb

    from .load import check

    con = duckdb.connect()
    try:
        summary = check(con, a.data_dir, ignore=a.ignore or ())
    except InputError as exc:
        if a.errors_out:
            Path(a.errors_out).write_text("\n".join(str(v) for v in exc.violations) + "\n")
            exc.report_path = a.errors_out
        raise
    finally:
        con.close()
    print(f"{a.data_dir}: valid against the data contract")
    print(summary.describe(verb="valid"))
    return 0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_load(a: argparse.Namespace) -> int:
    from .load import load

    q, taken = a.quarantine, a.export_date
    if a.mapping:  # import the export through the mapping into a scratch folder, then load it
        from .importer import load_mapped

        summary = load_mapped(
            a.data_dir, a.db, a.mapping, quarantine=q, wait=a.wait, log=say, export_date=taken
        )
    else:
        summary = load(
            a.data_dir,
            a.db,
            quarantine=q,
            ignore=a.ignore or (),
            wait=a.wait,
            log=say,
            export_date=taken,
        )
    print(f"loaded {a.data_dir} into {a.db}")
    print(summary.describe())
    if summary.rejected:
        print(
            f"{len(summary.rejected)} problem(s) set aside; see the rejected_rows table",
            file=sys.stderr,
        )
    return 0


def cmd_import_mapped(a: argparse.Namespace) -> int:
    from .importer import import_export

    if a.export or not a.mapping:
        raise InputError(
            "usage: iop-metrics import EXPORT_DIR --mapping M --out DIR "
            "(or: iop-metrics import fhir EXPORT_DIR [--mapping M] --out DIR)"
        )
    report, _ = import_export(a.source, a.mapping, a.out, fmt=a.format)
    print(f"imported {a.source} through {a.mapping} into {a.out}/ ({a.format})")
    for name, t in report["tables"].items():
        skipped = sum(sum(v.values()) for v in t["rows_skipped"].values())
        print(
            f"  {name:<15} {t['rows_written']:>10,} rows written  ({t['rows_read']:,} read, "
            f"{skipped:,} skipped by keep, {t['rows_collapsed']:,} identical rows collapsed)"
        )
    print(f"  see {Path(a.out) / 'import_report.json'} for every column and code")
    return 0


def cmd_keygen(a: argparse.Namespace) -> int:
    from .pseudonym import keygen

    print(f"wrote a new pseudonymization key to {keygen(a.path)} (mode 0600); keep it safe")
    return 0


def cmd_mapping(a: argparse.Namespace) -> int:
    from .draft import draft

    sys.stdout.write(draft(a.export_dir))
    return 0


def cmd_export(a: argparse.Namespace) -> int:
    from .export import export

    written = export(a.db, a.parquet)
    tables = ", ".join(f"{t} ({n:,} rows)" for t, n in written.items())
    print(f"wrote {tables} to {a.parquet}/ (one Parquet folder per table)")
    return 0


def cmd_import_fhir(a: argparse.Namespace) -> int:
    import duckdb

    from .fhir import import_fhir, read_fhir_mapping
    from .writer import write_contract_folder

    if not a.export:
        raise InputError("usage: iop-metrics import fhir EXPORT_DIR [--mapping M] --out DIR")
    config, key, mapping = read_fhir_mapping(a.mapping)
    con = duckdb.connect()
    try:
        report = import_fhir(con, a.export, config, key=key)
        report["mapping"] = mapping or None
        write_contract_folder(con, a.out, fmt=a.format, report=report)
        out = Path(a.out)
    finally:
        con.close()
    rows = ", ".join(
        f"{n:,} {t}" for t, n in ((t, v["rows_written"]) for t, v in report["tables"].items())
    )
    print(f"wrote {rows} to {out}/ ({a.format}); see {out}/import_report.json")
    for t, n in ((t, v["count"]) for t, v in report["unassigned"].items()):
        print(f"  {n:,} {t} resource(s) unassigned to an episode (listed in the report)")
    if not report["pseudonymized"]:
        print(
            "note: no [pseudonymize] key_file in the mapping; FHIR logical ids kept as ids",
            file=sys.stderr,
        )
    return 0


def cmd_import(a: argparse.Namespace) -> int:
    if a.source == "fhir":
        return cmd_import_fhir(a)
    return cmd_import_mapped(a)


def cmd_benchmark(a: argparse.Namespace) -> int:
    from .teds import describe, read_teds_d, write_benchmark

    doc = read_teds_d(a.file, year=a.year, state=a.state, include_mat=a.include_mat)
    out = write_benchmark(doc, a.out)
    prov = doc["provenance"]
    print(
        f"wrote {out}: {prov['rows_read']:,} rows read ({prov['layout']}), "
        f"{prov['rows_used']:,} intensive outpatient discharges counted"
    )
    print(describe(doc))
    return 0
