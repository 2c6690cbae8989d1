"""The relations among a metrics document's published counts (sums, rates, estimates: the
arithmetic that ties its figures together), declared once.

Small-cell suppression (``suppress.py``) and the test suite's auditor both read this
registry, so a figure cannot skip it: a test fails when a numeric leaf of the document is
neither named by an identity here nor listed as not additive. Keys are the document's dotted
keys; a key starting with ``~`` is a count the document does not list itself (it is shown in
the rates table, or only follows from others); ``prefix.*`` stands for every key under it.
A family (one part of the document) is one entry of ``FAMILIES``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from ..contract import DISCHARGE_REASONS


@dataclass(frozen=True)
class Sum:
    """``total = sum(parts)``; a part ``-x`` is subtracted. ``exact=False``: a reader's
    near-identity (true for most programs, so it is protected against as if exact)."""

    total: str
    parts: tuple[str, ...]
    exact: bool = True


@dataclass(frozen=True)
class Rate:
    """``rate = num / den``; shown only when both are. Its complement ``den - num`` is a
    count too (``~<rate>:complement``): a rate of 118 of 120 gives away the 2."""

    rate: str
    num: str
    den: str

    @property
    def complement(self) -> str:
        return f"~{self.rate.lstrip('~')}:complement"


@dataclass(frozen=True)
class Estimate:
    """A figure that is no count (a median, a Kaplan-Meier estimate) over the group ``base``:
    shown only when ``base`` is."""

    key: str
    base: str


Identity = Sum | Rate | Estimate


@dataclass(frozen=True)
class Family:
    name: str
    identities: tuple[Identity, ...]
    not_additive: tuple[str, ...] = ()  # leaves that are labels, dates or parameters


def _attendance(*parts: str) -> tuple[str, ...]:
    return tuple(f"attendance.{p}" for p in parts)


# Recovery (spec recovery.md): the identities it states exactly (at_discharge = at_admission +
# gained - lost; the five categories sum to due; known <= reached, as a count of the rest).
# A report's external copy reads these counts' records (``atoms.recovery_members``): the model then
# derives every one of them from the atoms (an equation among covered counts alone is dropped,
# ``model.with_atoms``) and keeps what the records cannot say (ended, keyed as the episodes,
# against the paired, keyed as their noms rows). They stay for a document protected without
# records (the previous period's, ``external_document``).
_DOMAINS = ("abstinent", "employed_or_student", "housed", "no_arrests", "self_help")
_WINDOWS = ("1m", "3m", "6m", "12m")


def _noms_totals() -> tuple[Identity, ...]:
    return (
        Sum("~noms:no_admission", ("noms.ended", "-noms.with_admission")),
        Sum("~noms:no_discharge", ("noms.ended", "-noms.with_discharge")),
        # The outcome cohort's ended episodes are the period's discharges (any reason).
        Sum("noms.ended", ("discharges.total",)),
    )


def _noms(domain: str) -> tuple[Identity, ...]:
    k = f"noms.{domain}."
    out: tuple[Identity, ...] = (
        Sum(f"{k}at_discharge", (f"{k}at_admission", f"{k}gained", f"-{k}lost")),
        Sum(f"~noms:{domain}:unpaired", ("noms.ended", f"-{k}paired")),
        # paired <= with_admission, with_discharge: a paired episode has both rows.
        Sum(f"~noms:{domain}:admission_only", ("noms.with_admission", f"-{k}paired")),
        Sum(f"~noms:{domain}:discharge_only", ("noms.with_discharge", f"-{k}paired")),
        # The four moves of a paired episode: kept positive, gained, lost, stayed negative.
        Sum(f"~noms:{domain}:kept", (f"{k}at_admission", f"-{k}lost")),
        Sum(f"~noms:{domain}:stayed_negative", (f"{k}paired", f"-{k}at_admission", f"-{k}gained")),
        Rate(f"{k}paired_rate", f"{k}paired", "noms.ended"),
        Rate(f"{k}admission_rate", f"{k}at_admission", f"{k}paired"),
        Rate(f"{k}discharge_rate", f"{k}at_discharge", f"{k}paired"),
        Estimate(f"{k}change", f"{k}paired"),
    )
    if domain == "abstinent":
        out += (
            Sum(f"{k}using_at_admission", (f"{k}paired", f"-{k}at_admission")),
            Rate(f"{k}reduced_rate", f"{k}reduced", f"{k}using_at_admission"),
        )
    return out


def _follow_up(window: str) -> tuple[Identity, ...]:
    k = f"follow_up.{window}."
    parts = ("reached", "not_reached", "declined", "deceased", "not_attempted")
    return (
        Sum(f"{k}due", tuple(k + p for p in parts)),
        Rate(f"{k}response_rate", f"{k}reached", f"{k}due"),
        Rate(f"{k}abstinent_rate_responders", f"{k}abstinent", f"{k}abstinent_known"),
        Rate(f"{k}abstinent_rate_all", f"{k}abstinent", f"{k}due"),
        *(
            x
            for d in _DOMAINS[:4]
            for x in (
                Sum(f"~follow_up:{window}:{d}_unknown", (f"{k}reached", f"-{k}{d}_known")),
                Sum(f"~follow_up:{window}:{d}_negative", (f"{k}{d}_known", f"-{k}{d}")),
            )
        ),
    )


FAMILIES: tuple[Family, ...] = (
    Family("period", (), ("period.*", "scope.*")),
    Family(
        "census",
        (
            Sum(
                "census.active_at_end",
                ("census.active_at_start", "census.admissions", "-census.discharges"),
            ),
            # Distinct clients: start + admissions unless one client had two episodes. With
            # records (``client_cells.sql``: a client keyed as its first episode active in P)
            # the atoms say it, exact; this stays for a document protected without records.
            Sum("census.clients_served", ("census.active_at_start", "census.admissions"), False),
            Sum("census.discharges", ("discharges.total",)),
        ),
    ),
    Family(
        "attendance",
        (
            Sum(
                "attendance.scheduled",
                _attendance("attended", "no_show", "cancelled_client", "cancelled_program"),
            ),
            Sum("~client_scheduled", _attendance("attended", "no_show", "cancelled_client")),
            Rate("attendance.attendance_rate", "attendance.attended", "~client_scheduled"),
            Rate("attendance.no_show_rate", "attendance.no_show", "~client_scheduled"),
        ),
    ),
    Family(
        "dosage",
        (
            Rate(
                "dosage.share_meeting_threshold",
                "dosage.client_weeks_meeting_threshold",
                "dosage.client_weeks",
            ),
            Estimate("dosage.median_hours_per_client_week", "dosage.client_weeks"),
        ),
    ),
    Family(
        "discharges",
        (
            Sum("discharges.total", tuple(f"discharges.by_reason.{r}" for r in DISCHARGE_REASONS)),
            Rate(
                "discharges.completion_rate", "discharges.by_reason.completed", "discharges.total"
            ),
            Estimate("discharges.median_length_of_stay_days", "discharges.total"),
        ),
    ),
    Family(
        "retention",
        (
            Rate("retention.initiated_14d", "~initiated", "~initiation_eligible"),
            Rate("retention.engaged_34d", "~engaged", "~engagement_eligible"),
            *(Estimate(f"retention.day_{n}", "retention.cohort_admissions") for n in (30, 60, 90)),
        ),
        ("retention.cohort_start", "retention.cohort_end"),
    ),
    Family(
        "transitions",
        (
            Sum(
                "census.discharges",
                tuple(
                    f"transitions.{p}"
                    for p in ("step_down", "step_up", "lateral", "no_next_care", "pending")
                ),
            ),
            Sum(
                "~determined",
                tuple(
                    f"transitions.{p}" for p in ("step_down", "step_up", "lateral", "no_next_care")
                ),
            ),
            Rate("transitions.step_down_rate", "transitions.step_down", "~determined"),
            Sum("~moved", ("transitions.step_down", "transitions.step_up", "transitions.lateral")),
            Sum("~moved", ("transitions.by_next_level.*",)),
            Estimate("transitions.median_gap_days_step_down", "transitions.step_down"),
        ),
        ("transitions.window_days",),
    ),
    Family(
        "inflow",
        (
            Sum(
                "census.admissions",
                tuple(
                    f"inflow.{p}"
                    for p in ("stepped_down_into", "stepped_up_into", "lateral_into", "direct")
                ),
            ),
        ),
    ),
    Family(
        "outcomes",
        (
            Sum(
                "outcomes.paired",
                (
                    "outcomes.reliable_improvement",
                    "outcomes.reliable_deterioration",
                    "outcomes.no_reliable_change",
                ),
            ),
            Sum("~not_course", ("outcomes.ended", "-outcomes.courses")),
            Rate("outcomes.paired_rate", "outcomes.paired", "outcomes.courses"),
            Sum("~not_at_caseness", ("outcomes.paired", "-outcomes.at_caseness")),
            Rate(
                "outcomes.reliable_improvement_rate",
                "outcomes.reliable_improvement",
                "outcomes.paired",
            ),
            Rate(
                "outcomes.reliable_deterioration_rate",
                "outcomes.reliable_deterioration",
                "outcomes.paired",
            ),
            Rate("outcomes.recovery_rate", "outcomes.recovery", "outcomes.at_caseness"),
            Rate(
                "outcomes.reliable_recovery_rate",
                "outcomes.reliable_recovery",
                "outcomes.at_caseness",
            ),
            Sum("~recovered_not_reliably", ("outcomes.recovery", "-outcomes.reliable_recovery")),
            Rate(
                "outcomes.measured_at_intake_rate",
                "outcomes.measured_at_intake",
                "outcomes.intake_eligible",
            ),
            Rate(
                "outcomes.measured_last_30d_rate",
                "outcomes.measured_last_30d",
                "outcomes.open_30d",
            ),
            # per instrument ({i}: every code under outcomes.by_instrument); an identity
            # with a figure the instrument does not define (null) does not apply to it
            Sum(
                "~{i}:no_change",
                (
                    "outcomes.by_instrument.{i}.paired",
                    "-outcomes.by_instrument.{i}.reliable_improvement",
                    "-outcomes.by_instrument.{i}.reliable_deterioration",
                ),
            ),
            Sum(
                "~{i}:no_case",
                ("outcomes.by_instrument.{i}.paired", "-outcomes.by_instrument.{i}.case_at_start"),
            ),
            Sum(
                "~{i}:still_case",
                (
                    "outcomes.by_instrument.{i}.case_at_start",
                    "-outcomes.by_instrument.{i}.not_case_at_end",
                ),
            ),
            Rate(
                "outcomes.by_instrument.{i}.response_rate",
                "outcomes.by_instrument.{i}.response",
                "outcomes.by_instrument.{i}.case_at_start",
            ),
            # remission's denominator (first score 10 or more) is not in the document
            Rate(
                "outcomes.by_instrument.{i}.remission_rate",
                "outcomes.by_instrument.{i}.remission",
                "~{i}:remission_base",
            ),
            Estimate("outcomes.by_instrument.{i}.mean_first", "outcomes.by_instrument.{i}.paired"),
            Estimate("outcomes.by_instrument.{i}.mean_last", "outcomes.by_instrument.{i}.paired"),
        ),
    ),
    Family("noms", tuple(x for d in _DOMAINS for x in _noms(d)) + _noms_totals()),
    Family("follow_up", tuple(x for w in _WINDOWS for x in _follow_up(w))),
    Family(
        "continuity",
        tuple(
            x
            for w in ("7d", "14d")
            for x in (
                Sum(
                    "continuity.residential_discharges",
                    (f"~continuity_den_{w}", f"continuity.pending_{w}"),
                ),
                Rate(f"continuity.rate_{w}", f"continuity.followed_up_{w}", f"~continuity_den_{w}"),
            )
        ),
    ),
)


def instruments(doc: dict[str, Any] | None) -> tuple[str, ...]:
    """The instrument codes under the document's ``outcomes.by_instrument`` (in order)."""
    by = ((doc or {}).get("outcomes") or {}).get("by_instrument") or {}
    return tuple(by)


def _fill(identity: Identity, code: str) -> Identity:
    """An identity declared for every instrument (``{i}`` in its keys) filled for one."""
    values: dict[str, Any] = {}
    for f in fields(identity):
        v = getattr(identity, f.name)
        if isinstance(v, str):
            values[f.name] = v.replace("{i}", code)
        elif isinstance(v, tuple):
            values[f.name] = tuple(x.replace("{i}", code) for x in v)
    return replace(identity, **values)


def _templated(identity: Identity) -> bool:
    return "{i}" in repr(identity)


def identities(doc: dict[str, Any] | None = None) -> tuple[Identity, ...]:
    """Every identity of every family, in declaration order; an identity declared per
    instrument (``{i}``) once for each instrument of ``doc`` (none without a document).

    >>> doc = {"outcomes": {"by_instrument": {"PHQ-9": {}, "GAD-7": {}}}}
    >>> [i.total for i in identities(doc) if isinstance(i, Sum) and ":no_change" in i.total]
    ['~PHQ-9:no_change', '~GAD-7:no_change']
    """
    out: list[Identity] = []
    for f in FAMILIES:
        for i in f.identities:
            if _templated(i):
                out.extend(_fill(i, code) for code in instruments(doc))
            else:
                out.append(i)
    return tuple(out)


def not_additive() -> tuple[str, ...]:
    return tuple(p for f in FAMILIES for p in f.not_additive)


def expand(key: str, keys: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``key`` itself, or for ``prefix.*`` every one of ``keys`` under the prefix (in order).

    >>> expand("a.*", ["a.x", "b", "a.y"]), expand("b", ["b"])
    (('a.x', 'a.y'), ('b',))
    """
    if key.endswith(".*"):
        prefix = key[:-1]
        return tuple(k for k in keys if k.startswith(prefix))
    return (key,)


def matches(key: str, pattern: str) -> bool:
    """True when ``key`` is ``pattern`` or falls under ``pattern`` = ``prefix.*``."""
    return key.startswith(pattern[:-1]) if pattern.endswith(".*") else key == pattern
