"""FHIR R4 bulk exports -> contract tables, in DuckDB (``build.import_fhir``).

``read`` stages NDJSON, gzipped NDJSON and Bundles with DuckDB's JSON functions,
``config`` checks the mapping's ``[fhir]`` table, ``codes`` maps codings to
contract values, ``episodes`` and ``sessions`` build the contract rows.
"""

from .build import import_fhir
from .config import read_fhir_mapping

__all__ = ["import_fhir", "read_fhir_mapping"]
