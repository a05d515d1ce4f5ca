"""Portal services of the local stack: generated secrets, CKAN configuration, commands (no processes)."""

from __future__ import annotations

from satudata.portal_services import (
    CKAN_PLUGINS,
    CkanService,
    PostgresService,
    RedisService,
    _remember,
    _secret,
)
from satudata.settings import get_settings
from satudata.stack import services


def _settings(tmp_path, **env):
    return get_settings({"SATUDATA_HOME": str(tmp_path), **env})


def test_services_start_in_order_with_configured_ports(tmp_path):
    settings = _settings(tmp_path, SATUDATA_PG_PORT="18432", SATUDATA_REDIS_PORT="18379", SATUDATA_CKAN_PORT="18500",
                         SATUDATA_BOARD_PORT="18501")
    assert [s.name for s in services(settings)] == ["s3", "postgres", "redis", "ckan", "board"]
    assert [s.port for s in services(settings)][1:] == [18432, 18379, 18500, 18501]
    assert settings.ckan_url == "http://127.0.0.1:18500"
    assert CkanService(settings).url() == "http://127.0.0.1:18500"


def test_defaults_and_token_from_stack_env(tmp_path, monkeypatch):
    monkeypatch.delenv("SATUDATA_CKAN_API_TOKEN", raising=False)
    (tmp_path / "stack.env").write_text("SATUDATA_CKAN_API_TOKEN=tok-123\n")
    settings = _settings(tmp_path)
    assert (settings.pg_port, settings.redis_port, settings.ckan_port) == (8432, 8379, 5000)
    assert settings.ckan_api_token == "tok-123"
    # The environment wins over stack.env (a deployment's own token).
    assert _settings(tmp_path, SATUDATA_CKAN_API_TOKEN="env-tok").ckan_api_token == "env-tok"
    # Children get the token only when it is known: an empty value would shadow stack.env later.
    assert settings.env_for_children()["SATUDATA_CKAN_API_TOKEN"] == "tok-123"
    assert "SATUDATA_CKAN_API_TOKEN" not in _settings(tmp_path / "leer").env_for_children()


def test_secrets_are_generated_once_and_kept_private(tmp_path):
    settings = _settings(tmp_path)
    (tmp_path / "stack.env").write_text("# header\nSATUDATA_S3_ACCESS_KEY=abc\n")
    first = _secret(settings, "SATUDATA_CKAN_DB_PASSWORD")
    assert len(first) >= 24 and _secret(settings, "SATUDATA_CKAN_DB_PASSWORD") == first
    _remember(settings, SATUDATA_CKAN_API_TOKEN="t1")
    _remember(settings, SATUDATA_CKAN_API_TOKEN="t2")
    text = (tmp_path / "stack.env").read_text()
    assert "SATUDATA_S3_ACCESS_KEY=abc" in text and "# header" in text
    assert text.count("SATUDATA_CKAN_API_TOKEN=") == 1 and "SATUDATA_CKAN_API_TOKEN=t2" in text
    assert (tmp_path / "stack.env").stat().st_mode & 0o077 == 0


def test_ckan_configuration(tmp_path):
    settings = _settings(tmp_path, SATUDATA_PG_PORT="18432", SATUDATA_REDIS_PORT="18379", SATUDATA_CKAN_PORT="18500")
    config = CkanService(settings).config()
    plugins = config["ckan.plugins"].split()
    assert plugins == CKAN_PLUGINS.split()
    assert {"scheming_datasets", "dcat", "satudata", "satudata_pgsearch"} <= set(plugins)
    # Default views must name enabled view plugins, or every resource_create logs errors.
    assert set(config["ckan.views.default_views"].split()) <= set(plugins)
    assert config["ckan.locale_default"] == "id"
    assert config["ckan.site_url"] == "http://127.0.0.1:18500"
    assert config["sqlalchemy.url"].startswith("postgresql://ckan:") and config["sqlalchemy.url"].endswith("@127.0.0.1:18432/ckan")
    assert config["ckan.redis.url"] == "redis://127.0.0.1:18379/0"
    assert config["ckan.storage_path"] == str(tmp_path / "ckan" / "storage")
    assert config["ckan.gravatar_default"] == "disabled"  # no avatar requests to the internet
    assert config["scheming.dataset_schemas"] == "ckanext.satudata:schemas/dataset.yaml"
    assert config["ckanext.dcat.rdf.profiles"].split()[0] == "satudata"


def test_commands_bind_loopback_only(tmp_path):
    settings = _settings(tmp_path, SATUDATA_PG_PORT="18432", SATUDATA_REDIS_PORT="18379", SATUDATA_CKAN_PORT="18500")
    pg = PostgresService(settings).command()
    assert pg[:4] == ["runuser", "-u", "postgres", "--"]
    assert "listen_addresses=127.0.0.1" in pg and "port=18432" in pg and "unix_socket_directories=" in pg
    redis = RedisService(settings).command()
    assert redis[redis.index("--bind") + 1] == "127.0.0.1"
    assert redis[redis.index("--save") + 1] == "" and redis[redis.index("--appendonly") + 1] == "no"


def test_board_is_served_locally_without_telemetry(tmp_path):
    from satudata.board_service import BoardService

    settings = _settings(tmp_path, SATUDATA_BOARD_PORT="18501")
    assert settings.board_port == 18501 and _settings(tmp_path / "leer").board_port == 8501
    assert settings.env_for_children()["SATUDATA_BOARD_PORT"] == "18501"
    cmd = BoardService(settings).command()
    assert cmd[1] == "run" and cmd[2].endswith("board/app.py")
    assert {"--server.address=127.0.0.1", "--server.port=18501", "--server.headless=true",
            "--browser.gatherUsageStats=false"} <= set(cmd)
