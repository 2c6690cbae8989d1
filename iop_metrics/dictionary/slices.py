"""The slices API's figures (``im.slices``, ``im.discharges``), one entry each."""

from __future__ import annotations

from .entry import Entry

SLICES = [
    Entry(
        "slices.disengaged_rate",
        "Disengaged discharges by slice",
        "`im.slices(con, q, by=...)` and `im.discharges(con, q, by=...)`: per value of a client "
        "attribute (payer, primary substance, referral source, sex, age band at admission), the "
        "in-scope discharges in P that were disengaged (dropped_out, terminated), with a 95% "
        "Wilson interval.",
        numerator="disengaged discharges in P",
        denominator="discharges in P (none: undefined, NaN)",
    ),
    Entry(
        "slices.retention_90d",
        "Not disengaged within 90 days, by slice",
        "Our reading for a slice (a Kaplan-Meier curve per slice would rest on few episodes): a "
        "proportion, as the site comparison's case-mix outcome counts it. The trials are the "
        "retention cohort's episodes (admitted in the 12 months ending at P.end) whose 90 days "
        "have passed by as_of (admit_date + 89 <= as_of); one is retained unless it was "
        "discharged disengaged with a length of stay under 90 days. 95% Wilson interval.",
        numerator="retained_90d",
        denominator="retention_trials",
        exclusions="episodes admitted within 89 days of as_of (their 90 days have not passed)",
    ),
    Entry(
        "slices.suppressed",
        "Suppressed slice cells",
        "With `suppress=K` (K > 1) the table is protected as one model, as a report is: a "
        "count of 1..K-1 is hidden, and so is each further count that would let one be worked "
        "out (a column sums to the program's figure, which a reader may know; a rate's "
        "denominator less its numerator is a count too, so 37 attended of 40 scheduled gives "
        "away the 3 who did not; a row's discharges less the completed and disengaged ones are "
        "the other reasons), and the rates and intervals built on hidden counts. Hidden counts "
        "are `<NA>` (the columns stay integers); every hidden cell is named in the row's "
        "`suppressed` column; an undefined rate (no denominator) is NaN and not named there.",
    ),
]
