"""Health domain (Dinkes): SATUSEHAT FHIR, BPJS claims."""
