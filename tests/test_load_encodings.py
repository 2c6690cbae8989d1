"""The loader reads contract folders as Excel and Windows save them: BOM, CRLF, quoted newlines,
and names the real line of an encoding error."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from conftest import SAMPLE
from helpers import client, episode, session, write_dataset

from iop_metrics.errors import InputError
from iop_metrics.ingest.load import check


def _check(folder):
    con = duckdb.connect()
    try:
        return check(con, folder)
    finally:
        con.close()


def test_excel_csv_utf8_with_bom_and_crlf_loads_like_the_original(tmp_path):
    for f in SAMPLE.glob("*.csv"):
        text = f.read_text(encoding="utf-8")
        (tmp_path / f.name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    got = _check(tmp_path)
    want = _check(SAMPLE)
    assert got.rows_loaded == want.rows_loaded
    assert got.rows_loaded["clients"] == 700


def _small(tmp_path):
    return write_dataset(
        tmp_path,
        {
            "clients": [client(f"C{i}") for i in range(1, 7)],
            "episodes": [episode("E1", "C1", "2.1", "2025-01-02")],
            "sessions": [session("E1", "2025-01-03")],
        },
    )


def test_a_latin1_byte_is_reported_at_its_real_line(tmp_path):
    folder = _small(tmp_path)
    path = folder / "clients.csv"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b"C4", b"C4\xe9")  # physical line 5
    path.write_bytes(b"".join(lines))
    with pytest.raises(InputError) as exc:
        _check(folder)
    lines_named = {(v.file.rsplit("/", 1)[-1], v.line) for v in exc.value.violations}
    assert ("clients.csv", 5) in lines_named
    assert all(v.line != 1 for v in exc.value.violations)
    assert "not UTF-8" in str(exc.value)


def test_quoted_newlines_are_read_and_later_lines_keep_their_physical_number(tmp_path):
    folder = _small(tmp_path)
    path = folder / "clients.csv"
    text = path.read_text().splitlines()
    # client C1 gets a referral_source spread over three physical lines (bad code, but read),
    # and C5 (physical line 6 before the change, 8 after) gets a bad sex code.
    text[1] = 'C1,1980,,,,"court\r\nx\ny"'
    text[5] = text[5].replace("C5,1980,", "C5,1980,Q")
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(InputError) as exc:
        _check(folder)
    where = {(v.column, v.line) for v in exc.value.violations}
    assert where == {("referral_source", 2), ("sex", 8)}


def test_bom_on_a_folder_copied_from_the_sample_still_refuses_unknown_columns(tmp_path):
    shutil.copytree(SAMPLE, tmp_path / "d")
    path = tmp_path / "d" / "clients.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b'"sex"', b'"gender"', 1))
    with pytest.raises(InputError) as exc:
        _check(tmp_path / "d")
    msgs = {(v.column, v.message.split(";")[0]) for v in exc.value.violations}
    assert msgs == {("gender", "column is not in the data contract")}
