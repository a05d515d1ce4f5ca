"""Dagster resources shared by every domain."""


import os

from dagster import ConfigurableResource

from satudata.settings import Settings, get_settings


class SatuDataResource(ConfigurableResource):
    """Where the platform's state and object store are; defaults to the environment.

    ``home`` overrides ``SATUDATA_HOME`` (the test suite points it at its own stack).
    """

    home: str | None = None

    def settings(self) -> Settings:
        env = dict(os.environ)
        if self.home:
            env["SATUDATA_HOME"] = self.home
        return get_settings(env)
