"""The Command Center board in the local stack: Streamlit serving ``board/app.py``.

Started by ``satudata stack up`` after the portal, like every service of :mod:`satudata.stack`
(PID file, log, stopped by PID). Bound to 127.0.0.1 on ``SATUDATA_BOARD_PORT`` (8501), headless,
usage statistics off and no file watcher, so it reaches nothing outside the machine. It only
reads the analyst warehouse, so it can start before the first pipeline run (its panels then say
"Belum ada data") and needs no restart when a run swaps in a new warehouse.
"""

from __future__ import annotations

import importlib.util
import urllib.error
import urllib.request
from pathlib import Path

from satudata.settings import Settings
from satudata.stack import Service, _venv_bin


def app_path() -> Path:
    """The page's file, wherever the ``board`` package is installed."""
    spec = importlib.util.find_spec("board")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("paket 'board' tidak terpasang; jalankan 'make install'")
    return Path(next(iter(spec.submodule_search_locations))) / "app.py"


class BoardService(Service):
    """``streamlit run board/app.py``; ready when Streamlit's health endpoint answers."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("board", settings.board_port, settings)

    def command(self) -> list[str]:
        return [
            _venv_bin("streamlit"), "run", str(app_path()),
            "--server.address=127.0.0.1",
            f"--server.port={self.port}",
            "--server.headless=true",
            "--server.fileWatcherType=none",
            "--browser.gatherUsageStats=false",
            "--client.toolbarMode=viewer",
            "--global.developmentMode=false",
        ]

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url()}/_stcore/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False
