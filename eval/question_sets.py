"""Question sets as files: one JSONL file, or every *.jsonl of a review's folder under
eval/sets/, and the frozen part (tune or test) of a set that the suite reports."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import EvidenceError
from common.settings import PROJECT_ROOT
from eval.metrics import Question
from eval.split import PARTS, TUNE_PERCENT, part_of

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"  # the dev set of the gate
SETS_DIR = PROJECT_ROOT / "eval" / "sets"
DEFAULT_SET = "seed"


@dataclass(frozen=True)
class QuestionSet:
    questions: tuple[Question, ...]
    rows: tuple[dict[str, Any], ...]  # the lines as read, handed to the batch path
    source: str = ""  # where the questions come from, for the report's header
    part: str = "all"
    whole: int = 0  # questions in the set before a part was taken (0: not taken)

    @property
    def title(self) -> str:
        """"eval/sets/seed (3 files), test part: 84 of 140 questions" for the report's header."""
        n = len(self.questions)
        if self.part == "all":
            return f"{self.source}, all questions: {n}"
        return f"{self.source}, {self.part} part: {n} of {self.whole} questions (sha256(id) % 100 < {TUNE_PERCENT} is tune)"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _read_file(path: Path) -> list[tuple[Question, dict[str, Any]]]:
    if not path.is_file():
        raise EvidenceError(f"No question set at {path}: pass --questions FILE (DESIGN.md question format).")
    read = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            read.append((Question.from_row(row), row))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise EvidenceError(f"{path}:{number}: not a question line ({type(error).__name__}: {error}).") from error
    if not read:
        raise EvidenceError(f"{path} holds no questions.")
    return read


def load_question_files(paths: Sequence[Path], source: str | None = None) -> QuestionSet:
    """The questions of every file, in order; a malformed line is an error naming its file and
    line, and an id used twice (in one file or across files) is an error naming where."""
    questions: list[Question] = []
    rows: list[dict[str, Any]] = []
    first_seen: dict[str, Path] = {}
    for path in paths:
        for question, row in _read_file(path):
            if question.id in first_seen:
                where = path if first_seen[question.id] == path else f"{first_seen[question.id]} and {path}"
                raise EvidenceError(f"{where}: duplicate question ids ['{question.id}']: give each line its own id.")
            first_seen[question.id] = path
            questions.append(question)
            rows.append(row)
    return QuestionSet(tuple(questions), tuple(rows), source or ", ".join(_shown(p) for p in paths))


def load_questions(path: Path) -> QuestionSet:
    """Reads one question-format JSONL file."""
    return load_question_files([path])


def set_files(name: str, sets_dir: Path = SETS_DIR) -> list[Path]:
    """Every *.jsonl of eval/sets/NAME/, in name order."""
    folder = sets_dir / name
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        known = sorted(p.name for p in sets_dir.iterdir() if p.is_dir()) if sets_dir.is_dir() else []
        raise EvidenceError(f"No question files (*.jsonl) in {folder}: add some, pick another --set ({', '.join(known) or 'none yet'}) "
                            f"or pass --questions FILE.")
    return files


def load_set(name: str, sets_dir: Path = SETS_DIR) -> QuestionSet:
    files = set_files(name, sets_dir)
    return load_question_files(files, f"{_shown(sets_dir / name)} ({len(files)} file{'s' if len(files) != 1 else ''})")


def select_part(question_set: QuestionSet, part: str) -> QuestionSet:
    """The questions of the frozen `part` ("tune", "test" or "all"), in their order."""
    if part not in PARTS:
        raise EvidenceError(f"Unknown part '{part}': choose one of {', '.join(PARTS)}.")
    if part == "all":
        return question_set
    kept = [(q, row) for q, row in zip(question_set.questions, question_set.rows) if part_of(q.id) == part]
    if not kept:
        raise EvidenceError(f"The {part} part of {question_set.source} holds no questions: use --part all.")
    questions, rows = zip(*kept)
    return QuestionSet(tuple(questions), tuple(rows), question_set.source, part, len(question_set.questions))
