"""The open-data portal in the local stack: PostgreSQL, Redis and CKAN 2.12.

Started by ``satudata stack up`` after the S3 endpoint, in this order, each as a plain process with
a PID file like every other service of :mod:`satudata.stack`:

* **PostgreSQL 15** – a cluster of its own in ``<home>/postgres``, owned by and run as the
  ``postgres`` user (``initdb`` refuses root), listening only on 127.0.0.1 (no Unix socket), every
  login by password (scram-sha-256). Stopped with ``pg_ctl stop -m fast``.
* **Redis** – 127.0.0.1 only, no persistence (CKAN keeps only caches and job queues there).
* **CKAN** – from its own virtualenv (``make install`` builds ``.state/tools/ckan-venv`` from
  ``catalog/ckan-requirements.txt`` plus ``catalog/ckanext-satudata``), configured into
  ``<home>/ckan/ckan.ini`` by ``ckan generate config`` + ``ckan config-tool`` on every start,
  database migrated by ``ckan db init``, served by gunicorn. Search runs on PostgreSQL through the
  ``satudata_pgsearch`` plugin (no Solr). On first start a sysadmin ``satudata`` and an API token
  for the pipeline are created and recorded in ``<home>/stack.env`` as
  ``SATUDATA_CKAN_API_TOKEN``.

Passwords are generated on first start and kept in ``<home>/stack.env`` (git-ignored, 0600).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from satudata.settings import Settings, _read_env_file
from satudata.stack import Service, StackError, pid_alive, port_open

PG_BIN = Path(os.environ.get("SATUDATA_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
CKAN_DB = "ckan"
CKAN_DB_USER = "ckan"
CKAN_ADMIN = "satudata"
CKAN_TOKEN_NAME = "pipeline"
CKAN_PLUGINS = "activity image_view scheming_datasets dcat satudata satudata_pgsearch"


# --------------------------------------------------------------------------- local secrets
def _remember(settings: Settings, **values: str) -> None:
    """Set KEY=VALUE lines in ``stack.env`` (replacing earlier values), keeping it private."""
    path = settings.stack_env_file
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = path.read_text().splitlines() if path.exists() else []
    kept = [line for line in lines if line.partition("=")[0].strip() not in values]
    kept.extend(f"{key}={value}" for key, value in values.items())
    path.write_text("\n".join(kept) + "\n")
    path.chmod(0o600)


def _secret(settings: Settings, key: str) -> str:
    """A password generated once for the local stack and kept in ``stack.env``."""
    value = _read_env_file(settings.stack_env_file).get(key)
    if not value:
        value = secrets.token_urlsafe(24)
        _remember(settings, **{key: value})
    return value


def _run(cmd: list[str], *, what: str, env: dict[str, str] | None = None, input: str | None = None,
         timeout: float = 300) -> str:
    """Run a setup command; on failure raise a StackError quoting the end of its output."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, input=input, timeout=timeout)
    except FileNotFoundError as exc:
        raise StackError(f"{what}: {exc.filename} tidak ditemukan; jalankan 'make install'") from None
    except subprocess.TimeoutExpired:
        raise StackError(f"{what}: tidak selesai dalam {timeout:.0f} s") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise StackError(f"{what} gagal (exit {proc.returncode}): {tail}")
    return proc.stdout


# --------------------------------------------------------------------------- PostgreSQL
def _postgres_ids() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(PG_USER)
    except KeyError:
        raise StackError("pengguna sistem 'postgres' tidak ada; jalankan 'make install' (paket postgresql-15)") from None
    return entry.pw_uid, entry.pw_gid


def _let_postgres_traverse(path: Path) -> None:
    """The cluster lives under the project folder; the postgres user must be able to reach it.

    Only the search ("x") permission is added, and only on folders that lack it (a fresh
    ``mktemp -d`` clone is 0700), with an ACL for ``postgres`` where ``setfacl`` exists.
    """
    uid, gid = _postgres_ids()
    for folder in [*reversed(path.parents), path]:
        info = folder.stat()
        if info.st_mode & stat.S_IXOTH or info.st_uid == uid or (info.st_gid == gid and info.st_mode & stat.S_IXGRP):
            continue
        setfacl = shutil.which("setfacl")
        if setfacl and subprocess.run([setfacl, "-m", f"u:{PG_USER}:x", str(folder)], capture_output=True).returncode == 0:
            continue
        folder.chmod(info.st_mode | stat.S_IXOTH)


class PostgresService(Service):
    """A PostgreSQL 15 cluster in ``<home>/postgres`` run as the ``postgres`` user."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("postgres", settings.pg_port, settings)

    @property
    def data_dir(self) -> Path:
        return self.settings.home / "postgres"

    def url(self) -> str:
        return f"postgresql://127.0.0.1:{self.port}"

    def _bin(self, name: str) -> str:
        path = PG_BIN / name
        if not path.exists():
            raise StackError(f"PostgreSQL 15 tidak ditemukan ({path}); jalankan 'make install'")
        return str(path)

    def _as_postgres(self, *args: str) -> list[str]:
        return ["runuser", "-u", PG_USER, "--", *args]

    def prepare(self) -> None:
        uid, gid = _postgres_ids()
        self.settings.home.mkdir(parents=True, exist_ok=True)
        _let_postgres_traverse(self.settings.home)
        if (self.data_dir / "PG_VERSION").exists():
            return
        password = _secret(self.settings, "SATUDATA_PG_SUPERUSER_PASSWORD")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chown(self.data_dir, uid, gid)
        self.data_dir.chmod(0o700)
        pwfile = self.settings.home / "run" / "pg-initdb-password"
        pwfile.parent.mkdir(parents=True, exist_ok=True)
        _let_postgres_traverse(pwfile.parent)
        pwfile.write_text(password + "\n")
        os.chown(pwfile, uid, gid)
        pwfile.chmod(0o600)
        try:
            _run(
                self._as_postgres(
                    self._bin("initdb"), "-D", str(self.data_dir), "-U", PG_USER, f"--pwfile={pwfile}",
                    "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions",
                ),
                what="initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        # TCP on loopback with passwords only; no Unix socket, no trust.
        hba = self.data_dir / "pg_hba.conf"
        hba.write_text(
            "# Satu Data Baubau local stack: loopback only, passwords only.\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        os.chown(hba, uid, gid)

    def command(self) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": "",
            "max_connections": "60",
            "shared_buffers": "64MB",
            # A local stack: after a crash the last few commits may be lost, the data is not.
            "synchronous_commit": "off",
            "log_min_messages": "warning",
            "log_line_prefix": "%m [%p] ",
        }
        args = [self._bin("postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        return self._as_postgres(*args)

    def ready(self) -> bool:
        if not port_open(self.port):
            return False
        proc = subprocess.run(
            [self._bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
        )
        return proc.returncode == 0

    def psql(self, sql: str, *, database: str = "postgres", variables: dict[str, str] | None = None) -> str:
        """Run SQL as the superuser over TCP; ``:'name'`` in the SQL is a quoted psql variable."""
        env = {**os.environ, "PGPASSWORD": _secret(self.settings, "SATUDATA_PG_SUPERUSER_PASSWORD")}
        cmd = [self._bin("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
               "-p", str(self.port), "-U", PG_USER, "-d", database]
        for key, value in (variables or {}).items():
            cmd += ["-v", f"{key}={value}"]
        try:
            return _run(cmd + ["-f", "-"], what="psql", env=env, input=sql)
        except StackError as exc:
            if "password authentication failed" in str(exc):
                raise StackError(
                    f"kata sandi PostgreSQL di {self.settings.stack_env_file} tidak cocok dengan cluster "
                    f"{self.data_dir}; pulihkan stack.env atau hapus cluster itu (datanya hilang)"
                ) from None
            raise

    def ensure_database(self, name: str, owner: str, password: str) -> None:
        """A login role with this password and a database it owns (idempotent)."""
        self.psql(
            "SELECT format('CREATE ROLE %I LOGIN', :'owner') "
            "WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \\gexec\n"
            "ALTER ROLE :\"owner\" PASSWORD :'password';\n"
            "SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8''', :'db', :'owner') "
            "WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec\n",
            variables={"owner": owner, "password": password, "db": name},
        )

    def _postmaster_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) else None

    def stop(self, timeout: float = 30.0) -> bool:
        """``pg_ctl stop -m fast`` as postgres, then make sure no process of the cluster is left."""
        stopped = False
        if self._postmaster_pid() is not None:
            subprocess.run(
                self._as_postgres(self._bin("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast",
                                  "-w", "-t", str(int(timeout))),
                capture_output=True,
            )
            stopped = True
        deadline = time.monotonic() + 10
        while (pid := self._postmaster_pid()) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid is not None:  # pg_ctl could not stop it: an immediate shutdown, then the hard way
            os.kill(pid, 9)
        return super().stop() or stopped


# --------------------------------------------------------------------------- Redis
class RedisService(Service):
    """``redis-server`` on 127.0.0.1 with persistence off."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("redis", settings.redis_port, settings)

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        binary = shutil.which("redis-server")
        if not binary:
            raise StackError("redis-server tidak ditemukan; jalankan 'make install' (paket redis-server)")
        data = self.settings.home / "redis"
        data.mkdir(parents=True, exist_ok=True)
        return [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "yes",
            "--save", "", "--appendonly", "no", "--dir", str(data), "--daemonize", "no",
            "--logfile", "", "--maxmemory", "128mb", "--maxmemory-policy", "allkeys-lru",
        ]

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


# --------------------------------------------------------------------------- CKAN
# The portal is on loopback: never send its requests through an HTTP proxy from the environment.
_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CkanService(Service):
    """CKAN 2.12 (gunicorn) with the Satu Data schema, DCAT and the PostgreSQL search backend."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("ckan", settings.ckan_port, settings)

    @property
    def ckan_dir(self) -> Path:
        return self.settings.home / "ckan"

    @property
    def ini(self) -> Path:
        return self.ckan_dir / "ckan.ini"

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _venv_bin(self, name: str) -> str:
        path = self.settings.ckan_venv / "bin" / name
        if not path.exists():
            raise StackError(f"CKAN belum terpasang ({path} tidak ada); jalankan 'make install'")
        return str(path)

    def _env(self) -> dict[str, str]:
        return {**self.settings.env_for_children(), "CKAN_INI": str(self.ini)}

    def ckan(self, *args: str, what: str | None = None) -> str:
        """Run the ``ckan`` command line against this portal's configuration."""
        return _run([self._venv_bin("ckan"), "-c", str(self.ini), *args], what=what or f"ckan {args[0]}",
                    env=self._env())

    def config(self) -> dict[str, str]:
        """The settings written into ckan.ini on every start (ports may change between starts)."""
        db_password = _secret(self.settings, "SATUDATA_CKAN_DB_PASSWORD")
        return {
            "sqlalchemy.url": f"postgresql://{CKAN_DB_USER}:{db_password}@127.0.0.1:{self.settings.pg_port}/{CKAN_DB}",
            "ckan.site_url": self.url(),
            "ckan.site_id": "satudata-baubau",
            "ckan.redis.url": f"redis://127.0.0.1:{self.settings.redis_port}/0",
            "ckan.storage_path": str(self.ckan_dir / "storage"),
            "ckan.max_resource_size": "200",
            "ckan.plugins": CKAN_PLUGINS,
            "ckan.views.default_views": "image_view",
            "scheming.dataset_schemas": "ckanext.satudata:schemas/dataset.yaml",
            "scheming.presets": "ckanext.scheming:presets.json",
            "ckanext.dcat.rdf.profiles": "satudata euro_dcat_ap_3",
            "ckan.locale_default": "id",
            "ckan.locales_offered": "id en",
            "ckan.display_timezone": "Asia/Makassar",
            "ckan.site_title": "Satu Data Kota Baubau",
            "ckan.site_description": "Portal data terbuka Pemerintah Kota Baubau",
            "ckan.site_intro_text": "Data resmi Pemerintah Kota Baubau untuk publik (Satu Data Indonesia, Perpres 39/2019).",
            # Nothing on the pages may load from the internet (gravatar avatars would).
            "ckan.gravatar_default": "disabled",
            "ckan.auth.create_user_via_web": "false",
            "ckan.auth.user_create_organizations": "false",
            "ckan.auth.user_create_groups": "false",
        }

    def prepare(self) -> None:
        ckan_bin = self._venv_bin("ckan")
        self._venv_bin("gunicorn")
        self.ckan_dir.mkdir(parents=True, exist_ok=True)
        (self.ckan_dir / "storage").mkdir(exist_ok=True)
        PostgresService(self.settings).ensure_database(
            CKAN_DB, CKAN_DB_USER, _secret(self.settings, "SATUDATA_CKAN_DB_PASSWORD")
        )
        if not self.ini.exists():
            _run([ckan_bin, "generate", "config", str(self.ini)], what="ckan generate config", env=self._env())
            self.ini.chmod(0o600)  # it holds the database password and the session secret
            _run([ckan_bin, "config-tool", str(self.ini), "-s", "logger_ckanext", "level=INFO"],
                 what="ckan config-tool", env=self._env())
        _run([ckan_bin, "config-tool", str(self.ini), *(f"{k}={v}" for k, v in self.config().items())],
             what="ckan config-tool", env=self._env())
        # Core and plugin migrations (activity); a no-op when the database is current.
        self.ckan("db", "init", what="ckan db init")

    def command(self) -> list[str]:
        return [
            self._venv_bin("gunicorn"),
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", "2",
            "--timeout", "120",
            "--graceful-timeout", "10",
            "--env", f"CKAN_INI={self.ini}",
            "--access-logfile", "-",
            "ckanext.satudata.wsgi:application",
        ]

    def _api(self, action: str, params: str = "", token: str | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(f"{self.url()}/api/3/action/{action}{params}")
        if token:
            request.add_header("Authorization", token)
        try:
            with _LOOPBACK.open(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.load(exc)
            except ValueError:
                return exc.code, {}
        except (OSError, ValueError):
            return 0, {}

    def ready(self) -> bool:
        return port_open(self.port) and self._api("status_show")[0] == 200

    def after_start(self) -> None:
        """A sysadmin for the pipeline and its API token, recorded in stack.env (first start)."""
        token = _read_env_file(self.settings.stack_env_file).get("SATUDATA_CKAN_API_TOKEN")
        if token:
            code, body = self._api("user_show", f"?id={CKAN_ADMIN}", token=token)
            if code == 200 and body.get("result", {}).get("sysadmin"):
                return
        code, _ = self._api("user_show", f"?id={CKAN_ADMIN}")
        if code != 200:
            password = _secret(self.settings, "SATUDATA_CKAN_ADMIN_PASSWORD")
            self.ckan("user", "add", CKAN_ADMIN, f"email={CKAN_ADMIN}@baubaukota.go.id",
                      f"password={password}", "fullname=Satu Data Baubau (pipeline)", what="ckan user add")
        self.ckan("sysadmin", "add", CKAN_ADMIN, what="ckan sysadmin add")
        output = self.ckan("user", "token", "add", "-q", CKAN_ADMIN, CKAN_TOKEN_NAME, what="ckan user token add")
        token = output.strip().splitlines()[-1].strip()
        _remember(self.settings, SATUDATA_CKAN_API_TOKEN=token)
