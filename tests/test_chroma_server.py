"""The index on a real Chroma server: `chroma run` from the venv on a free port, ingested over
HTTP, then opened and asked as a user of EVIDENCE_CHROMA_HOST would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ingest.index import build_index, chroma_client, index_exists, live_collection_name, open_index
from common.settings import Settings
from _servers import free_port

CHROMA_CLI = Path(sys.executable).parent / "chroma"
STARTUP_SECONDS = 60

pytestmark = pytest.mark.slow


def _heartbeat(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A `chroma run` server over an empty directory; yields its port and stops it afterwards."""
    if not CHROMA_CLI.exists():
        pytest.fail(f"{CHROMA_CLI} is missing: the chromadb package installs it (run `make install`).")
    workdir = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log_path = workdir / "server.log"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(CHROMA_CLI), "run", "--path", str(workdir / "data"), "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _heartbeat(port):
            if process.poll() is not None:
                pytest.fail(f"chroma run exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"chroma run did not answer within {STARTUP_SECONDS} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server_settings(chroma_server, tmp_path_factory) -> Settings:
    # The caches of the server's collections live on this machine, here in a folder of the test's own.
    settings = Settings(chroma_host="127.0.0.1", chroma_port=chroma_server, chroma_dir=tmp_path_factory.mktemp("local") / "chroma")
    started = time.perf_counter()
    summary = build_index(settings, progress=False)
    print(f"\ningest over HTTP: {time.perf_counter() - started:.1f} s\n{summary.describe()}")
    return settings


def test_an_index_on_the_server_holds_the_same_passages_as_a_local_one(server_settings, index_settings) -> None:
    assert index_exists(server_settings)
    on_server = open_index(server_settings)
    local = open_index(index_settings)
    assert len(on_server.passages) == len(local.passages)
    assert {p.passage_id for p in on_server.passages} == {p.passage_id for p in local.passages}
    count = chroma_client(server_settings).get_collection(live_collection_name(server_settings)).count()
    assert count == len(local.passages)
    assert len(on_server.study_records) == 27 and len(on_server.references) == 68


def test_an_assistant_on_the_server_names_the_cbi_studies(server_settings) -> None:
    from assistant.service import Assistant

    answer = Assistant.load(server_settings).ask("Which studies used the Copenhagen Burnout Inventory?")
    assert not answer.abstained
    assert {29, 31} <= {citation.ref for citation in answer.citations}


def test_the_servers_index_is_opened_from_caches_on_this_machine(server_settings, index_settings) -> None:
    from ingest.cache import STAMP, cache_dir

    folder = cache_dir(server_settings)
    assert folder != cache_dir(index_settings) and f"server-127.0.0.1_{server_settings.chroma_port}" in str(folder)
    live = live_collection_name(server_settings)
    for part in ("passages", "retrieval"):
        assert json.loads((folder / part / STAMP).read_text(encoding="utf-8"))["collection"] == live
    assert [p.passage_id for p in open_index(server_settings).passages] == \
        chroma_client(server_settings).get_collection(live).get(include=[])["ids"]
