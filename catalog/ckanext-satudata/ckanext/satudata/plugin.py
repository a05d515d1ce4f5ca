"""``satudata``: the Satu Data Kota Baubau portal (schema validators, Indonesian defaults).

The dataset schema itself is ``ckanext.satudata:schemas/dataset.yaml`` (loaded by
ckanext-scheming through ``scheming.dataset_schemas``); this plugin provides what the schema
refers to.
"""

from __future__ import annotations

import ckan.plugins as p

from . import validators


class SatudataPlugin(p.SingletonPlugin):
    p.implements(p.IValidators)

    def get_validators(self) -> dict[str, object]:
        return {
            "satudata_sha256": validators.satudata_sha256,
            "satudata_periode_akhir": validators.satudata_periode_akhir,
        }
