"""Stage 2, computing figures: one SQL file per metric (``sql/``), run on an engine.

``metrics`` runs the named queries with parameters and assembles the metrics
document; ``formats`` writes that document as JSON, a table or CSV. This stage
reads only the loaded canonical tables and never renders anything.
"""
