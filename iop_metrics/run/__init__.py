"""Scheduled runs: one config, every scope x audience, site comparison, archive index."""
