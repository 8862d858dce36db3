"""Each metric on hand-made answers (right, wrong, partly right) with exact values, so a broken
metric cannot pass; and the baseline, built for real, cites only refs found in its chunks."""
from __future__ import annotations

import json
import math

import pytest

from assistant.records import Answer, Citation, RetrievedPassage
from eval.breakdown import breakdown
from eval.metrics import (
    EXTRA_KEYS,
    GATE,
    REPORT_KEYS,
    GroundingCorpus,
    MetricResult,
    Question,
    UndefinedMetricWarning,
    abstain_accuracy,
    answer_latency_ms,
    citation_precision,
    citation_recall,
    false_abstention,
    gate_failures,
    grounding_overall,
    key_facts,
    key_facts_first2,
    latency_percentile,
    mean_of,
    overall,
    persona_accuracy,
    quote_grounding,
    quotes_grounded,
    retrieved_recall_at5,
    score_question,
    therapist_fk_grade,
)
from eval.opening import flesch_kincaid_grade, opening_sentences, without_citation_markers
from ingest.citations import cited_refs, strip_markers
from common.settings import PROJECT_ROOT

BURNOUT = Question(
    id="q1", question="Did the web-based trial reduce burnout?", answerable=True,
    gold_refs=(22, 31, 0), acceptable_refs=(23,), must_include=(("burnout",), ("0.44", ".44")),
)
OUT_OF_SCOPE = Question(id="q2", question="Does self-compassion cure diabetes?", answerable=False)


def cite(ref: int, quote: str = "a quote", source: str = "review") -> Citation:
    return Citation(ref=ref, label=f"ref {ref}", source=source, quote=quote)


def answer(text: str = "", refs: tuple[int, ...] = (), abstained: bool = False, top: tuple[tuple[int, ...], ...] = (),
           citations: tuple[Citation, ...] | None = None, total_ms: float | None = None, persona: str | None = None) -> Answer:
    return Answer(
        id="q", question="?", answer=text, abstained=abstained, persona=persona,
        citations=list(citations if citations is not None else (cite(r) for r in refs)),
        retrieved=[RetrievedPassage(chunk_id=f"c{i}", source="review", section="", refs=list(r), score=0.5)
                   for i, r in enumerate(top)],
        timings_ms={} if total_ms is None else {"total": total_ms},
    )


# --- citation recall and precision -----------------------------------------------------------

def test_citation_recall_counts_gold_refs_cited_without_ref_0():
    assert citation_recall(BURNOUT, answer(refs=(22, 31))).value == 1.0
    assert citation_recall(BURNOUT, answer(refs=(5, 0))).value == 0.0
    partly = citation_recall(BURNOUT, answer(refs=(22, 23)))
    assert partly.value == 0.5
    assert "missing [31]" in partly.reason


def test_citation_recall_is_undefined_where_there_is_nothing_to_recall():
    assert math.isnan(citation_recall(OUT_OF_SCOPE, answer(refs=(22,))).value)
    review_only = Question(id="q3", question="?", answerable=True, gold_refs=(0,))
    assert math.isnan(citation_recall(review_only, answer(refs=(0,))).value)


def test_citation_precision_accepts_gold_acceptable_and_the_review():
    assert citation_precision(BURNOUT, answer(refs=(22, 23, 0))).value == 1.0
    assert citation_precision(BURNOUT, answer(refs=(5, 6))).value == 0.0
    partly = citation_precision(BURNOUT, answer(refs=(22, 0, 5, 6)))
    assert partly.value == 0.5
    assert "outside [5, 6]" in partly.reason
    assert math.isnan(citation_precision(BURNOUT, answer(refs=())).value)


def test_citation_precision_counts_each_cited_ref_once():
    # Two citations of ref 5 are one wrong ref, not two.
    twice = answer(citations=(cite(22), cite(5, "x"), cite(5, "y")))
    assert citation_precision(BURNOUT, twice).value == 0.5


# --- key facts, abstention -------------------------------------------------------------------

def test_key_facts_needs_every_fact_in_any_of_its_spellings_case_insensitively():
    right = key_facts(BURNOUT, answer("BURNOUT fell (d = .44) [22]."))
    wrong = key_facts(BURNOUT, answer("Stress fell [22]."))
    partly = key_facts(BURNOUT, answer("Burnout fell [22]."))
    assert (right.value, wrong.value, partly.value) == (1.0, 0.0, 0.0)
    assert "missing 1 of 2" in partly.reason
    assert math.isnan(key_facts(OUT_OF_SCOPE, answer("anything")).value)
    assert mean_of([right, wrong, partly], "key_facts", "questions").value == pytest.approx(1 / 3)


def test_key_facts_is_undefined_without_must_include():
    bare = Question(id="q4", question="?", answerable=True, gold_refs=(22,))
    assert math.isnan(key_facts(bare, answer("text")).value)


def test_abstain_accuracy_on_unanswerable_questions_only():
    right = abstain_accuracy(OUT_OF_SCOPE, answer("The review does not cover this.", abstained=True))
    wrong = abstain_accuracy(OUT_OF_SCOPE, answer("Yes [22].", refs=(22,)))
    assert (right.value, wrong.value) == (1.0, 0.0)
    assert math.isnan(abstain_accuracy(BURNOUT, answer(abstained=True)).value)
    runs = [right, wrong, abstain_accuracy(OUT_OF_SCOPE, answer(abstained=True))]
    assert mean_of(runs, "abstain_accuracy", "unanswerable questions").value == pytest.approx(2 / 3)


def test_false_abstention_on_answerable_questions_only():
    wrong = false_abstention(BURNOUT, answer(abstained=True))
    right = false_abstention(BURNOUT, answer("Burnout fell.", refs=(22,)))
    assert (right.value, wrong.value) == (0.0, 1.0)
    assert math.isnan(false_abstention(OUT_OF_SCOPE, answer(abstained=True)).value)
    runs = [right, wrong, false_abstention(BURNOUT, answer("x"))]
    assert mean_of(runs, "false_abstention", "answerable questions").value == pytest.approx(1 / 3)


# --- quote grounding -------------------------------------------------------------------------

REVIEW = (
    "Introduction\n\nSelf-compassion has been shown to be consistently associated with benefits for mental health "
    "and well-being across diverse populations.^{2,3} Specific interventions aimed to cultivate self-compassion "
    "skills, such as the Mindful Self-Compassion (MSC) program^{4,5} have even been designed.\n"
    "Eriksson et al (2018)\tRCT\t81 psychologists\tSMBQ\n"
)
DIGEST_22 = "A web-based self-compassion programme was trialled with newly graduated psychologists.\nBurnout fell."


@pytest.fixture(scope="module")
def corpus() -> GroundingCorpus:
    return GroundingCorpus.from_texts(REVIEW, {22: DIGEST_22}, normalize=strip_markers)


def test_a_quote_stands_in_the_review_whatever_its_markers(corpus):
    as_printed = "such as the Mindful Self-Compassion (MSC) program^{4,5} have even been designed."
    as_brackets = "such as the Mindful Self-Compassion (MSC) program [4,5] have even been designed."
    across_a_line = "across diverse populations. Specific interventions"
    table_cells = "Eriksson et al (2018) RCT 81 psychologists"
    for quote in (as_printed, as_brackets, across_a_line, table_cells):
        assert quote_grounding(cite(4, quote), corpus).value == 1.0, quote


def test_a_paraphrase_or_changed_case_is_not_grounded(corpus):
    assert quote_grounding(cite(4, "The MSC programme was designed to build self-compassion."), corpus).value == 0.0
    assert quote_grounding(cite(4, "SUCH AS THE MINDFUL SELF-COMPASSION (MSC) PROGRAM"), corpus).value == 0.0
    assert quote_grounding(cite(4, "  "), corpus).value == 0.0  # an empty quote stands everywhere: it proves nothing


def test_digest_quotes_stand_in_that_refs_digest_and_ref_0_only_in_the_review(corpus):
    assert quote_grounding(cite(22, "newly graduated psychologists. Burnout fell.", "abstract"), corpus).value == 1.0
    assert quote_grounding(cite(31, "Burnout fell.", "abstract"), corpus).value == 0.0  # no digest of 31
    assert quote_grounding(cite(22, "Specific interventions", "abstract"), corpus).value == 0.0  # not in digest 22
    assert quote_grounding(cite(0, "Burnout fell.", "abstract"), corpus).value == 0.0
    assert quote_grounding(cite(0, "Specific interventions aimed", "abstract"), corpus).value == 1.0


def test_quotes_grounded_is_the_share_of_an_answers_citations(corpus):
    good = cite(4, "the Mindful Self-Compassion (MSC) program")
    bad = cite(22, "Burnout rose.", "abstract")
    assert quotes_grounded(answer(citations=(good,)), corpus).value == 1.0
    assert quotes_grounded(answer(citations=(bad,)), corpus).value == 0.0
    partly = quotes_grounded(answer(citations=(good, bad)), corpus)
    assert partly.value == 0.5
    assert "quote not in the digest of ref 22" in partly.reason
    assert math.isnan(quotes_grounded(answer(), corpus).value)


def test_overall_grounding_counts_citations_not_answers(corpus):
    good = cite(4, "the Mindful Self-Compassion (MSC) program")
    bad = cite(22, "Burnout rose.", "abstract")
    scores = [score_question(BURNOUT, answer(citations=(good, good, good)), corpus, 10.0),
              score_question(BURNOUT, answer(citations=(bad,)), corpus, 10.0)]
    assert grounding_overall(scores).value == 0.75  # 3 of 4 citations, not the mean of 1 and 0


# --- retrieval and latency -------------------------------------------------------------------

def test_retrieved_recall_at5_reads_only_the_top_five_passages():
    both = answer(top=((22,), (31, 7)))
    neither = answer(top=((1,), (2,), (3,)))
    one_too_late = answer(top=((22,), (1,), (2,), (3,), (4,), (31,)))
    assert retrieved_recall_at5(BURNOUT, both).value == 1.0
    assert retrieved_recall_at5(BURNOUT, neither).value == 0.0
    assert retrieved_recall_at5(BURNOUT, one_too_late).value == 0.5
    assert math.isnan(retrieved_recall_at5(OUT_OF_SCOPE, both).value)


def test_latency_percentiles_drop_the_warm_up_answer():
    latencies = [5000.0, 10.0, 20.0, 30.0, 40.0]
    assert latency_percentile(latencies, 50).value == 25.0
    assert latency_percentile(latencies, 95).value == pytest.approx(38.5)
    assert latency_percentile([40.0, 10.0, 10.0], 95).value == 10.0
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(latency_percentile([5000.0], 50).value)


def test_latency_prefers_the_assistants_own_total_to_the_wall_clock():
    assert answer_latency_ms(answer(total_ms=12.5), wall_clock_ms=99.0) == 12.5
    assert answer_latency_ms(answer(), wall_clock_ms=99.0) == 99.0


# --- overall figures and the gate --------------------------------------------------------------

def test_an_overall_figure_with_nothing_to_average_is_nan_with_a_warning():
    with pytest.warns(UndefinedMetricWarning, match="abstain_accuracy"):
        result = mean_of([abstain_accuracy(BURNOUT, answer())], "abstain_accuracy", "unanswerable questions")
    assert math.isnan(result.value) and "no unanswerable questions" in result.reason


def test_overall_over_a_small_run(corpus):
    quote = "the Mindful Self-Compassion (MSC) program"
    runs = [
        (BURNOUT, answer("Burnout fell, d = 0.44.", citations=(cite(22, quote), cite(31, quote)), top=((22, 31),), total_ms=900.0)),
        (BURNOUT, answer("Burnout fell.", citations=(cite(22, quote), cite(5, "made up")), top=((22,),), total_ms=10.0)),
        (OUT_OF_SCOPE, answer("Not covered.", abstained=True, total_ms=20.0)),
    ]
    scores = [score_question(q, a, corpus, a.timings_ms["total"]) for q, a in runs]
    with pytest.warns(UndefinedMetricWarning):  # no question names a persona
        results = overall(scores)
    assert set(results) == set(REPORT_KEYS) | set(EXTRA_KEYS)
    figures = {key: results[key].value for key in REPORT_KEYS}
    assert figures == {
        "citation_recall": 0.75,  # (2/2 + 1/2) / 2
        "citation_precision": 0.75,  # (2/2 + 1/2) / 2 answers with citations
        "key_facts": 0.5,
        "abstain_accuracy": 1.0,
        "false_abstention": 0.0,
        "quotes_grounded": 0.75,  # 3 of 4 citations
        "retrieved_recall_at5": 0.75,
        "latency_p50_ms": 15.0,  # 900 ms is the warm-up
        "latency_p95_ms": pytest.approx(19.5),
    }
    assert results["key_facts_first2"].value == 0.5
    assert math.isnan(results["persona_accuracy"].value) and math.isnan(results["therapist_fk_grade"].value)
    assert [bool(s.failures) for s in scores] == [False, True, False]
    assert any(f.startswith("citation_precision") for f in scores[1].failures)


def test_the_gate_fails_a_figure_below_its_threshold_or_undefined():
    passing = {key: MetricResult(threshold, "exactly at the bar") for key, threshold in GATE.items()}
    assert gate_failures(passing) == []
    low = {**passing, "citation_recall": MetricResult(0.84, "below")}
    assert [line.split(" ")[0] for line in gate_failures(low)] == ["citation_recall"]
    nan = {**passing, "abstain_accuracy": MetricResult(math.nan, "undefined: no unanswerable questions")}
    assert gate_failures(nan)[0].startswith("abstain_accuracy is undefined")
    assert GATE == {"citation_recall": 0.85, "citation_precision": 0.85, "key_facts": 0.85,
                    "abstain_accuracy": 1.0, "quotes_grounded": 1.0}


def test_question_rows_parse_with_optional_keys_absent():
    row = {"id": "d9", "question": "Q?", "answerable": False}
    assert Question.from_row(row) == Question(id="d9", question="Q?", answerable=False)
    full = json.loads('{"id": "d1", "persona": "therapist", "kind": "fact", "history": ["earlier"], "question": "Q?", '
                      '"answerable": true, "gold_refs": [22, 0], "acceptable_refs": [23], '
                      '"must_include": [["burnout"], ["0.44", ".44"]], "note": "n"}')
    parsed = Question.from_row(full)
    assert parsed.gold_studies == {22} and parsed.allowed_refs == {0, 22, 23}
    assert parsed.must_include == (("burnout",), ("0.44", ".44")) and parsed.history == ("earlier",)


# --- how an answer opens, readability, persona, breakdowns ------------------------------------

STYLED = (
    "_The question was cut to 2000 characters._\n\n"
    "## Answer\n"
    "**In short:** Burnout fell in the web-based trial [22]. Eriksson et al. (2018) ran it for 12 weeks [22].\n\n"
    "**What else the research says:**\n"
    "- The effect was d = 0.44 [22].\n"
    "1. Gains held at follow-up [31]."
)


def test_the_opening_skips_the_note_line_headings_labels_and_list_markers():
    assert opening_sentences(STYLED, 2) == [
        "Burnout fell in the web-based trial [22].",
        "Eriksson et al. (2018) ran it for 12 weeks [22].",  # "et al." does not end a sentence
    ]
    assert opening_sentences(STYLED, 9)[2:] == ["The effect was d = 0.44 [22].", "Gains held at follow-up [31]."]
    assert without_citation_markers("Stress fell [27–32] and rose [4, 5].") == "Stress fell and rose."
    # A marker after the full stop still belongs to its sentence.
    assert opening_sentences("Help-seeking rose. [28] — Kotera et al. (2021). Stigma fell.", 2) == [
        "Help-seeking rose. [28] — Kotera et al. (2021).", "Stigma fell."]


def test_key_facts_in_the_first_two_sentences_only():
    late = answer(STYLED)  # "0.44" stands in the third sentence
    assert key_facts(BURNOUT, late).value == 1.0
    first2 = key_facts_first2(BURNOUT, late)
    assert first2.value == 0.0 and "in the first two sentences" in first2.reason and "'0.44'" in first2.reason
    early = answer("_Burnout: see below._\n\n**In short:** Burnout fell, d = .44 [22].\n\nMore detail follows.")
    assert key_facts_first2(BURNOUT, early).value == 1.0
    only_in_note = answer("_Burnout and 0.44 were asked about._\n\nStress fell. Nothing else. Burnout fell, d = 0.44.")
    assert key_facts_first2(BURNOUT, only_in_note).value == 0.0
    assert math.isnan(key_facts_first2(OUT_OF_SCOPE, early).value)


def test_flesch_kincaid_grade_of_the_first_three_sentences_for_therapists():
    # 6 one-syllable words in 2 sentences: 0.39 * 3 + 11.8 * 1 - 15.59
    assert flesch_kincaid_grade(["The cat sat.", "The dog ran."]) == pytest.approx(-2.62)
    therapist = Question(id="t1", question="Can I be kinder to myself?", answerable=True, persona="therapist")
    plain = therapist_fk_grade(therapist, answer("**In short:** Be kind to yourself [22]. It helps. Try it. Then read the secondary psychometric considerations."))
    same_without_markers = therapist_fk_grade(therapist, answer("Be kind to yourself. It helps. Try it."))
    assert plain.value == pytest.approx(same_without_markers.value)  # the fourth sentence and the markers do not count
    dense = therapist_fk_grade(therapist, answer("Self-compassion was inversely associated with secondary traumatic stress "
                                                 "among psychotherapists in cross-sectional investigations [22]."))
    assert dense.value > 10 > plain.value
    assert math.isnan(therapist_fk_grade(BURNOUT, answer("Be kind.")).value)  # not a therapist question
    assert math.isnan(therapist_fk_grade(therapist, answer("The review does not cover this.", abstained=True)).value)


def test_persona_accuracy_compares_the_inferred_persona_with_the_questions():
    educator = Question(id="e1", question="Explain it for my class.", answerable=True, persona="educator")
    assert persona_accuracy(educator, answer("x", persona="educator")).value == 1.0
    wrong = persona_accuracy(educator, answer("x", persona="researcher"))
    assert wrong.value == 0.0 and wrong.reason == "inferred researcher, expected educator"
    assert math.isnan(persona_accuracy(BURNOUT, answer("x", persona="educator")).value)  # the question names none
    assert math.isnan(persona_accuracy(educator, answer("x")).value)  # e.g. the baseline reports none


def test_breakdowns_by_persona_and_by_kind(corpus):
    therapist = Question(id="b1", question="?", answerable=True, persona="therapist", kind="fact", gold_refs=(22,),
                         must_include=(("burnout",),))
    researcher = Question(id="b2", question="?", answerable=True, persona="researcher", kind="fact", gold_refs=(22, 31),
                          must_include=(("burnout",),))
    outside = Question(id="b3", question="?", answerable=False, persona="researcher", kind="abstain")
    unlabelled = Question(id="b4", question="?", answerable=True, gold_refs=(22,))
    runs = [
        (therapist, answer("Burnout fell.", refs=(22,))),
        (researcher, answer("Stress fell.", refs=(22, 5))),
        (outside, answer("Not covered.", abstained=True)),
        (unlabelled, answer("Not covered.", abstained=True)),
    ]
    scores = [score_question(q, a, corpus, 1.0) for q, a in runs]
    by_persona = breakdown(scores, "persona")
    assert list(by_persona) == ["researcher", "therapist", "(none)"]
    assert [g.n for g in by_persona.values()] == [2, 1, 1]
    researchers = {key: result.value for key, result in by_persona["researcher"].figures.items()}
    assert researchers["key_facts"] == 0.0 and researchers["citation_recall"] == 0.5
    assert researchers["citation_precision"] == 0.5 and researchers["abstain_accuracy"] == 1.0
    assert researchers["false_abstention"] == 0.0
    assert by_persona["therapist"].figures["key_facts"].value == 1.0
    assert math.isnan(by_persona["therapist"].figures["abstain_accuracy"].value)
    assert by_persona["(none)"].figures["false_abstention"].value == 1.0
    by_kind = breakdown(scores, "kind")
    assert list(by_kind) == ["abstain", "fact", "(none)"]
    assert by_kind["fact"].n == 2 and by_kind["fact"].figures["citation_recall"].value == 0.75


# --- the baseline ------------------------------------------------------------------------------

def test_baseline_answer_cites_refs_of_its_chunks_only_in_first_seen_order():
    from langchain_core.documents import Document

    from eval.baseline import answer_from_chunks

    review_chunk = Document(page_content="Programs^{2} were designed.^{4,5} Nothing else.",
                            metadata={"source": "review", "ref": 0, "chunk_id": "baseline-0"})
    digest_chunk = Document(page_content="Burnout fell.", metadata={"source": "abstract", "ref": 22, "chunk_id": "baseline-1"})
    plain_chunk = Document(page_content="No markers here.", metadata={"source": "review", "ref": 0, "chunk_id": "baseline-2"})
    result = answer_from_chunks(BURNOUT, [(review_chunk, 0.9), (digest_chunk, 0.8), (plain_chunk, 0.7)], total_ms=3.0)
    assert [c.ref for c in result.citations] == [2, 4, 5, 22]
    assert [c.source for c in result.citations] == ["review", "review", "review", "abstract"]
    assert result.citations[3].quote == "Burnout fell."
    assert result.answer == "Programs^{2} were designed.^{4,5} Nothing else.\n\nBurnout fell.\n\nNo markers here."
    assert not result.abstained and result.timings_ms == {"total": 3.0}
    assert [p.refs for p in result.retrieved] == [[2, 4, 5], [22], []]


@pytest.mark.slow
def test_baseline_built_on_review_paragraphs_cites_only_refs_found_in_its_chunks(tmp_path):
    from langchain_core.documents import Document

    from eval.baseline import CHUNK_SIZE, TOP_K, chunk_refs, open_baseline
    from ingest.index import get_embeddings
    from common.settings import Settings

    lines = (PROJECT_ROOT / "corpus" / "review.txt").read_text(encoding="utf-8").splitlines()
    start = lines.index("Introduction")
    paragraphs = "\n\n".join(line for line in lines[start:start + 12] if line.strip())
    digests = {22: DIGEST_22}
    in_corpus = set(cited_refs(paragraphs)) | {22}
    embeddings = get_embeddings(Settings())
    with open_baseline(paragraphs, digests, embeddings, directory=tmp_path / "baseline") as baseline:
        assert baseline.chunk_count > 3  # the paragraphs are cut into 1000-character chunks
        result = baseline.answer(Question(id="b1", question="Which programme cultivates self-compassion skills (MSC)?",
                                          answerable=True, gold_refs=(4,)))
        collection = baseline.store._collection
        stored = collection.get(include=["documents", "metadatas"])
    assert 0 < len(result.retrieved) <= TOP_K
    chunks = {m["chunk_id"]: (d, m) for d, m in zip(stored["documents"], stored["metadatas"])}
    retrieved = [chunks[p.chunk_id] for p in result.retrieved]
    assert all(len(text) <= CHUNK_SIZE for text, _ in retrieved)
    found = {ref for text, metadata in retrieved for ref in chunk_refs(Document(page_content=text, metadata=metadata))}
    cited = {c.ref for c in result.citations}
    assert cited, "the MSC paragraph carries markers 4 and 5; the baseline should cite something"
    assert cited == found and cited <= in_corpus
    for citation in result.citations:
        assert citation.quote in [text for text, _ in retrieved]
        if citation.source == "review":
            assert citation.ref in cited_refs(citation.quote)
    assert result.answer == "\n\n".join(text for text, _ in retrieved)
