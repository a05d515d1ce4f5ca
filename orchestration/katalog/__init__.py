"""Catalog domain: open exports and the CKAN portal."""
