"""Live app servers for the slow tests: `python app.py` in a subprocess on a free port, over
an index that a test session built. One server per (index, extra settings) for the whole run."""
from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from common.settings import PROJECT_ROOT

STARTUP_SECONDS = 240


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    started_seconds: float

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/gradio_api/info", timeout=5) as response:
            return response.status == 200
    except urllib.error.HTTPError as error:
        return error.code == 401  # a login-protected app is up too
    except OSError:
        return False


def start_app(chroma_dir: Path, extra_env: dict[str, str] | None = None) -> AppServer:
    """Starts `python app.py` and waits until it serves; fails with the server's log otherwise."""
    port = free_port()
    env = {
        **os.environ,
        "EVIDENCE_PORT": str(port),
        "EVIDENCE_HOST": "127.0.0.1",
        "EVIDENCE_CHROMA_DIR": str(chroma_dir),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    log_path = Path(tempfile.mkstemp(prefix="evidence-app-", suffix=".log")[1])
    log_file = log_path.open("w", encoding="utf-8")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    server = AppServer(url=url, process=process, log_path=log_path, started_seconds=0.0)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{server.log()[-4000:]}")
        if _ready(url):
            server.started_seconds = time.perf_counter() - started
            atexit.register(server.stop)
            return server
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"app.py did not serve within {STARTUP_SECONDS} s:\n{server.log()[-4000:]}")


_SHARED: dict[tuple, AppServer] = {}


def shared_app(chroma_dir: Path, extra_env: dict[str, str] | None = None) -> AppServer:
    """One running server per index and settings for the whole test run (stopped at exit)."""
    key = (str(chroma_dir), tuple(sorted((extra_env or {}).items())))
    server = _SHARED.get(key)
    if server is None or server.process.poll() is not None:
        server = _SHARED[key] = start_app(chroma_dir, extra_env)
    return server
