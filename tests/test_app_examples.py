"""The app's example questions and heading come from the review in the index, not from code."""
from __future__ import annotations

import json

from app import example_questions, review_front
from common.settings import Settings


def test_examples_are_made_from_the_reviews_own_keywords() -> None:
    examples = example_questions(("physical exercise", "older adults", "depressive symptoms"))
    assert set(examples) == {"auto", "therapist", "educator", "researcher"}
    questions = [q for qs in examples.values() for q in qs]
    assert all(len(qs) == 3 for qs in examples.values())
    assert any("physical exercise" in q for q in questions) and any("depressive symptoms" in q for q in questions)
    assert not any("self-compassion" in q.lower() or "therapist" in q.lower() for q in questions)


def test_without_keywords_the_examples_still_read_as_questions() -> None:
    for questions in example_questions(()).values():
        assert all(q.endswith("?") and "None" not in q for q in questions)


def test_the_title_and_keywords_are_read_from_the_evidence_model_and_absent_before_ingest(tmp_path) -> None:
    settings = Settings(chroma_dir=tmp_path, review="review2")
    assert review_front(settings) == ("", ())
    folder = tmp_path / "evidence-model" / "review2"
    folder.mkdir(parents=True)
    (folder / "review.json").write_text(json.dumps({"title": "A Review", "keywords": ["a", "b"]}), encoding="utf-8")
    assert review_front(settings) == ("A Review", ("a", "b"))
