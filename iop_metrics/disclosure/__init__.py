"""What an outside reader may see: small-cell suppression, one home, one model.

The stage between ``compute`` (exact figures) and ``report`` (pages): ``model.py`` decides
which counts to hide over cells tied by equations, ``atoms.py`` reads which records each
published count counts (``sql/``) and makes the atoms every such count is a sum of,
``suppress.py`` builds a document's cells and applies the decision, ``relations.py`` and
``published.py`` declare how the counts the atoms do not cover yet add up, ``linked.py`` joins
the outputs a run publishes together into one model, and ``tables.py`` gives the analyst's
tables (``im.slices``, ``im.discharges``, ``im.monthly_series``) with ``suppress=K``. It
imports ``compute`` and the ground floor only.
"""
