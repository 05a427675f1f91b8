"""coodie's driver comparison: the integration matrix, benchmarks through coodie's API and a generated scorecard (``python -m compare``)."""
