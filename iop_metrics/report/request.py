"""One report's request: everything that decides what a report shows, where its figures are
read and how it is written, as one typed value.

It is built once, by ``iop-metrics report`` (``report/commands.py``) or by a run's plan
(``run/plan.py``, which adds each external report's share of the joint suppression plan and
the file of figures already read), and reaches the notebook as one papermill parameter,
``request`` (JSON text, ``to_json``). An analyst who opens the notebook in JupyterLab sets the
human parameters instead (``period``, ``site`` ...); with no ``request`` given,
``from_parameters`` builds the same value from them. Nothing else is threaded through.

>>> from iop_metrics.periods import parse_period
>>> r = Request(parse_period("2026-10"), scope=Scope(site="north"), suppress=11,
...             hide={"census.admissions": "complementary"})
>>> Request.from_json(r.to_json()) == r, r.k, r.audience
(True, 11, 'external')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from ..compute.query import Query, Scope
from ..periods import Period, parse_period

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class Request:
    """What one report is: its query (``period``, ``as_of``, ``scope``, ``window_days``), its
    audience (``suppress`` = K > 1: external, small cells hidden), the figures a run's joint
    plan hides besides (``hide``: its share, cell -> why), where its figures are read (the
    database ``db_path``, the exported tables ``data_path`` on Spark, or ``exact``: a file of
    them a run has already read), and how it is written (``program`` in the header, the PDF's
    ``paper``, ``formats``, the TEDS-D ``benchmark`` file)."""

    period: Period
    as_of: dt.date | None = None
    scope: Scope = field(default_factory=Scope)
    window_days: int = 14
    suppress: int = 0
    hide: dict[str, str] = field(default_factory=dict)
    exact: str | None = None
    db_path: str = "data/iop.duckdb"
    engine: str = "duckdb"
    data_path: str | None = None
    program: str = ""
    paper: str = "letter"
    formats: tuple[str, ...] = ("html", "pdf")
    benchmark: str | None = None

    @property
    def k(self) -> int:
        """The suppression threshold K (0: none, an internal report)."""
        return self.suppress if self.suppress > 1 else 0

    @property
    def audience(self) -> str:
        return "external" if self.k else "internal"

    @property
    def query(self) -> Query:
        return Query.of(
            self.period, as_of=self.as_of, scope=self.scope, window_days=self.window_days
        )

    def replace(self, **changes: Any) -> Request:
        """This request with ``changes`` (a run adds its share and its figures' file)."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        """The request as JSON text (the notebook's ``request`` parameter)."""
        scope = self.scope
        doc = {
            **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)},
            "period": self.period.label,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "scope": {"levels": scope.levels, "site": scope.site, "track": scope.track},
            "hide": dict(sorted(self.hide.items())),
        }
        return json.dumps(doc, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Request:
        """The request ``to_json`` wrote."""
        doc = json.loads(text)
        scope = doc.pop("scope")
        return cls(
            **{
                **doc,
                "period": parse_period(doc["period"]),
                "as_of": dt.date.fromisoformat(doc["as_of"]) if doc["as_of"] else None,
                "scope": Scope(scope["levels"], scope["site"], scope["track"]),
                "formats": tuple(doc["formats"]),
            }
        )


def from_parameters(
    *,
    request: str = "",
    period: str = "",
    as_of: str = "",
    db_path: str = "data/iop.duckdb",
    levels: str = "",
    site: str = "",
    track: str = "",
    suppress: int = 0,
    window_days: int = 14,
    benchmark: str = "",
    engine: str = "duckdb",
    data_path: str = "",
    today: str = "",
    program: str = "",
) -> Request:
    """The notebook's request: ``request`` (the JSON a report or a run hands it) when given,
    else built from the human parameters an analyst sets. ``last-month`` and ``last-quarter``
    resolve against ``today`` (empty: the day it runs); empty strings are "not given".

    >>> r = from_parameters(period="last-month", today="2026-11-15", site="north", levels="2.1")
    >>> r.period.label, r.scope, r.k
    ('2026-10', Scope(levels=('2.1',), site='north', track=None), 0)
    >>> from_parameters(request=r.to_json(), period="1999-01") == r
    True
    """
    if request:
        return Request.from_json(request)
    from ..errors import InputError
    from ..periods import run_date

    if engine not in ENGINES:
        raise InputError(f"engine is duckdb or spark, not {engine!r}")
    return Request(
        parse_period(period, today=run_date(today)),
        as_of=dt.date.fromisoformat(as_of) if as_of else None,
        scope=Scope(tuple(x for x in levels.split(",") if x) or None, site or None, track or None),
        window_days=int(window_days),
        suppress=int(suppress),
        db_path=db_path,
        engine=engine,
        data_path=data_path or None,
        program=program,
        benchmark=benchmark or None,
    )
