"""Ingestion on the real review: table rows become study records, the abbreviation paragraphs a
glossary, the prose sentence-aware passages with their refs; the real index is built, reused
when nothing changed, and left answering when an ingest is interrupted."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from ingest.chunking import parse_glossary, parse_study_records
from ingest.index import (
    IngestSummary,
    build_index,
    chroma_client,
    index_exists,
    live_collection_name,
    open_index,
    read_corpus,
)
from common.errors import CorpusReadError
from common.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
CBI_SENTENCE = (
    "McCade et al²⁹ and Richardson et al³¹ have used the 19-item Copenhagen Burnout Inventory (CBI)³³ scale"
)


def live_count(settings: Settings) -> int:
    """How many passages the live collection holds, as Chroma itself counts them."""
    return chroma_client(settings).get_collection(live_collection_name(settings)).count()


def cited(answer) -> set[int]:
    return {citation.ref for citation in answer.citations}


# --- Study records from Tables 1 to 4 -----------------------------------------------------

@pytest.fixture(scope="module")
def records(review_text):
    return parse_study_records(review_text)


def by_ref(records, table: str) -> dict:
    return {r.ref: r for r in records if r.table == table}


def test_every_table_row_becomes_one_study_record(records) -> None:
    per_table = {name: [r.ref for r in records if r.table == name] for name in ("Table 1", "Table 2", "Table 3", "Table 4")}
    assert {name: len(refs) for name, refs in per_table.items()} == {"Table 1": 4, "Table 2": 14, "Table 3": 3, "Table 4": 6}
    assert len(records) == 27
    assert sorted(per_table["Table 1"]) == [3, 16, 22, 23]
    assert sorted(per_table["Table 3"]) == [15, 45, 46]
    assert sorted(per_table["Table 4"]) == [61, 62, 63, 65, 67, 68]
    assert len({r.ref for r in records}) == 27  # no study is listed twice


def test_table_2_records_carry_the_reviews_sample_sizes(records) -> None:
    table2 = by_ref(records, "Table 2")
    assert table2[30].n == "607" and table2[30].label.startswith("Ondrejková & Halamová")
    assert table2[29].n == "248" and table2[29].label.startswith("McCade et al")
    assert table2[41].n == "192" and table2[41].label.startswith("Latorre et al")


def test_table_1_records_carry_instruments_and_design(records) -> None:
    table1 = by_ref(records, "Table 1")
    eriksson = table1[22]
    assert eriksson.label.startswith("Eriksson et al")
    assert eriksson.instruments == ("SCS", "FFMQ", "PSS", "SMBQ")
    assert eriksson.design == "RCT"
    assert table1[23].label.startswith("Jiménez-Gómez")
    assert table1[23].design == "RCT"
    # "Yes/No RCT" is a controlled trial that was not randomized; "No/ No RCT" has no control group.
    assert table1[3].design == "non-randomized trial"
    assert table1[16].design == "pre-post"


def test_which_table_2_studies_used_the_proqol_and_the_cbi(records) -> None:
    table2 = by_ref(records, "Table 2")
    assert sorted(ref for ref, r in table2.items() if "PROQOL" in r.instruments) == [27, 30, 32]
    assert sorted(ref for ref, r in table2.items() if "CBI" in r.instruments) == [29, 31]


def test_instrument_names_are_clean_abbreviations(records) -> None:
    messy = {(r.ref, name) for r in records for name in r.instruments if not re.fullmatch(r"[A-Z][A-Za-z0-9-]*", name)}
    assert messy == set()


# --- Glossary ------------------------------------------------------------------------------

def test_glossary_expands_the_tables_abbreviations(review_text) -> None:
    glossary = parse_glossary(review_text)
    assert glossary["SCS-SF"] == "Self-Compassion Scale - Short Form"
    assert glossary["CBI"] == "Copenhagen Burnout Inventory"
    assert glossary["PROQOL"].startswith("Professional Quality of Life Scale")
    assert glossary["FFMQ"] in ("Five Facets of Mindfulness Questionnaire", "Five Facets Mindfulness Questionnaire")
    assert glossary["MSC"].startswith("Mindful Self-Compassion")
    assert glossary["MBSR"].startswith("Mindfulness-Based Stress Reduction")


def test_glossary_expansions_carry_no_bibliographic_citation(review_text) -> None:
    with_year = {k: v for k, v in parse_glossary(review_text).items() if re.search(r"\b(19|20)\d\d\b", v)}
    assert with_year == {}


# --- Passages ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus():
    return read_corpus(Settings())


def test_no_passage_cites_a_ref_outside_the_reference_list(corpus) -> None:
    outside = [(p.passage_id, p.refs) for p in corpus.passages if any(not 0 <= r <= 68 for r in p.refs)]
    outside += [(p.passage_id, s.refs) for p in corpus.passages for s in p.sentences
                if any(not 0 <= r <= 68 for r in s.refs)]
    assert outside == []
    assert {r for p in corpus.passages for r in p.refs} >= set(range(1, 69))  # every reference is reachable


def test_prose_passages_carry_their_section(corpus) -> None:
    cross_sectional = [p for p in corpus.passages if p.kind == "prose" and p.section == "Cross-Sectional Research"]
    cited_there = {r for p in cross_sectional for s in p.sentences for r in s.refs}
    assert set(range(27, 33)) <= cited_there
    opening = [p for p in cross_sectional if p.text.startswith("In this regard, numerous studies")]
    assert opening and set(opening[0].sentences[0].refs) == set(range(27, 33))


def test_a_sentence_keeps_every_ref_it_cites(corpus) -> None:
    (sentence,) = [s for p in corpus.passages for s in p.sentences if s.text.startswith(CBI_SENTENCE)]
    assert {29, 31, 33} <= set(sentence.refs)


def test_affiliation_marks_of_the_author_line_are_not_citations(corpus) -> None:
    abstract = [p for p in corpus.passages if p.section == "Abstract"]
    assert abstract  # the abstract is indexed
    assert all(1 not in p.refs and 2 not in p.refs for p in abstract)
    assert not [p.text for p in corpus.passages if "^{1," in p.text or "Universidad Pontificia" in p.text]


def test_digest_passages_are_about_one_cited_work(corpus) -> None:
    digests = [p for p in corpus.passages if p.kind == "digest"]
    assert digests
    assert {p.source for p in digests} == {"abstract"}
    assert all(len(p.refs) == 1 and p.study_ref == p.refs[0] for p in digests)
    found = {d.ref for d in corpus.digests if d.found}
    assert {p.refs[0] for p in digests} == found  # every found digest is indexed, and only those


def test_passage_ids_are_unique_content_hashes(corpus) -> None:
    ids = [p.passage_id for p in corpus.passages]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[0-9a-f]{20}", i) for i in ids)
    again = read_corpus(Settings())
    first = {(p.source, p.section, p.text): p.passage_id for p in corpus.passages}
    second = {(p.source, p.section, p.text): p.passage_id for p in again.passages}
    assert first == second
    # A different cut (longer passages) changes the texts, and only passages whose text is
    # unchanged keep their id.
    longer = read_corpus(Settings(ingest={"max_passage_chars": 900}))
    for passage in longer.passages:
        key = (passage.source, passage.section, passage.text)
        if key in first:
            assert first[key] == passage.passage_id
        else:
            assert passage.passage_id not in set(ids)


# --- The index -----------------------------------------------------------------------------

def test_the_session_index_exists_and_an_empty_directory_has_none(index_settings, tmp_path) -> None:
    assert index_exists(index_settings)
    assert not index_exists(Settings(chroma_dir=tmp_path / "nothing-here"))


def test_a_second_build_reuses_the_index_quickly(index_settings) -> None:
    before = live_count(index_settings)
    started = time.perf_counter()
    summary = build_index(index_settings, progress=False)
    seconds = time.perf_counter() - started
    print(f"\nunchanged re-ingest: {seconds:.2f} s ({summary.describe()})")
    assert summary.unchanged and summary.embedded == 0
    assert live_count(index_settings) == before == sum(summary.passages_by_kind.values())
    assert seconds < 5


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory) -> tuple[Settings, IngestSummary]:
    """A full build of the real corpus in its own directory, with the summary it returned."""
    settings = Settings(chroma_dir=tmp_path_factory.mktemp("fresh") / "chroma")
    return settings, build_index(settings, rebuild=True, progress=False)


@pytest.mark.slow
def test_a_fresh_build_reports_every_kind_and_all_68_refs(fresh_build) -> None:
    settings, summary = fresh_build
    print(f"\nfresh build:\n{summary.describe()}")
    assert set(summary.passages_by_kind) == {"prose", "table_row", "digest", "reference"}
    assert summary.passages_by_kind["table_row"] == 27
    assert summary.passages_by_kind["reference"] == 68
    assert summary.refs_covered == 68
    assert not summary.unchanged and summary.embedded == sum(summary.passages_by_kind.values())
    assert "Refs covered: 68 of 68" in summary.describe()
    assert live_count(settings) == summary.embedded


@pytest.mark.slow
def test_an_interrupted_rebuild_leaves_the_previous_index_answering(fresh_build) -> None:
    from assistant.service import Assistant

    settings, _ = fresh_build
    before = open_index(settings)
    old_name, old_count = before.collection_name, len(before.passages)
    batches: list[tuple[int, int]] = []

    def fail_after_first_batch(done: int, total: int) -> None:
        batches.append((done, total))
        raise RuntimeError("ingest interrupted")

    with pytest.raises(RuntimeError, match="ingest interrupted"):
        build_index(settings, rebuild=True, progress=False, on_batch=fail_after_first_batch)
    assert len(batches) == 1 and batches[0][0] < batches[0][1]  # it really stopped mid-ingest

    assert live_collection_name(settings) == old_name
    after = open_index(settings)
    assert after.collection_name == old_name and len(after.passages) == old_count
    assert live_count(settings) == old_count
    answer = Assistant.load(settings).ask("Which studies used the ProQOL?")
    assert not answer.abstained
    assert {27, 30, 32} <= cited(answer)
    # The corpus has not changed, so a plain ingest afterwards still finds the index current.
    assert build_index(settings, progress=False).unchanged


# --- Loaders end to end --------------------------------------------------------------------

@pytest.mark.slow
def _extra_files(tmp_path: Path, review_text: str) -> tuple[Path, Path, Path]:
    lines = review_text.splitlines()
    paragraphs = [line for line in lines if line.startswith(("The cross-sectional studies reviewed", "In this regard, numerous studies"))]
    assert len(paragraphs) == 2
    good = tmp_path / "cross-sectional.txt"
    good.write_text("Cross-Sectional Research\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog\n")  # a PDF cut off after its first bytes
    wanted = {27, 29, 30}
    digest_lines = [line for line in (CORPUS / "digests.jsonl").read_text(encoding="utf-8").splitlines()
                    if line.strip() and json.loads(line)["ref"] in wanted]
    digests = tmp_path / "digests.jsonl"
    digests.write_text("\n".join(digest_lines) + "\n", encoding="utf-8")
    return good, corrupt, digests


def test_a_note_without_a_review_to_join_is_refused_with_a_reason(tmp_path: Path, review_text: str) -> None:
    good, _, _ = _extra_files(tmp_path, review_text)
    settings = Settings(chroma_dir=tmp_path / "chroma")
    with pytest.raises(CorpusReadError, match=r"not a review.*python -m ingest --review seed REVIEW.txt"):
        build_index(settings, [good], progress=False)
    assert not index_exists(settings)


def test_a_note_joins_its_review_as_extra_material_and_a_bad_file_is_named(fresh_build, tmp_path: Path, review_text: str) -> None:
    settings, _ = fresh_build
    before = live_count(settings)
    good, corrupt, digests = _extra_files(tmp_path, review_text)

    summary = build_index(settings, [good, corrupt, digests], progress=False)
    print(f"\n{summary.describe()}")

    assert any("corrupt.pdf" in p for p in summary.problems)
    assert any("none removed" in p for p in summary.problems)
    after = live_count(settings)
    assert after > before  # nothing of the review was replaced: the note was added to it
    index = open_index(settings)
    assert len(index.references) == 68 and len(index.passages) == after
    sentences = [s for p in index.passages if p.origin == "cross-sectional.txt" for s in p.sentences]
    (cbi,) = [s for s in sentences if s.text.startswith(CBI_SENTENCE)]
    assert {29, 31, 33} <= set(cbi.refs)
    # Refreshing the review from corpus/ keeps the extra material.
    build_index(settings, progress=False)
    assert live_count(settings) == after
