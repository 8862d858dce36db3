"""A damaged or incompatible Chroma directory is diagnosed in one line that names the fix, by
`open_index`, `ask` and `ingest`; `--rebuild` moves it aside (never deletes it), says which
reviews it held and builds a fresh index."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from common.errors import CorpusReadError, IndexMissingError
from common.settings import PROJECT_ROOT, Settings
from ingest.index import (
    IndexDamagedError,
    build_index,
    index_damage,
    index_exists,
    list_reviews,
    open_index,
)

FIX = "python -m ingest --rebuild"
TINY_REVIEW = """Garden Walks and Sleep in Night-Shift Nurses: A Brief Systematic Review
FICTIONAL TEST DOCUMENT written for software tests.

Abstract: Short garden walks after a night shift were linked to longer daytime sleep in three small trials.¹⁻³

Results

Two randomized trials found that a 20-minute garden walk lengthened daytime sleep by about 40 minutes.¹,² A third, uncontrolled study reported better sleep quality after four weeks.³

References

1. Arden T, Bose K. Garden walks after night shifts: a randomized trial. *J Fict Nurs*. 2020;3(1):1–9. doi:10.5555/jfn.2020.0101
2. Calloway R. Daylight exposure and daytime sleep in nurses. *Fict Sleep Res*. 2021;5(2):10–19. doi:10.5555/fsr.2021.0502
3. Dunmore L, Esk P. A four-week walking programme for night-shift staff. *Fict Occup Health*. 2019;2(4):44–52. doi:10.5555/foh.2019.0204
"""


def _live_vector_folder(directory: Path) -> str:
    with sqlite3.connect(directory / "chroma.sqlite3") as db:
        (folder,) = db.execute(
            "SELECT s.id FROM segments s JOIN collections c ON c.id = s.collection "
            "WHERE s.scope = 'VECTOR' AND c.name NOT LIKE '%manifest'").fetchone()
    return folder


def _garbage(directory: Path) -> None:
    (directory / "chroma.sqlite3").write_bytes(bytes(range(256)) * 400)


def _truncated(directory: Path) -> None:
    database = directory / "chroma.sqlite3"
    database.write_bytes(database.read_bytes()[: database.stat().st_size // 3])


def _segment_folder_missing(directory: Path) -> None:
    shutil.rmtree(directory / _live_vector_folder(directory))


def _schema_of_another_version(directory: Path) -> None:
    # Chroma checks the recorded hash of every migration it applied: another version's schema.
    with sqlite3.connect(directory / "chroma.sqlite3") as db:
        db.execute("UPDATE migrations SET hash = 'not-this-version' WHERE dir = 'sysdb' AND version = 1")


def _table_dropped(directory: Path) -> None:
    with sqlite3.connect(directory / "chroma.sqlite3") as db:
        db.execute("DROP TABLE segments")


DAMAGES = {
    "garbage": (_garbage, "not a readable SQLite database"),
    "truncated": (_truncated, "malformed"),
    "segment folder missing": (_segment_folder_missing, "of the live collection is missing"),
    "schema of another version": (_schema_of_another_version, "Inconsistent hash"),
    "table dropped": (_table_dropped, "segments"),
}


def damaged_copy(index_settings: Settings, tmp_path: Path, damage) -> Settings:
    """A copy of the session's index, damaged; the session's own index is never touched."""
    directory = tmp_path / "chroma"
    shutil.copytree(index_settings.chroma_dir, directory)
    damage(directory)
    return Settings(chroma_dir=directory)


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("kind", DAMAGES)
def test_a_damaged_index_is_named_with_its_fix_and_left_in_place(kind, index_settings, tmp_path) -> None:
    damage, reason = DAMAGES[kind]
    settings = damaged_copy(index_settings, tmp_path, damage)
    files = sorted(p.relative_to(settings.chroma_dir) for p in settings.chroma_dir.rglob("*"))

    with pytest.raises(IndexDamagedError) as opened:
        open_index(settings)
    message = str(opened.value)
    print(f"\n{kind}: {message}")
    assert isinstance(opened.value, IndexMissingError)  # callers that handle a missing index handle this too
    assert "\n" not in message and reason in message and FIX in message
    assert "No index" not in message
    with pytest.raises(IndexDamagedError):
        index_exists(settings)
    with pytest.raises(IndexDamagedError, match="--rebuild"):
        build_index(settings, progress=False)  # a plain ingest refuses and changes nothing
    # Nothing deleted, nothing moved aside (Chroma itself may touch the file's change counter).
    assert sorted(p.relative_to(settings.chroma_dir) for p in settings.chroma_dir.rglob("*")) == files
    assert [p.name for p in settings.chroma_dir.parent.iterdir()] == ["chroma"]  # nothing moved aside


def test_a_sound_index_and_an_empty_directory_are_not_called_damaged(index_settings, tmp_path) -> None:
    assert index_damage(index_settings, thorough=True) is None
    assert index_damage(Settings(chroma_dir=tmp_path / "absent"), thorough=True) is None
    (tmp_path / "empty").mkdir()
    assert index_damage(Settings(chroma_dir=tmp_path / "empty"), thorough=True) is None


def _run(*args: str, chroma_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "EVIDENCE_CHROMA_DIR": str(chroma_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, *args], cwd=PROJECT_ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_ask_and_ingest_on_a_damaged_index_say_so_in_one_line(index_settings, tmp_path) -> None:
    settings = damaged_copy(index_settings, tmp_path, _truncated)
    before = _tree(settings.chroma_dir)
    # Both commands at once: each spends most of its time importing.
    ask = _run("-m", "assistant", "ask", "Which studies used the ProQOL?", chroma_dir=settings.chroma_dir)
    ingest = _run("-m", "ingest", "--quiet", chroma_dir=settings.chroma_dir)
    for name, process in (("ask", ask), ("ingest", ingest)):
        stdout, stderr = process.communicate(timeout=300)
        errors = [line for line in stderr.splitlines() if line.startswith("error:")]
        print(f"\n{name} -> {process.returncode}: {errors}")
        assert process.returncode == 1
        assert len(errors) == 1 and "is damaged or was written by an incompatible Chroma version" in errors[0]
        assert FIX in errors[0] and "malformed" in errors[0]
        assert "Traceback" not in stderr and "No index" not in stderr and stdout == ""
    assert _tree(settings.chroma_dir) == before  # looking changed nothing


@pytest.mark.slow
def test_rebuild_moves_a_damaged_index_aside_and_names_the_reviews_it_held(index_settings, tmp_path) -> None:
    from assistant.service import Assistant

    settings = damaged_copy(index_settings, tmp_path, _garbage)
    evidence_model = _tree(settings.chroma_dir / "evidence-model")
    damaged_files = _tree(settings.chroma_dir)
    review = tmp_path / "garden-walks.txt"
    review.write_text(TINY_REVIEW, encoding="utf-8")
    tiny = Settings(chroma_dir=settings.chroma_dir, review="garden")

    summary = build_index(tiny, [review], rebuild=True, progress=False)
    report = summary.describe()
    print(f"\n{report}")

    moved = summary.moved_aside
    assert moved is not None and moved.parent == tmp_path and moved.name.startswith("chroma.damaged-")
    assert _tree(moved) == damaged_files  # moved whole, nothing deleted or rewritten
    assert evidence_model  # the seed review's readable trace, which names it and its title
    lines = report.splitlines()
    assert lines[0].startswith(f"The index at {settings.chroma_dir} was damaged (chroma.sqlite3 is not a readable")
    assert f"moved it to {moved} (nothing deleted)" in lines[0]
    (seed_line,) = [line for line in lines if "review 'seed'" in line]
    assert "not rebuilt" in seed_line and "`python -m ingest --review seed`" in seed_line
    assert '("The Benefits of Self-Compassion' in seed_line

    assert [name for name, _, _ in list_reviews(tiny)] == ["garden"]
    assert len(open_index(tiny).passages) == sum(summary.passages_by_kind.values())
    answer = Assistant.load(tiny).ask("Did garden walks lengthen daytime sleep?")
    assert not answer.abstained and {1, 2} <= {c.ref for c in answer.citations}
    # The fresh index is sound: a second rebuild finds nothing to move.
    again = build_index(tiny, [review], rebuild=True, progress=False)
    assert again.moved_aside is None and not again.repair


def test_rebuild_moves_nothing_when_the_files_given_cannot_make_an_index(index_settings, tmp_path) -> None:
    settings = damaged_copy(index_settings, tmp_path, _garbage)
    note = tmp_path / "note.txt"
    note.write_text("A note without a reference list.\n", encoding="utf-8")
    with pytest.raises(CorpusReadError, match="no numbered reference list"):
        build_index(settings, [note], rebuild=True, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chroma", "note.txt"]
