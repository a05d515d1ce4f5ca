"""``satudata_pgsearch``: CKAN without Solr – package search answered by PostgreSQL.

Enable it in ``ckan.plugins`` on portals without Solr (the local stack, CI, a small city's
server); leave it out on a deployment that runs Solr and CKAN's own search is used unchanged.
"""

from __future__ import annotations

import logging

import ckan.plugins as p

log = logging.getLogger(__name__)


def install_backend() -> None:
    """Point CKAN's search seams at the PostgreSQL classes.

    ``ckan.lib.search.query_for``/``index_for`` look the classes up in ``_QUERIES``/``_INDICES``;
    ``model_dictize`` (organization and group dataset counts) instantiates
    ``ckan.lib.search.PackageSearchQuery`` directly, so that name is replaced as well. The Solr
    schema-version check at start-up would only try to reach a Solr that is not there.
    """
    import ckan.lib.search as search

    from .backend import PgPackageSearchIndex, PgPackageSearchQuery

    search._QUERIES["package"] = PgPackageSearchQuery
    search._INDICES["package"] = PgPackageSearchIndex
    search.PackageSearchQuery = PgPackageSearchQuery  # type: ignore[misc]
    search.PackageSearchIndex = PgPackageSearchIndex  # type: ignore[misc]
    search.check_solr_schema_version = lambda schema_file=None: False  # type: ignore[assignment]


class PgSearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)

    def update_config(self, config: object) -> None:
        install_backend()

    def configure(self, config: object) -> None:
        """Create the index table and text search configurations at start-up when the database
        answers; otherwise they are created on first use."""
        import ckan.model as model

        from .schema import ensure_schema

        try:
            if model.meta.engine is not None:
                ensure_schema(model.meta.engine)
        except Exception as exc:  # noqa: BLE001 - e.g. `ckan db init` before the database exists
            log.warning("indeks pencarian PostgreSQL belum bisa disiapkan: %s", exc)
