"""`python -m assistant` as a user or a script runs it: a JSON answer, a batch file answered
line by line, and a one-line error that names the fix when there is no index."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from common.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _run(args: list[str], chroma_dir, timeout: int = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVIDENCE_CHROMA_DIR": str(chroma_dir), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_ask_with_json_prints_an_answer_object_citing_the_proqol_studies(index_settings):
    result = _run(["ask", "Which studies used the ProQOL?", "--json"], index_settings.chroma_dir)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {"id", "question", "answer", "abstained", "citations", "retrieved", "timings_ms"} <= set(answer)
    assert answer["abstained"] is False
    assert {27, 30, 32} <= {c["ref"] for c in answer["citations"]}, answer["answer"]


def test_batch_writes_one_answer_per_line_keeping_the_ids(index_settings, tmp_path):
    rows = [
        {"id": "b1", "question": "Which studies used the ProQOL?"},
        {"id": "b2", "question": "How many psychologists took part?", "history": ["What did Eriksson et al. (2018) find?"]},
        {"id": "b3", "question": "What is the capital of France?", "kind": "abstain", "answerable": False},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = _run(["batch", str(source), "--out", str(target)], index_settings.chroma_dir)
    assert result.returncode == 0, result.stderr
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(rows)
    answers = [json.loads(line) for line in lines]
    assert [a["id"] for a in answers] == ["b1", "b2", "b3"]
    assert [a["question"] for a in answers] == [r["question"] for r in rows]
    assert {27, 30, 32} <= {c["ref"] for c in answers[0]["citations"]}
    assert answers[2]["abstained"] is True


def test_without_an_index_ask_says_in_one_line_to_run_ingest(tmp_path):
    empty = tmp_path / "no-index"
    empty.mkdir()
    result = _run(["ask", "Which studies used the ProQOL?", "--json"], empty, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    message = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(message) == 1, result.stderr
    assert "python -m ingest" in message[0]
    assert not result.stdout.strip()


def test_the_same_questions_get_the_same_answers_in_two_fresh_processes(index_settings, tmp_path):
    # Chroma's approximate search, left at its default width, returned different close passages
    # from one process to the next; a reader asking again after a restart got another answer.
    questions = [json.loads(line)["question"] for line in
                 (PROJECT_ROOT / "eval" / "sets" / "seed" / "topics.jsonl").read_text(encoding="utf-8").splitlines()[:40]]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"id": f"q{i}", "question": q}) for i, q in enumerate(questions)) + "\n",
                      encoding="utf-8")
    runs = []
    for n in (1, 2):
        target = tmp_path / f"out{n}.jsonl"
        result = _run(["batch", str(source), "--out", str(target)], index_settings.chroma_dir)
        assert result.returncode == 0, result.stderr
        runs.append([json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()])
    first, second = ([(a["answer"], [r["chunk_id"] for r in a["retrieved"]]) for a in run] for run in runs)
    assert first == second
