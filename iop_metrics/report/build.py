"""papermill orchestration: execute the report notebook, write HTML, PDF, notebook and metrics.json.

Outputs are written to a temporary folder beside ``reports/<period>/`` (named for this
process, ``.tmp-<period>-<pid>-*``) and moved in only when the whole run succeeded; a failed
run removes it, keeps the executed notebook as ``failed-<name>.ipynb`` and raises
``ReportError`` with the failing cell's error, or ``WriteError`` naming the file when the disk
is full (the earlier report stays as it was).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..compute.query import Scope
from ..contract import folder_code_problem
from ..errors import InputError, WriteError, folder_bytes, free_bytes
from ..periods import Period
from ..scratch import temp_name
from . import markup
from .markup import PAPERS
from .request import Request

NOTEBOOK = "monthly_report.ipynb"
NAMES = {"month": "monthly_report", "quarter": "quarterly_report", "year": "annual_report"}
LOW_DISK = (
    1 << 20
)  # under this free, a Chromium that printed no PDF is taken to have hit a full disk
CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# A report's scratch, swept by the next report or run into the same folder after a kill
# (``scratch.reports_folder``): its temporary folder, .tmp-<period>-<pid>-* (legacy names
# without a pid too), and, in the shared temporary folder, the kernel's log, Chromium's
# profile and the database ``report --data`` loads (``scratch.temp_name``).
SCRATCH = (r"\.tmp-.+",)
TEMP = ("kernel", "chromium", "report")


class ReportError(Exception):
    """A report run failed (exit code 1); the message is one readable paragraph."""


def report_folder(out: Path, period: Period, scope: Scope) -> Path:
    """Where ``iop-metrics report`` writes: ``<out>/<period>/`` for the whole program, with a
    site's report in ``<period>/<site>/`` (the scope folder a run uses) and a track's in
    ``.../track-<track>/``, so no scope overwrites another's files.

    >>> from iop_metrics.periods import parse_period
    >>> p = parse_period("2026-10")
    >>> [str(report_folder(Path("reports"), p, Scope(site=s, track=t)))
    ...  for s, t in ((None, None), ("north", None), (None, "adolescent"))]
    ['reports/2026-10', 'reports/2026-10/north', 'reports/2026-10/all/track-adolescent']

    A site or track code that cannot name a folder (``contract.folder_code_problem``) is
    refused, never used as a path:

    >>> report_folder(Path("reports"), p, Scope(site="../escaped"))
    Traceback (most recent call last):
    ...
    iop_metrics.errors.InputError: site code '../escaped' cannot name a report folder ...
    """
    for column, code in (("site", scope.site), ("track", scope.track)):
        why = folder_code_problem(code, column=column) if code else None
        if why:
            raise InputError(
                f"{why}; rename it in the export, or give it a code through the mapping "
                f"(tables.episodes.columns.{column}.codes)"
            )
    folder = out / period.label
    if scope.site or scope.track:
        folder /= scope.site or "all"
    return folder / f"track-{scope.track}" if scope.track else folder


def notebook_path() -> Path:
    """The report notebook: notebooks/ in a checkout, else the copy shipped in the package."""
    here = Path(__file__).resolve().parents[2] / "notebooks" / NOTEBOOK
    if here.is_file():
        return here
    return Path(str(resources.files("iop_metrics").joinpath("notebooks", NOTEBOOK)))


def find_chromium() -> str | None:
    for name in CHROMIUM:
        if path := shutil.which(name):
            return path
    return None


def _failure(nb_path: Path) -> str:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                section = cell.get("metadata", {}).get("tags", [])
                where = f" in the '{section[0]}' cell" if section else ""
                return f"{out.get('ename')}{where}: {out.get('evalue')}"
    return "the notebook stopped without an error output"


def _metrics_from(nb: Any) -> dict[str, Any]:
    for cell in nb.cells:
        if "metrics" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "application/json" in data:
                    return json.loads(data["application/json"]["metrics_json"])
    raise ReportError("the notebook produced no metrics output (cell tagged 'metrics')")


def to_html(nb: Any, title: str, *, paper: str = "letter") -> str:
    """The executed notebook (as ``nbformat.read`` gives it; its metrics cell's outputs are
    emptied) as one self-contained HTML page with no code showing, set to print on ``paper``
    (letter or a4: the page's CSS ``@page`` size, which Chromium's print uses)."""
    for cell in nb.cells:  # the machine-readable metrics output is for metrics.json only
        if "metrics" in cell.get("metadata", {}).get("tags", []):
            cell["outputs"] = []
    body, _ = _exporter().from_notebook_node(nb)
    body = stable_svg_ids(body)
    page = markup.render(
        "report.html.j2", title=title, css=markup.css(), paper=check_paper(paper), body=Markup(body)
    )
    return page + "\n"


@functools.cache
def _exporter() -> Any:
    """nbconvert's HTML exporter, made once per process: a new one compiles its Jinja
    templates again (~0.2 s CPU a report); it keeps no state of a notebook between calls."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def check_paper(paper: str) -> str:
    """``paper`` as a CSS page size name (letter, a4); anything else is bad input (exit 2)."""
    if paper.lower() not in PAPERS:
        raise InputError(f"paper is {' or '.join(PAPERS)}, not {paper!r}")
    return paper.lower()


SVG_ID = re.compile(r'(?<=["#])(gradient_|clip)(\d+)(?=[")])')


def stable_svg_ids(html: str) -> str:
    """The chart SVGs' gradient and clip ids numbered from 0 in page order.

    Vega numbers them with counters that live as long as the process (vl-convert's), so a
    kernel that drew an earlier report would give this one other numbers; renumbered, the
    page is the same whichever kernel drew it, and the ids stay unique within it.

    >>> stable_svg_ids('<g fill="url(#gradient_7)"/><linearGradient id="gradient_7"/>')
    '<g fill="url(#gradient_0)"/><linearGradient id="gradient_0"/>'
    """
    seen: dict[tuple[str, str], int] = {}

    def renumber(m: re.Match[str]) -> str:
        kind = m.group(1)
        n = seen.setdefault((kind, m.group(2)), sum(k == kind for k, _ in seen))
        return f"{kind}{n}"

    return SVG_ID.sub(renumber, html)


def to_pdf(html_path: Path, pdf_path: Path, chromium: str, *, warm: bool = False) -> None:
    """Print the page with headless Chromium, which takes the paper size from the page's CSS
    ``@page { size: ... }`` (``to_html``'s ``paper``): its command line has no size option.

    ``warm``: print in this process's one Chromium (``browser.py``, the same print over the
    DevTools pipe) instead of starting one for this PDF."""
    if warm:
        return _to_pdf_warm(html_path, pdf_path, chromium)
    from .browser import FLAGS

    with tempfile.TemporaryDirectory(prefix=temp_name("chromium")) as profile:
        proc = subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                "--virtual-time-budget=10000",
                f"--print-to-pdf={pdf_path}",
                html_path.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    if proc.returncode != 0 or not pdf_path.is_file():
        _pdf_failed(pdf_path, proc.stderr.strip()[-400:])


def _to_pdf_warm(html_path: Path, pdf_path: Path, chromium: str) -> None:
    from .browser import BrowserError, current

    try:
        try:
            current(chromium).print_pdf(html_path, pdf_path)
        except BrowserError:
            if current(chromium).alive():  # else it died: once more in a new one
                raise
            current(chromium).print_pdf(html_path, pdf_path)
    except BrowserError as exc:
        _pdf_failed(pdf_path, str(exc))


def _pdf_failed(pdf_path: Path, said: str) -> None:
    """Chromium printed no PDF: a full disk (``WriteError``) or why it said it could not."""
    if (free_bytes(pdf_path.parent) or 0) < LOW_DISK:
        raise WriteError.of(
            OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
            pdf_path,
            writing="the PDF (Chromium stopped with the disk all but full)",
            kept="nothing was replaced",
        )
    raise ReportError(f"Chromium could not print the PDF: {said}")


def render(
    req: Request,
    *,
    out_dir: str | os.PathLike[str] = "reports",
    dest: str | os.PathLike[str] | None = None,
    pdf_required: bool = False,
    warn: Any = print,
    warm: bool = False,
) -> dict[str, float]:
    """Render the report ``req`` asks for (``request.Request``: its period, scope, audience,
    a run's share and figures already read, program, paper, formats, benchmark, where the
    figures are read) into ``out_dir/<period>/`` (or into the folder ``dest`` when given, as
    scheduled runs do); returns timings in seconds. The notebook gets ``req`` as its one
    ``request`` parameter.

    The ``benchmark`` file and the database (unless the figures are read on Spark from
    ``data_path``) are checked first (bad input: exit 2). ``warm``: run the notebook on this
    process's warm kernel (``kernel.py``), started once and reused by every report the process
    renders, instead of a kernel of its own, and print the PDF in its one Chromium
    (``browser.py``).
    """
    from ..imports import UNUSED, hidden

    if not req.data_path:
        require_db(req.db_path)
    paper = check_paper(req.paper)
    bench = _benchmark_path(req.benchmark)
    req = req.replace(
        db_path=str(Path(req.db_path).resolve()),
        paper=paper,
        benchmark=str(bench) if bench else None,
        engine="spark" if req.data_path else req.engine,
    )
    period, formats = req.period, req.formats
    name = NAMES[period.kind]
    final = Path(dest) if dest is not None else Path(out_dir) / period.label
    created = not final.exists()  # removed again (when empty) if this report fails
    final.mkdir(parents=True, exist_ok=True)
    chromium = find_chromium() if "pdf" in formats else None
    if "pdf" in formats and chromium is None:
        if pdf_required:
            raise ReportError(
                "no Chromium found to print the PDF (install it with "
                "`apt-get install chromium`, or ask only for --formats html)"
            )
        warn(
            "warning: no Chromium found, so no PDF; the HTML is still written "
            "(apt-get install chromium)"
        )
    if warm:  # the kernel and Chromium start now, while papermill is imported and the rest,
        _start_soon(req.formats)  # once the request is good: a refused one starts neither
    with hidden(*UNUSED):
        import nbformat
        import papermill as pm

    timings: dict[str, float] = {}
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{period.label}-{os.getpid()}-", dir=final.parent))
    done = False
    try:
        executed = tmp / f"{name}.ipynb"
        t0 = time.perf_counter()
        noise = Path(tempfile.gettempdir()) / f"{temp_name('kernel')[:-1]}.log"
        try:
            with _kernel_noise_to(noise):
                pm.execute_notebook(
                    str(notebook_path()),
                    str(executed),
                    parameters={"request": req.to_json()},
                    kernel_name="python3",
                    engine_name=_engine(warm),
                    progress_bar=False,
                    log_output=False,
                    cwd=str(tmp),
                    # written once when it ends, not after every cell (~0.3 s CPU a report):
                    # the notebook is read only then (and kept, with its error, on a failure)
                    request_save_on_cell_execute=False,
                )
        except pm.PapermillExecutionError as exc:
            failed = final / f"failed-{name}.ipynb"
            try:
                shutil.copyfile(executed, failed)
            except OSError as err:
                raise _write_error(err, final, tmp) from None
            raise ReportError(
                f"The {period.label} report failed: {_failure(executed)}. "
                f"The executed notebook is kept at {failed}; no report files "
                f"were written."
            ) from exc
        nb = nbformat.read(executed, as_version=4)  # read once for what follows
        timings.update(_cell_timings(nb, time.perf_counter() - t0))
        doc = _metrics_from(nb)
        (tmp / "metrics.json").write_text(json.dumps(doc, indent=2) + "\n")  # document order
        t = time.perf_counter()
        title = f"{name.replace('_', ' ').title()} {period.label}"
        html_path = tmp / f"{name}.html"
        html_path.write_text(to_html(nb, title, paper=paper), encoding="utf-8")
        timings["html"] = time.perf_counter() - t
        if chromium:
            t = time.perf_counter()
            to_pdf(html_path, tmp / f"{name}.pdf", chromium, warm=warm)
            timings["pdf"] = time.perf_counter() - t
        if "html" not in formats:
            html_path.unlink()
        for f in sorted(tmp.iterdir()):
            os.replace(f, final / f.name)
        with contextlib.suppress(FileNotFoundError):
            (final / f"failed-{name}.ipynb").unlink()
        done = True
    except OSError as exc:  # a full disk, a folder that cannot be made: named, nothing replaced
        raise _write_error(exc, final, tmp) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError, UnboundLocalError):
            noise.unlink()
        if not done and created:  # no empty period folder left by a failed report
            with contextlib.suppress(OSError):
                final.rmdir()
    return timings


def _start_soon(formats: tuple[str, ...]) -> None:
    """Start this process's warm kernel, and its Chromium when a PDF is asked for, without
    waiting for either (a report that stops before it needs them leaves them idle)."""
    from . import kernel

    kernel.current()
    if "pdf" in formats and (chromium := find_chromium()):
        from . import browser

        browser.current(chromium)


def _engine(warm: bool) -> str | None:
    """papermill's engine: its default (a kernel per notebook), or the warm kernel's."""
    if not warm:
        return None
    from .kernel import engine

    return engine()


def _write_error(exc: OSError, final: Path, tmp: Path) -> WriteError:
    """The report could not be written: where, how much it needed, and that nothing changed."""
    earlier = folder_bytes(final)
    needed = max(earlier, folder_bytes(tmp)) or None
    kept = (
        f"nothing was replaced (the earlier report in {final} is as it was)"
        if earlier
        else "nothing was written"
    )
    return WriteError.of(
        exc, getattr(exc, "filename", None) or tmp, writing="the report", needed=needed, kept=kept
    )


def require_db(db: str | os.PathLike[str]) -> None:
    """Bad input (exit 2) when there is no database file at ``db``."""
    if not Path(db).is_file():
        raise InputError(
            f"{db}: no database here; build one with `iop-metrics load DATA_DIR --db {db}`"
        )


def _benchmark_path(benchmark: str | os.PathLike[str] | None) -> Path | None:
    """The benchmark file, checked before the notebook runs (bad input: exit 2)."""
    if not benchmark:
        return None
    from .benchmark import from_file

    path = Path(benchmark).resolve()
    if not path.is_file():
        raise InputError(
            f"{benchmark}: no benchmark file here; make one with `iop-metrics "
            "benchmark teds-d FILE --state FIPS --out " + str(benchmark) + "`"
        )
    from_file(path)  # raises InputError naming the file when it is not one
    return path


@contextlib.contextmanager
def _kernel_noise_to(path: Path) -> Any:
    """Send what the kernel process prints on stderr (connection warnings) to ``path``."""
    saved = os.dup(2)
    with open(path, "ab") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _cell_timings(nb: Any, total: float) -> dict[str, float]:
    """Split papermill's run into kernel start, queries (the gather cell) and drawing."""
    cells = {"queries": 0.0, "charts_and_text": 0.0}
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        took = float(meta.get("papermill", {}).get("duration") or 0.0)
        cells["queries" if "gather" in meta.get("tags", []) else "charts_and_text"] += took
    return {"kernel_and_overhead": max(0.0, total - sum(cells.values())), **cells}
