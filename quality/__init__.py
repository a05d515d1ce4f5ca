"""Quality gates: suites derived from declarations, validation, gate status, reports."""
