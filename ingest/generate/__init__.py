"""Deterministic synthetic extracts, shaped like the city's source systems deliver them.

The platform is developed and benchmarked without access to real taxpayer or patient data, so
these generators stand in for the source systems: same layouts, same quirks, planted defects
and broken deliveries that the ingest must catch.
"""
