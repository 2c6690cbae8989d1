"""iop-metrics: outcomes analytics for addiction-treatment intensive outpatient programs."""

__version__ = "0.1.0"
