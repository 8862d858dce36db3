"""The frozen tune/test split, question sets read from folders, the auto-persona batch rows,
ablation overrides, and the report's new sections (set header, breakdowns, ablations). No
index is built: the reports are fed hand-made answers."""
from __future__ import annotations

import json
import math

import pytest

from assistant.records import Answer, Citation
from common.errors import EvidenceError
from common.settings import Settings
from eval.ablations import ABLATIONS, apply_override, describe
from eval.metrics import REPORT_KEYS, GroundingCorpus, MetricResult, Question, overall, score_question
from eval.question_sets import load_question_files, load_set, select_part
from eval.report import markdown_report, report_json, terminal_table
from eval.runner import AblationRun, LLMJudged, RunResult, SuiteResult, auto_persona_rows, settings_for_review
from eval.split import TUNE_PERCENT, part_of


# --- The split -------------------------------------------------------------------------------

def test_the_split_rule_is_pinned():
    # sha256(id) % 100 < 40 is tune: these parts must never change, or tuned questions leak into the test part.
    assert {i: part_of(i) for i in ("d001", "d002", "d003", "d004", "h001", "q1", "")} == {
        "d001": "test", "d002": "tune", "d003": "test", "d004": "tune", "h001": "tune", "q1": "tune", "": "test",
    }
    assert TUNE_PERCENT == 40


def test_about_40_percent_of_ids_tune_and_60_percent_test():
    parts = [part_of(f"synthetic-{i}") for i in range(1000)]
    assert 0.35 < parts.count("tune") / 1000 < 0.45
    assert parts.count("tune") + parts.count("test") == 1000


# --- Question sets in folders ----------------------------------------------------------------

def _row(qid: str, persona: str = "therapist", **extra) -> dict:
    return {"id": qid, "persona": persona, "kind": "fact", "question": f"Question {qid}?", "answerable": True,
            "gold_refs": [3], "must_include": [["fact"]], **extra}


def _write(path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_a_set_is_every_jsonl_of_its_folder_in_name_order(tmp_path):
    _write(tmp_path / "seed" / "topics.jsonl", [_row("t1"), _row("t2")])
    _write(tmp_path / "seed" / "studies.jsonl", [_row("s1")])
    (tmp_path / "seed" / "notes.txt").write_text("not a question file")
    question_set = load_set("seed", tmp_path)
    assert [q.id for q in question_set.questions] == ["s1", "t1", "t2"]
    assert "(2 files)" in question_set.source
    with pytest.raises(EvidenceError, match=r"No question files .*pick another --set \(seed\)"):
        load_set("review2", tmp_path)


def test_an_id_used_in_two_files_is_an_error_naming_both(tmp_path):
    _write(tmp_path / "a.jsonl", [_row("x1")])
    _write(tmp_path / "b.jsonl", [_row("x1")])
    with pytest.raises(EvidenceError, match=r"a.jsonl and .*b.jsonl: duplicate question ids \['x1'\]"):
        load_question_files([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])


def test_a_part_keeps_its_questions_in_order_and_says_how_many_of_how_many(tmp_path):
    ids = ["d001", "d002", "d003", "d004", "h001"]
    _write(tmp_path / "set.jsonl", [_row(i) for i in ids])
    whole = load_question_files([tmp_path / "set.jsonl"])
    test = select_part(whole, "test")
    tune = select_part(whole, "tune")
    assert [q.id for q in test.questions] == ["d001", "d003"] and [r["id"] for r in test.rows] == ["d001", "d003"]
    assert [q.id for q in tune.questions] == ["d002", "d004", "h001"]
    assert "test part: 2 of 5 questions" in test.title
    assert select_part(whole, "all") is whole and "all questions: 5" in whole.title
    with pytest.raises(EvidenceError, match="Unknown part 'dev'"):
        select_part(whole, "dev")
    _write(tmp_path / "tune.jsonl", [_row("d002")])
    only_tune = load_question_files([tmp_path / "tune.jsonl"])
    with pytest.raises(EvidenceError, match="test part .* holds no questions"):
        select_part(only_tune, "test")


def test_the_command_reports_a_sets_test_part_and_a_files_whole_by_default(tmp_path, monkeypatch):
    from eval import question_sets
    from eval.__main__ import _question_set

    _write(tmp_path / "seed" / "a.jsonl", [_row(i) for i in ("d001", "d002", "d003")])
    _write(tmp_path / "review2" / "a.jsonl", [_row(i) for i in ("d004", "h001", "d001")])
    monkeypatch.setattr("eval.__main__.load_set", lambda name: question_sets.load_set(name, tmp_path))
    assert [q.id for q in _question_set(None, None, None, None).questions] == ["d001", "d003"]
    assert [q.id for q in _question_set(None, None, "review2", None).questions] == ["d001"]  # --review picks its set
    assert [q.id for q in _question_set(None, "seed", "review2", "tune").questions] == ["d002"]
    assert len(_question_set([tmp_path / "seed" / "a.jsonl"], None, None, None).questions) == 3
    with pytest.raises(EvidenceError, match="either --questions or --set"):
        _question_set([tmp_path / "seed" / "a.jsonl"], "seed", None, None)


def test_the_batch_rows_drop_the_persona_so_the_assistant_infers_it():
    rows = (_row("p1", persona="educator", history=["earlier"]), {"id": "p2", "question": "Q?", "answerable": False})
    asked = auto_persona_rows(rows)
    assert asked == [{k: v for k, v in rows[0].items() if k != "persona"}, rows[1]]
    assert rows[0]["persona"] == "educator"  # the question set itself is untouched


# --- Ablations and --review -------------------------------------------------------------------

def test_every_ablation_applies_to_the_default_settings_and_changes_only_its_fields():
    settings = Settings()
    for name, override in ABLATIONS:
        changed = apply_override(settings, override)
        for group, fields in override.items():
            assert getattr(changed, group).model_dump() == {**getattr(settings, group).model_dump(), **fields}, name
        untouched = {g for g in ("ingest", "retrieval", "answer")} - set(override)
        assert all(getattr(changed, g) == getattr(settings, g) for g in untouched), name
    assert describe({"retrieval": {"per_study_cap": 100}}) == "retrieval.per_study_cap=100"


def test_an_ablation_naming_a_field_that_does_not_exist_is_a_one_line_error():
    with pytest.raises(EvidenceError, match=r"answer.no_such_field=False: answer.no_such_field: Extra inputs"):
        apply_override(Settings(), {"answer": {"no_such_field": False}})
    with pytest.raises(EvidenceError, match="no group 'ranking'"):
        apply_override(Settings(), {"ranking": {"k": 1}})


def test_review_and_corpus_pick_the_settings_of_another_review(tmp_path):
    settings = Settings()
    assert settings_for_review(settings, None) is settings
    other = settings_for_review(settings, "review2", tmp_path)
    assert (other.review, other.corpus_dir) == ("review2", tmp_path)
    assert other.retrieval == settings.retrieval
    with pytest.raises(EvidenceError, match="pass --corpus DIR"):
        settings_for_review(settings, "review2")  # its quotes cannot be checked against the seed's sources
    with pytest.raises(EvidenceError, match="--review 'Not A Name': String should match pattern"):
        settings_for_review(settings, "Not A Name", tmp_path)


# --- The report's new sections ---------------------------------------------------------------

def _suite(with_ablation: bool) -> SuiteResult:
    corpus = GroundingCorpus.from_texts("Burnout fell in the trial.", {}, normalize=lambda text: text)
    therapist = Question(id="d1", question="Can I avoid burnout?", answerable=True, gold_refs=(22,),
                         must_include=(("burnout",),), persona="therapist", kind="fact")
    researcher = Question(id="d2", question="Does it cure diabetes?", answerable=False, persona="researcher", kind="abstain")
    cited = Answer(id="d1", question=therapist.question, answer="**In short:** Burnout fell [22].", persona="therapist",
                   citations=[Citation(ref=22, label="Study (2018)", quote="Burnout fell in the trial.")], timings_ms={"total": 9.0})
    abstained = Answer(id="d2", question=researcher.question, answer="The review does not cover this.", abstained=True,
                       persona="therapist", timings_ms={"total": 8.0})
    scores = [score_question(therapist, cited, corpus, 9.0), score_question(researcher, abstained, corpus, 8.0)]
    timings = {key: MetricResult(1.0, "timed") for key in ("cold_start_ms", "ingest_seconds", "query_embedding_ms")}
    run = RunResult(scores, overall(scores), timings)
    ablations = ()
    if with_ablation:
        worse = [score_question(therapist, cited.model_copy(update={"answer": "It fell.", "citations": []}), corpus, 9.0), scores[1]]
        ablations = (AblationRun("no per-study cap", "retrieval.per_study_cap=100", worse, overall(worse)),)
    return SuiteResult((therapist, researcher), run, None, LLMJudged("skipped (test)"),
                       "eval/sets/seed (1 file), test part: 2 of 5 questions", ablations)


@pytest.mark.filterwarnings("ignore::eval.metrics.UndefinedMetricWarning")
def test_the_json_report_adds_breakdowns_and_new_figures_beside_the_design_keys():
    report = json.loads(json.dumps(report_json(_suite(with_ablation=True)), allow_nan=False))
    assert set(report) == {"project", "baseline", "per_question"}
    project = report["project"]
    assert set(REPORT_KEYS) <= set(project)
    assert project["persona_accuracy"] == 0.5 and project["key_facts_first2"] == 1.0
    assert project["therapist_fk_grade"] is not None
    assert project["question_set"].endswith("test part: 2 of 5 questions")
    assert project["by_persona"]["therapist"] == {"n": 1, "key_facts": 1.0, "key_facts_first2": 1.0, "citation_recall": 1.0,
                                                  "citation_precision": 1.0, "false_abstention": 0.0, "abstain_accuracy": None}
    assert project["by_kind"]["abstain"]["abstain_accuracy"] == 1.0
    ablation = project["ablations"][0]
    assert ablation["name"] == "no per-study cap" and ablation["override"] == "retrieval.per_study_cap=100"
    assert ablation["figures"]["key_facts"] == 0.0 and ablation["delta"]["key_facts"] == -1.0
    assert ablation["delta"]["abstain_accuracy"] == 0.0 and ablation["figures"]["citation_recall"] == 0.0
    assert report["baseline"]["persona_accuracy"] is None and "by_persona" not in report["baseline"]


@pytest.mark.filterwarnings("ignore::eval.metrics.UndefinedMetricWarning")
def test_the_table_names_the_part_and_shows_breakdowns_and_ablation_deltas():
    table = terminal_table(_suite(with_ablation=True))
    assert table.splitlines()[0] == "Question set: eval/sets/seed (1 file), test part: 2 of 5 questions"
    assert "therapist_fk_grade (lower is better)" in table and "target <= 10" in table
    assert "persona: therapist" in table and "kind: abstain" in table
    key_facts_row = next(line for line in table.splitlines() if line.startswith("key_facts ") and "(-" in line)
    assert "1.000" in key_facts_row and "0.000 (-1.000)" in key_facts_row
    assert "A: no per-study cap (retrieval.per_study_cap=100)" in table
    markdown = markdown_report(_suite(with_ablation=True))
    assert markdown.startswith("# Evaluation report\n\nQuestion set: eval/sets/seed")
    assert "## By persona and by kind" in markdown and "| persona: researcher | 1 |" in markdown
    assert "## Ablations" in markdown and "no per-study cap (`retrieval.per_study_cap=100`)" in markdown
    assert "Ablations" not in terminal_table(_suite(with_ablation=False))
    assert not math.isnan(_suite(with_ablation=False).project.figures["therapist_fk_grade"].value)
