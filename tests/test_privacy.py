"""Nothing leaves the machine: an ingest, an answer and the app, each run as a user runs it (in an
environment without the variables that switch telemetry off) under a socket guard that refuses
and records every connection or name lookup aimed beyond 127.0.0.1. Also: telemetry and
analytics are off in the settings themselves, and the app binds to 127.0.0.1 unless told."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import urllib.request

import pytest

from _servers import bare_env, guarded_command, install_socket_guard, start_app
from common.settings import PROJECT_ROOT

REVIEW2 = PROJECT_ROOT.parent / "shared" / "fixtures" / "review2"
QUESTION = "Does self-compassion protect therapists against burnout?"


def test_the_guard_refuses_and_records_outbound_connections_but_lets_local_ones_through(monkeypatch):
    attempts: list[str] = []
    install_socket_guard(attempts.append, monkeypatch.setattr)
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 80), timeout=2)
    with pytest.raises(OSError):
        urllib.request.urlopen("http://93.184.216.34/", timeout=2)
    with pytest.raises(OSError):
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))
    assert attempts == ["resolve example.org", "connect 93.184.216.34:80", "datagram 8.8.8.8:53"]

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        threading.Thread(target=lambda: listener.accept()[0].close(), daemon=True).start()
        socket.create_connection(("localhost", listener.getsockname()[1]), timeout=2).close()
    assert len(attempts) == 3


def test_the_guard_holds_in_a_guarded_process_too(tmp_path):
    script = tmp_path / "phone_home.py"
    script.write_text("import urllib.request\ntry:\n    urllib.request.urlopen('http://example.org/', timeout=5)\n"
                      "except OSError as error:\n    print('refused:', error)\n", encoding="utf-8")
    refused = tmp_path / "refused.log"
    done = subprocess.run(guarded_command([str(script)], refused), cwd=PROJECT_ROOT, env=bare_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "refused:" in done.stdout, done.stderr
    assert _refused(refused) == ["resolve example.org"]


@pytest.mark.slow
def test_telemetry_and_analytics_are_off_and_the_app_binds_locally(tmp_path):
    # A fresh process without the switches in its environment: the project turns them off itself.
    probe = (
        "import json, os, app, gradio\n"
        "from ingest.index import chroma_client\n"
        "from common.settings import get_settings\n"
        "settings = get_settings()\n"
        "options = app.launch_options(settings)\n"
        "print(json.dumps({'analytics': gradio.analytics.analytics_enabled(),\n"
        "    'gradio_variable': os.environ.get('GRADIO_ANALYTICS_ENABLED'),\n"
        "    'chroma_telemetry': chroma_client(settings).get_settings().anonymized_telemetry,\n"
        "    'host': options['server_name'], 'share': options['share'],\n"
        "    'monitoring': options['enable_monitoring'], 'mcp': options['mcp_server']}))\n"
    )
    env = {**bare_env(), "EVIDENCE_CHROMA_DIR": str(tmp_path / "chroma")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"analytics": False, "gradio_variable": "False", "chroma_telemetry": False,
                     "host": "127.0.0.1", "share": False, "monitoring": False, "mcp": False}


def _refused(log) -> list[str]:
    return [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.slow
def test_ingest_answer_and_the_app_make_no_outbound_connection(tmp_path):
    from gradio_client import Client

    refused = tmp_path / "refused.log"
    env = {**bare_env(), "EVIDENCE_CHROMA_DIR": str(tmp_path / "chroma"), "PYTHONUNBUFFERED": "1"}

    def run(*argv: str) -> subprocess.CompletedProcess:
        done = subprocess.run(guarded_command(list(argv), refused), cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    # A small review keeps the ingest short; the same code path serves every review.
    run("-m", "ingest", str(REVIEW2 / "review.txt"), str(REVIEW2 / "digests.jsonl"), "--review", "review2", "--quiet")
    assert _refused(refused) == []
    asked = run("-m", "assistant", "ask", "Does aerobic exercise reduce depressive symptoms?", "--review", "review2", "--json")
    answer = json.loads(asked.stdout)
    assert answer["citations"] and not answer["abstained"]
    assert _refused(refused) == []

    server = start_app(tmp_path / "chroma", {"EVIDENCE_REVIEW": "review2"}, guard_log=refused)
    try:
        with urllib.request.urlopen(server.url, timeout=30) as page:  # the page and its first render
            assert page.status == 200
        reply = Client(server.url, verbose=False).predict("Is tai chi good for mood in older adults?", api_name="/ask")
        assert reply["answer"]
        log = server.log()
    finally:
        server.stop()
    assert _refused(refused) == [], log[-3000:]


@pytest.mark.slow
def test_with_a_password_set_nothing_answers_without_it(index_settings):
    import urllib.error

    from gradio_client import Client

    from _servers import shared_app

    guarded = shared_app(index_settings.chroma_dir, {"EVIDENCE_AUTH": "reader:correct-horse"})
    call = urllib.request.Request(f"{guarded.url}/gradio_api/call/ask", method="POST", headers={"Content-Type": "application/json"},
                                  data=json.dumps({"data": [QUESTION, "auto", []]}).encode())
    for request in (f"{guarded.url}/gradio_api/info", f"{guarded.url}/config", call):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code in (401, 403), request
    for wrong in (None, ("reader", "wrong"), ("someone", "correct-horse")):
        with pytest.raises(Exception) as refused:
            Client(guarded.url, auth=wrong, verbose=False).predict(QUESTION, api_name="/ask")
        assert "citations" not in str(refused.value)
    answer = Client(guarded.url, auth=("reader", "correct-horse"), verbose=False).predict(QUESTION, api_name="/ask")
    assert answer["citations"]
