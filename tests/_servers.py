"""Live app servers for the slow tests: `python app.py` in a subprocess on a free port, over
an index that a test session built. One server per (index, extra settings) for the whole run.
Also a socket guard that refuses, and records, every connection that would leave the machine."""
from __future__ import annotations

import atexit
import ipaddress
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
from collections.abc import Callable
from pathlib import Path

from common.settings import PROJECT_ROOT

STARTUP_SECONDS = 240
TESTS_DIR = Path(__file__).resolve().parent
# Variables that turn telemetry, analytics and model downloads off; a "bare" environment drops
# them, to show the project turns them off itself.
PRIVACY_VARIABLES = ("GRADIO_ANALYTICS_ENABLED", "ANONYMIZED_TELEMETRY", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                     "HF_DATASETS_OFFLINE", "GRADIO_SERVER_NAME")


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


def start_app(chroma_dir: Path, extra_env: dict[str, str] | None = None, *, guard_log: Path | None = None) -> AppServer:
    """Starts `python app.py` and waits until it serves; fails with the server's log otherwise.
    With `guard_log`, the app runs in a bare environment under the socket guard, which writes
    every refused connection to that file."""
    port = free_port()
    privacy = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "ANONYMIZED_TELEMETRY": "False"}
    env = {
        **(bare_env() if guard_log else {**os.environ, **privacy}),
        "EVIDENCE_PORT": str(port),
        "EVIDENCE_HOST": "127.0.0.1",
        "EVIDENCE_CHROMA_DIR": str(chroma_dir),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    command = guarded_command(["app.py"], guard_log) if guard_log else [sys.executable, "app.py"]
    log_path = Path(tempfile.mkstemp(prefix="evidence-app-", suffix=".log")[1])
    log_file = log_path.open("w", encoding="utf-8")
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
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


def _is_local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.split("%", 1)[0]  # an IPv6 scope
    if host.lower() in ("localhost", "localhost.localdomain", ""):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _is_address(host: object) -> bool:
    try:
        ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host)
    except ValueError:
        return False
    return True


def install_socket_guard(record: Callable[[str], None], set_attribute: Callable = setattr) -> None:
    """Refuses every connection, datagram and name lookup aimed beyond this machine (loopback and
    unix sockets pass) and calls `record` with each one; `set_attribute` may be monkeypatch.setattr."""

    def outside(sock: socket.socket, address) -> bool:
        return sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0])

    def refuse(what: str) -> None:
        record(what)
        raise ConnectionRefusedError(f"outbound connection refused by the test guard: {what}")

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto, real_getaddrinfo = socket.socket.sendto, socket.getaddrinfo

    def connect(self, address):
        if outside(self, address):
            refuse(f"connect {address[0]}:{address[1]}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if outside(self, address):
            refuse(f"connect {address[0]}:{address[1]}")
        return real_connect_ex(self, address)

    def sendto(self, data, *rest):
        address = rest[-1]
        if outside(self, address):
            refuse(f"datagram {address[0]}:{address[1]}")
        return real_sendto(self, data, *rest)

    def getaddrinfo(host, *args, **kwargs):
        # A name is looked up over the network; an address is not (its connection is guarded).
        if host is not None and not _is_local(host) and not _is_address(host):
            record(f"resolve {host}")
            raise socket.gaierror(socket.EAI_NONAME, f"name lookup refused by the test guard: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    set_attribute(socket.socket, "connect", connect)
    set_attribute(socket.socket, "connect_ex", connect_ex)
    set_attribute(socket.socket, "sendto", sendto)
    set_attribute(socket, "getaddrinfo", getaddrinfo)


def bare_env() -> dict[str, str]:
    """This process's environment without the variables that switch telemetry and downloads off,
    nor any EVIDENCE_ setting."""
    return {k: v for k, v in os.environ.items() if k not in PRIVACY_VARIABLES and not k.startswith("EVIDENCE_")}


_GUARD_BOOT = """
import runpy, sys
sys.path.insert(0, {tests!r})
from _servers import install_socket_guard

def record(what):
    with open({log!r}, "a", encoding="utf-8") as log:
        log.write(what + "\\n")

install_socket_guard(record)
sys.argv = {argv!r}
if sys.argv[0] == "-m":
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    runpy.run_path(sys.argv[0], run_name="__main__")
"""


def guarded_command(argv: list[str], guard_log: Path) -> list[str]:
    """`python ARGV...` (a script, or `-m module ...`) with the socket guard installed first."""
    guard_log.touch()
    return [sys.executable, "-c", _GUARD_BOOT.format(tests=str(TESTS_DIR), log=str(guard_log), argv=list(argv))]
