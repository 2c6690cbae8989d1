"""Export files -> DuckDB tables of text, each row carrying its real line number.

CSV is read by DuckDB's own reader (a UTF-8 byte-order mark, CRLF line ends and
quoted fields holding commas or newlines are accepted); ``_line`` is the
physical line a row starts on, also when earlier fields held newlines, and a
malformed or wrongly encoded line is reported at its real line. Other text
encodings are transcoded first, naming the line of an undecodable byte.
``.xlsx`` is read with fastexcel (Rust calamine, straight into Arrow), ``.parquet``
by DuckDB; every value becomes text (a number cell reads ``1988``; leading zeros
of text cells stay).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import duckdb
import numpy as np
import pyarrow as pa

from ..errors import InputError, Violation

UTF8 = ("auto", "utf-8", "utf8", "utf-8-sig")
ENCODING_MESSAGE = "is not {enc} text (set [source] encoding, or save it as CSV UTF-8)"


def _lines(path: Path, fh: IO[bytes], encoding: str) -> Iterator[str]:
    enc = "utf-8" if encoding.lower() in UTF8 else encoding
    for number, raw in enumerate(fh, 1):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            msg = ENCODING_MESSAGE.format(enc=enc)
            raise InputError([Violation(str(path), number, "", msg)]) from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115


def csv_header(path: Path, *, encoding: str = "auto") -> list[str]:
    """The header of a CSV file; only the header's own lines are decoded.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes(b'\\xef\\xbb\\xbf"MR #",Name\\r\\n1,\\xe9\\r\\n')
    >>> csv_header(p)
    ['MR #', 'Name']
    """
    try:
        with _open(path) as fh:
            return next(csv.reader(_lines(path, fh, encoding)), [])
    except OSError as exc:
        raise InputError([Violation(str(path), 1, "", f"cannot be read: {exc}")]) from exc


def transcode(path: Path, encoding: str, out_dir: Path) -> Path:
    """A UTF-8 copy of a CSV file in another encoding; an undecodable byte names its line."""
    codecs.lookup(encoding)  # LookupError for an unknown codec: the caller reports it
    target = out_dir / (path.name.removesuffix(".gz") + ".utf8.csv")
    with _open(path) as src, open(target, "w", encoding="utf-8", newline="") as dst:
        for text in _lines(path, src, encoding):
            dst.write(text)
    return target


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _physical_lines(path: Path) -> int | None:
    """Line ends in an uncompressed file (None for .gz: not worth decompressing twice)."""
    if path.name.endswith(".gz"):
        return None
    n, last = 0, b"\n"
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 24), b""):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    target: str,
    names: Sequence[str],
    *,
    select: str | None = None,
    shown_as: str | None = None,
) -> list[Violation]:
    """Read a UTF-8 CSV into ``target``: ``select`` over its text columns, + ``_line``.

    Without ``select``, every column is kept as read and ``target`` is a view
    over the read table whenever no line was malformed and no field held a
    newline (one pass over the data). Returns the malformed lines (skipped),
    each at its physical line.
    """
    where = shown_as or str(path)
    spec = "{" + ", ".join("'" + n.replace("'", "''") + "': 'VARCHAR'" for n in names) + "}"
    con.execute("drop table if exists reject_errors; drop table if exists reject_scans")
    read = f"_csv_{target}"
    con.execute(
        f"create or replace temp table {read} as select * from read_csv($p, "
        f"columns={spec}, header=true, auto_detect=false, delim=',', quote='\"', "
        f"escape='\"', strict_mode=true, null_padding=false, "
        f"ignore_errors=true, store_rejects=true)",
        {"p": str(path)},
    )
    rejects = con.execute(
        "select line, min(error_type), min(error_message) from reject_errors "
        "group by line order by line"
    ).fetchall()
    if select is None and not rejects:
        rows = con.execute(f"select count(*) from {read}").fetchone()
        if rows and _physical_lines(path) == rows[0] + 1:
            # A fresh table numbers its rows in insertion (file) order.
            con.execute(
                f"create or replace temp view {target} as "
                f"select *, cast(rowid + 2 as bigint) as _line from {read}"
            )
            return []
    newlines = " + ".join(
        f"case when contains({_q(n)}, chr(10)) then "
        f"length({_q(n)}) - length(replace({_q(n)}, chr(10), '')) else 0 end"
        for n in names
    )
    con.execute(
        f"create or replace temp table {target} as select {select or '*'}, "
        f"cast(rowid + 2 as bigint) as _line, ({newlines or '0'}) as _nl from {read} order by rowid"
    )
    con.execute(f"drop table {read}")
    # DuckDB numbers rows, not lines: skipped rows push later rows down by one,
    # then fields holding newlines push every later row down by their count.
    for line, *_ in rejects:
        con.execute(f"update {target} set _line = _line + 1 where _line >= $l", {"l": line})
    problems = []
    for line, kind, msg in rejects:
        shift = con.execute(
            f"select coalesce(sum(_nl), 0) from {target} where _line < $l", {"l": line}
        ).fetchone()
        physical = int(line) + int(shift[0] if shift else 0)
        text = (
            "is not UTF-8 text (save it as CSV UTF-8, or name its encoding)"
            if kind == "INVALID ENCODING"
            else f"malformed CSV line: {msg}"
        )
        problems.append(Violation(where, physical, "", text))
    if con.execute(f"select max(_nl) > 0 from {target}").fetchone() == (True,):
        con.execute(
            f"create or replace temp table {target} as select * replace ("
            f"_line + coalesce(sum(_nl) over (order by _line rows between unbounded preceding "
            f"and 1 preceding), 0) as _line) from {target} order by _line"
        )
    con.execute(f"alter table {target} drop column _nl")
    return problems


def _sheet(path: Path, sheet: str | None) -> pa.Table:
    """Every cell of one sheet as text (header row included), read by fastexcel into Arrow."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        name = sheet or reader.sheet_names[0]
        if name not in reader.sheet_names:
            raise InputError([Violation(str(path), 0, "", f"has no sheet named {name!r}")])
        table = reader.load_sheet(name, header_row=None, dtypes="string").to_arrow()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - fastexcel raises its own types for a bad file
        raise InputError([Violation(str(path), 0, "", f"cannot be read as xlsx: {exc}")]) from exc
    return pa.Table.from_batches([table]) if isinstance(table, pa.RecordBatch) else table


def stage_xlsx(
    con: duckdb.DuckDBPyConnection, path: Path, target: str, *, sheet: str | None = None
) -> list[str]:
    """Read a sheet into temp table ``target`` (text columns + ``_line`` = sheet row).

    Numbers read as written (``1988``, ``12.5``), text cells keep leading zeros,
    and a date cell reads ``YYYY-MM-DD`` (so a column of real Excel dates needs
    ``date_format = "%Y-%m-%d"`` in the mapping). Empty rows are skipped.
    """
    table = _sheet(path, sheet)
    if table.num_rows == 0:
        return []
    header = [str(v or "").strip() for v in table.slice(0, 1).to_pylist()[0].values()]
    body = table.slice(1)
    names = [f"c{i}" for i in range(len(header))]
    body = body.rename_columns(names).append_column(
        "_line", pa.array(np.arange(2, body.num_rows + 2, dtype=np.int64))
    )
    con.register("_xlsx", body)
    midnight = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00$"
    select = ", ".join(
        f"regexp_replace(c{i}, '{midnight}', '\\1') as {_q(h)}" for i, h in enumerate(header)
    )
    filled = " or ".join(f"nullif(trim(c{i}), '') is not null" for i in range(len(header)))
    con.execute(
        f"create or replace temp table {target} as select {select}, _line from _xlsx "
        f"where {filled or 'false'} order by _line"
    )
    con.unregister("_xlsx")
    return header


def xlsx_rows(path: Path, *, sheet: str | None = None) -> tuple[list[str], list[list[str | None]]]:
    """Header and rows of one sheet as text, as ``stage_xlsx`` reads them (tests, look-ups)."""
    con = duckdb.connect()
    try:
        header = stage_xlsx(con, path, "_x", sheet=sheet)
        rows = con.execute("select * exclude (_line) from _x order by _line").fetchall()
    finally:
        con.close()
    return header, [list(r) for r in rows]


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, target: str) -> list[str]:
    """Read a Parquet file into temp table ``target``: every column cast to text, + ``_line``."""
    names = [
        r[0]
        for r in con.execute("select name from parquet_schema($p)", {"p": str(path)}).fetchall()[1:]
    ]
    select = ", ".join(f"cast({_q(n)} as varchar) as {_q(n)}" for n in names)
    con.execute(
        f"create or replace temp table {target} as select {select}, "
        f"cast(file_row_number + 1 as bigint) as _line "
        f"from read_parquet($p, file_row_number=true)",
        {"p": str(path)},
    )
    return names


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    target: str,
    *,
    encoding: str = "auto",
    sheet: str | None = None,
) -> tuple[list[str], list[Violation]]:
    """Read any export file into temp table ``target``; returns its header and malformed lines."""
    name = path.name.lower()
    try:
        if name.endswith(".xlsx"):
            return stage_xlsx(con, path, target, sheet=sheet), []
        if name.endswith(".parquet"):
            return stage_parquet(con, path, target), []
        if not (name.endswith(".csv") or name.endswith(".csv.gz")):
            msg = "is not .csv, .csv.gz, .xlsx or .parquet"
            raise InputError([Violation(str(path), 0, "", msg)])
        with _open(path) as fh:
            if fh.read(3) == codecs.BOM_UTF8:  # a byte-order mark says UTF-8, whatever the mapping
                encoding = "utf-8"
        header = csv_header(path, encoding=encoding)
        if encoding.lower() in UTF8:
            return header, stage_csv(con, path, target, header)
        with tempfile.TemporaryDirectory() as tmp:
            utf8 = transcode(path, encoding, Path(tmp))
            return header, stage_csv(con, utf8, target, header, shown_as=str(path))
    except LookupError:
        raise InputError(f"[source] encoding: unknown encoding {encoding!r}") from None
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError([Violation(str(path), 0, "", f"cannot be read: {first}")]) from exc
