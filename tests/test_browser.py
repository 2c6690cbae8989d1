"""One Chromium per process for the PDFs (report/browser.py): its print equals the one-off
command line print pixel for pixel, one process prints many, a browser that died is replaced,
and a print that fails is a ReportError, or a WriteError when the disk is full. Real Chromium,
real PDFs read with poppler."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from iop_metrics.errors import WriteError
from iop_metrics.report import browser, build
from iop_metrics.report.build import ReportError, find_chromium, to_pdf

pytestmark = pytest.mark.slow

CHROMIUM = find_chromium()
# A page with what the report prints: an @page size, a background colour, a table, an SVG
# chart with a gradient, a web font fallback; long enough for a second page.
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title><style>
@page { size: letter; margin: 12mm; } body { font-family: sans-serif; }
.band { background: #e8f0fa; padding: 8px; } td { border-bottom: 1px solid #ccc; }
</style></head><body><h1 class="band">A report</h1>
<svg width="300" height="120" xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g">
<stop offset="0" stop-color="#cfe1f2"/><stop offset="1" stop-color="#0a4a90"/></linearGradient>
</defs><rect width="300" height="120" fill="url(#g)"/><text x="10" y="60">chart</text></svg>
<table>{rows}</table></body></html>
""".replace("{rows}", "".join(f"<tr><td>row {i}</td><td>{i * 7}</td></tr>" for i in range(90)))


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    assert CHROMIUM and shutil.which("pdftoppm"), "apt-get install -y chromium poppler-utils"
    path = tmp_path_factory.mktemp("browser") / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    return path


def _pages(pdf: Path) -> list[bytes]:
    """Each page of ``pdf`` drawn by poppler at 50 dpi, as PNG bytes."""
    out = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(out)], check=True)
    pngs = sorted(pdf.parent.glob(f"{out.name}-*.png"))
    return [p.read_bytes() for p in pngs]


def test_the_warm_print_equals_the_command_line_print_and_reuses_one_chromium(page, tmp_path):
    cold, warm, again = tmp_path / "cold.pdf", tmp_path / "warm.pdf", tmp_path / "again.pdf"
    to_pdf(page, cold, CHROMIUM)
    to_pdf(page, warm, CHROMIUM, warm=True)
    pid = browser.current(CHROMIUM).pid
    to_pdf(page, again, CHROMIUM, warm=True)
    assert browser.current(CHROMIUM).pid == pid  # the same Chromium printed both
    info = subprocess.run(["pdfinfo", str(warm)], capture_output=True, text=True, check=True)
    assert "612 x 792 pts (letter)" in info.stdout
    drawn = _pages(cold)
    assert len(drawn) >= 2  # the table runs onto a second page
    assert _pages(warm) == drawn  # background, chart, fonts and page breaks alike
    assert _pages(again) == drawn


def test_a_browser_that_died_is_replaced(page, tmp_path):
    first = browser.current(CHROMIUM)
    os.kill(first.pid, signal.SIGKILL)
    for _ in range(100):
        if not first.alive():
            break
        time.sleep(0.05)
    assert not first.alive()
    to_pdf(page, tmp_path / "after.pdf", CHROMIUM, warm=True)
    assert browser.current(CHROMIUM) is not first
    assert (tmp_path / "after.pdf").read_bytes().startswith(b"%PDF-")


def test_a_print_that_fails_names_chromium_or_the_full_disk(page, tmp_path, monkeypatch):
    # /bin/false stands where Chromium should be: it exits at once and closes the pipe.
    false = shutil.which("false")
    assert false
    with pytest.raises(ReportError, match="Chromium could not print the PDF: Chromium closed"):
        to_pdf(page, tmp_path / "x.pdf", false, warm=True)
    monkeypatch.setattr(build, "free_bytes", lambda _: 4096)  # the disk all but full
    with pytest.raises(WriteError, match="disk all but full"):
        to_pdf(page, tmp_path / "x.pdf", false, warm=True)
    assert not (tmp_path / "x.pdf").exists()
    browser._shutdown()
