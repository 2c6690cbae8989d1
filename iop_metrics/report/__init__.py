"""Stage 3, rendering reports: figures -> charts and tables -> notebook -> HTML/PDF.

``data`` gathers one report's figures, ``charts`` turns frames into altair
charts, ``sections``/``pages`` write the HTML parts, and ``build`` runs the
papermill notebook and prints the PDF. Nothing here runs a metric query of its own.
"""
