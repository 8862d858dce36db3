"""`python -m ingest` killed with SIGKILL at a random point of its embedding, as a power cut or
the OOM killer would: a rerun completes with every passage once and no orphan collection, a
killed rebuild leaves the previous index answering, on disk and on a Chroma server alike. And
no ingest replaces or shrinks a live collection unless asked."""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from common.errors import CorpusReadError
from common.settings import PROJECT_ROOT, Settings
from ingest.index import (
    build_index,
    chroma_client,
    index_damage,
    index_exists,
    live_collection_name,
    open_index,
    read_corpus,
)
from test_chroma_server import chroma_server  # noqa: F401  (a `chroma run` server on a free port)

pytestmark = pytest.mark.slow

# Kill points are random but reproducible: set CRASH_SEED to try others.
SEED = int(os.environ.get("CRASH_SEED", "20261203"))
# The second, smaller review keeps a full ingest after the kill short; small batches give many kill points.
OTHER_REVIEW = PROJECT_ROOT.parent / "shared" / "fixtures" / "review2"  # beside the checkout
OTHER_REVIEW_FILES = [OTHER_REVIEW / "review.txt", OTHER_REVIEW / "digests.jsonl"]
BATCH = 16
PROGRESS = re.compile(r"Embedding passages:.*?(\d+)/(\d+)")


def _other_review_files() -> list[Path]:
    if not OTHER_REVIEW.is_dir():
        pytest.skip(f"{OTHER_REVIEW} is missing")
    return OTHER_REVIEW_FILES


def kill_during_embedding(args: list[str], env: dict[str, str], rng: random.Random) -> tuple[int, int, float]:
    """Runs `python -m ingest ARGS`, waits until its progress bar shows a first embedded batch,
    then SIGKILLs it after a random delay. Returns (passages embedded when killed, total, delay)."""
    delay = rng.uniform(0.0, 3.0)
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", *args], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env={**os.environ, "HF_HUB_OFFLINE": "1", "EVIDENCE_INGEST__BATCH_SIZE": str(BATCH), **env},
    )
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(iter(lambda: process.stderr.read(1).decode("utf-8", "replace"), "")), daemon=True)
    reader.start()

    def progress() -> tuple[int, int] | None:
        found = PROGRESS.findall("".join(stderr))
        return (int(found[-1][0]), int(found[-1][1])) if found else None

    deadline = time.monotonic() + 600
    while (progress() or (0, 0))[0] == 0:
        assert process.poll() is None, f"ingest ended before its first batch:\n{''.join(stderr)[-2000:]}"
        assert time.monotonic() < deadline, "no embedding progress within 10 minutes"
        time.sleep(0.05)
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    reader.join(timeout=10)
    done, total = progress()
    print(f"\nkilled `python -m ingest {' '.join(args)}` {delay:.2f} s after its first batch, at {done}/{total} (seed {SEED})")
    assert process.returncode == -signal.SIGKILL, "the ingest finished before it was killed"
    return done, total, delay


def collection_names(settings: Settings) -> set[str]:
    names = {c if isinstance(c, str) else c.name for c in chroma_client(settings).list_collections()}
    return {n for n in names if n.startswith(f"{settings.collection}_{settings.review}_")}


def assert_complete_and_single(settings: Settings, files: list[Path] | None) -> None:
    """The live collection holds each passage of a clean ingest exactly once, beside its manifest only."""
    expected = {p.passage_id for p in read_corpus(settings, files).passages}
    live = live_collection_name(settings)
    collection = chroma_client(settings).get_collection(live)
    stored = collection.get(include=[])["ids"]
    assert collection.count() == len(stored) == len(expected)  # nothing doubled, nothing missing
    assert set(stored) == expected
    assert collection_names(settings) == {live, f"{settings.collection}_{settings.review}__manifest"}  # no orphan


def test_a_first_ingest_killed_midway_completes_on_a_rerun(tmp_path) -> None:
    files = _other_review_files()
    settings = Settings(chroma_dir=tmp_path / "chroma", review="fictional")
    args = ["--review", "fictional", *map(str, files)]
    done, total, _ = kill_during_embedding(args, {"EVIDENCE_CHROMA_DIR": str(settings.chroma_dir)}, random.Random(SEED))
    assert 0 < done < total

    assert index_damage(settings, thorough=True) is None  # a crash is not damage: a plain rerun may proceed
    assert not index_exists(settings)  # a half-built collection is never live
    started = time.perf_counter()
    summary = build_index(settings, files, progress=False)
    print(f"rerun: {time.perf_counter() - started:.1f} s\n{summary.describe()}")
    assert not summary.unchanged and summary.embedded == sum(summary.passages_by_kind.values())
    assert_complete_and_single(settings, files)


def test_a_rebuild_killed_midway_leaves_the_previous_index_answering(index_settings, tmp_path) -> None:
    from assistant.service import Assistant

    settings = Settings(chroma_dir=tmp_path / "chroma")
    shutil.copytree(index_settings.chroma_dir, settings.chroma_dir)
    before = live_collection_name(settings)
    count = len(open_index(settings).passages)

    kill_during_embedding(["--rebuild"], {"EVIDENCE_CHROMA_DIR": str(settings.chroma_dir)}, random.Random(SEED + 1))
    assert len(collection_names(settings)) >= 2  # the killed build's half-written collection is there

    assert live_collection_name(settings) == before
    assert len(open_index(settings).passages) == count
    answer = Assistant.load(settings).ask("Which studies used the ProQOL?")
    assert not answer.abstained and {27, 30, 32} <= {c.ref for c in answer.citations}
    started = time.perf_counter()
    summary = build_index(settings, progress=False)
    seconds = time.perf_counter() - started
    print(f"plain ingest after the killed rebuild: {seconds:.1f} s, unchanged={summary.unchanged}")
    assert summary.unchanged and seconds < 10
    assert_complete_and_single(settings, None)  # and the half-written collection is gone


def test_an_ingest_into_a_chroma_server_killed_midway_completes_on_a_rerun(chroma_server, tmp_path) -> None:  # noqa: F811
    files = _other_review_files()
    settings = Settings(chroma_host="127.0.0.1", chroma_port=chroma_server, review="fictional")
    env = {"EVIDENCE_CHROMA_HOST": "127.0.0.1", "EVIDENCE_CHROMA_PORT": str(chroma_server)}
    done, total, _ = kill_during_embedding(["--review", "fictional", *map(str, files)], env, random.Random(SEED + 2))
    assert 0 < done < total

    assert not index_exists(settings)
    summary = build_index(settings, files, progress=False)
    print(summary.describe())
    assert_complete_and_single(settings, files)
    assert len(open_index(settings).passages) == sum(summary.passages_by_kind.values())


# --- No silent replacement ------------------------------------------------------------------

def test_a_note_is_added_to_the_review_and_nothing_of_it_is_lost(index_settings, tmp_path, review_text) -> None:
    from assistant.service import Assistant

    settings = Settings(chroma_dir=tmp_path / "chroma")
    shutil.copytree(index_settings.chroma_dir, settings.chroma_dir)
    before = {p.passage_id for p in open_index(settings).passages}
    note = tmp_path / "NOTE.txt"
    (paragraph,) = [line for line in review_text.splitlines() if line.startswith("In this regard, numerous studies")]
    note.write_text("Notes from a reading group\n\n" + paragraph + "\n", encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-m", "ingest", "--quiet", str(note)], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "EVIDENCE_CHROMA_DIR": str(settings.chroma_dir)}, timeout=600,
    )
    print(f"\n{result.stdout}")
    assert result.returncode == 0, result.stderr[-2000:]
    (added,) = re.findall(r"Added (\d+) passages of extra material to review 'seed' \((\d+) were there; none removed\)", result.stdout)
    assert int(added[0]) > 0 and int(added[1]) == len(before)

    index = open_index(settings)
    after = {p.passage_id for p in index.passages}
    assert before <= after and len(after) == len(before) + int(added[0])
    assert len(index.references) == len(open_index(index_settings).references)
    answer = Assistant.load(settings).ask("Which studies used the Copenhagen Burnout Inventory?")
    assert {29, 31} <= {c.ref for c in answer.citations}


def test_another_reviews_text_does_not_replace_a_live_review(index_settings, tmp_path) -> None:
    files = _other_review_files()
    settings = Settings(chroma_dir=tmp_path / "chroma")
    shutil.copytree(index_settings.chroma_dir, settings.chroma_dir)
    live = live_collection_name(settings)
    with pytest.raises(CorpusReadError, match=r"--review NEW-NAME .*--replace"):
        build_index(settings, files, progress=False)
    assert live_collection_name(settings) == live
    assert chroma_client(settings).get_collection(live).count() == len(open_index(index_settings).passages)
