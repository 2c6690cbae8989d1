from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from iop_metrics.ingest.load import load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """data/sample loaded once into a real DuckDB file."""
    db = tmp_path_factory.mktemp("sample") / "iop.duckdb"
    load(SAMPLE, db)
    return db


@pytest.fixture()
def sample_con(sample_db):
    con = duckdb.connect(str(sample_db), read_only=True)
    yield con
    con.close()
