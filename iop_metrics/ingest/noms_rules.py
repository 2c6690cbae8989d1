"""The table rules of the contract table ``noms`` (spec/recovery.md), as SQL over ``typed_noms``.

Each rule is (table, column, SQL giving ``_line`` and the value shown for each row that breaks
it, message), the shape of ``rules._table_rules``; the per-value rules (required columns, the
codes, whole numbers, dates) come from the contract's column declarations as for every table.
A rule that involves two rows reports the later line and names the earlier one in its value.
Rows dated after a report's as_of are not a load concern: the queries leave them out.
"""

from __future__ import annotations

from ..contract import NOMS_CONTACTS

# The episode each row refers to, when its id is unique (a duplicated id is its own error).
_EPISODES = (
    "(select episode_id, any_value(admit_date) as admit_date, "
    "any_value(discharge_date) as discharge_date from typed_episodes "
    "group by episode_id having count(*) = 1)"
)
ITEMS = ("use_frequency", "employment", "living", "arrests", "self_help")
WINDOW_DAYS = 30  # admission and discharge rows: collected within 30 days of the date
MAX_ARRESTS = 96  # TEDS: arrests in the 30 days before, a count 0..96


def _joined(where: str, value: str) -> str:
    return (
        f"select n._line, {value} from typed_noms n join {_EPISODES} e "
        f"on e.episode_id = n.episode_id where {where}"
    )


def _second(time_point: str) -> tuple[str, str, str, str]:
    return (
        "noms",
        "time_point",
        "select b._line, b.episode_id || '; first used on line ' || a._line from typed_noms a "
        "join typed_noms b on a.episode_id = b.episode_id and a._line < b._line "
        f"where a.time_point = '{time_point}' and b.time_point = '{time_point}' "
        "and not exists (select 1 from typed_noms c where c.episode_id = a.episode_id "
        f"and c.time_point = '{time_point}' and c._line < a._line)",
        f"a second {time_point} row for this episode (at most one per episode)",
    )


def noms_rules() -> list[tuple[str, str, str, str]]:
    """Every table rule of ``noms``: episode, arrests, windows, contact, items, one-row rules."""
    days = f"interval {WINDOW_DAYS} day"
    not_reached = ", ".join(f"'{c}'" for c in NOMS_CONTACTS if c != "reached")
    rules = [
        (
            "noms",
            "episode_id",
            "select _line, episode_id from typed_noms n where episode_id is not null "
            "and not exists (select 1 from typed_episodes e where e.episode_id = n.episode_id)",
            "refers to no row of episodes",
        ),
        (
            "noms",
            "arrests",
            f"select _line, _raw_arrests from typed_noms "
            f"where arrests < 0 or arrests > {MAX_ARRESTS}",
            f"is outside 0..{MAX_ARRESTS}",
        ),
        (
            "noms",
            "collected_on",
            _joined(
                f"n.time_point = 'admission' and (n.collected_on < e.admit_date - {days} "
                f"or n.collected_on > e.admit_date + {days})",
                "n._raw_collected_on || '; admitted ' || e.admit_date",
            ),
            f"an admission row is collected within {WINDOW_DAYS} days of admit_date",
        ),
        (
            "noms",
            "time_point",
            _joined(
                "n.time_point in ('discharge', 'follow_up') and e.discharge_date is null",
                "n.time_point || ' of episode ' || n.episode_id",
            ),
            "needs an episode with a discharge_date (this one is open)",
        ),
        (
            "noms",
            "collected_on",
            _joined(
                f"n.time_point = 'discharge' and (n.collected_on < e.discharge_date - {days} "
                f"or n.collected_on > e.discharge_date + {days})",
                "n._raw_collected_on || '; discharged ' || e.discharge_date",
            ),
            f"a discharge row is collected within {WINDOW_DAYS} days of discharge_date",
        ),
        (
            "noms",
            "collected_on",
            _joined(
                "n.time_point = 'follow_up' and n.collected_on <= e.discharge_date",
                "n._raw_collected_on || '; discharged ' || e.discharge_date",
            ),
            "a follow_up contact is after the episode's discharge_date",
        ),
        (
            "noms",
            "contact",
            "select _line, null from typed_noms "
            "where time_point = 'follow_up' and _raw_contact is null",
            "is required when time_point is follow_up",
        ),
        (
            "noms",
            "contact",
            "select _line, _raw_contact from typed_noms where _raw_contact is not null "
            "and time_point in ('admission', 'discharge')",
            "must be empty unless time_point is follow_up",
        ),
        _second("admission"),
        _second("discharge"),
        (
            "noms",
            "collected_on",
            "select b._line, b._raw_collected_on || '; first used on line ' || a._line "
            "from typed_noms a join typed_noms b on a.episode_id = b.episode_id "
            "and a.collected_on = b.collected_on and a._line < b._line "
            "where a.time_point = 'follow_up' and b.time_point = 'follow_up' "
            "and a.contact = 'reached' and b.contact = 'reached' and not exists "
            "(select 1 from typed_noms c where c.episode_id = a.episode_id "
            "and c.collected_on = a.collected_on and c.time_point = 'follow_up' "
            "and c.contact = 'reached' and c._line < a._line)",
            "a second reached contact of this episode on this date (at most one a day)",
        ),
    ]
    for item in ITEMS:
        rules.append(
            (
                "noms",
                item,
                f"select _line, \"_raw_{item}\" || ' with contact ' || contact from typed_noms "
                f"where time_point = 'follow_up' and contact in ({not_reached}) "
                f'and "_raw_{item}" is not null',
                "must be empty when the follow_up contact is not reached",
            )
        )
    return rules
