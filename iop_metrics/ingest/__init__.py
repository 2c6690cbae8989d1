"""Stage 1, getting data in: files -> contract checks -> a validated DuckDB database.

``load`` builds the database atomically from a contract folder; ``rules`` holds
every contract rule as SQL; ``sample`` writes synthetic records that follow the
contract. Nothing here computes a metric.
"""
