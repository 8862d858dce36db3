"""Exports and the evidence table on the real review: what a reference manager imports back
(RIS, BibTeX, CSV) and what the table's filters keep."""
from __future__ import annotations

import csv
import dataclasses
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant import exports
from assistant.evidence import ANY, design_choices, evidence_rows, filter_rows, instrument_choices, outcome_choices
from assistant.records import Answer, Citation
from ingest.records import Reference
from common.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"


RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  - ?(.*)$")


def parse_ris(text: str) -> list[dict[str, list[str]]]:
    """Records as tag -> values; fails on any line that is not a RIS tag line or blank."""
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in text.split("\r\n"):
        if not line.strip():
            continue
        match = RIS_LINE.match(line)
        assert match, f"not a RIS line: {line!r}"
        tag, value = match.groups()
        if tag == "TY":
            assert current is None, "TY before the previous record's ER"
            current = {}
        assert current is not None, f"{tag} outside a record"
        if tag == "ER":
            records.append(current)
            current = None
            continue
        current.setdefault(tag, []).append(value)
    assert current is None, "last record has no ER"
    return records


def _braced(text: str, start: int) -> tuple[str, int]:
    """The content of the brace group opening at text[start], honouring \\{ and \\}."""
    assert text[start] == "{"
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:index], index + 1
        index += 1
    raise AssertionError("unbalanced braces")


def parse_bibtex(text: str) -> list[dict[str, str]]:
    """Entries as {'ENTRYTYPE', 'ID', field: value}; fails on unbalanced braces."""
    entries: list[dict[str, str]] = []
    for match in re.finditer(r"@(\w+)\{", text):
        body, _ = _braced(text, match.end() - 1)
        key, _, rest = body.partition(",")
        entry = {"ENTRYTYPE": match.group(1).lower(), "ID": key.strip()}
        position = 0
        for field in re.finditer(r"\s*(\w+)\s*=\s*", rest):
            if field.start() < position:
                continue
            value, position = _braced(rest, field.end())
            entry[field.group(1).lower()] = value
        entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def references(review_text):
    from ingest.references import parse_references

    return parse_references(review_text)


@pytest.fixture(scope="module")
def by_ref(references, review_text):
    """The reference list with the review itself as ref 0, read from its own files, as the app passes it."""
    from ingest.front_matter import parse_review_info, read_sidecar

    review = parse_review_info(review_text, read_sidecar(CORPUS)).as_reference()
    return {0: review, **{r.ref: r for r in references}}


@pytest.fixture(scope="module")
def rows(review_text, references):
    from ingest.chunking import parse_study_records
    from ingest.loaders import read_digests

    return evidence_rows(references, parse_study_records(review_text), read_digests(CORPUS / "digests.jsonl"))


@pytest.fixture()
def answer(by_ref) -> Answer:
    eriksson, finlay = by_ref[22], by_ref[16]
    return Answer(
        id="t1",
        question="Does self-compassion training reduce burnout in psychologists?",
        answer="A brief web-based programme reduced stress and burnout [22]; an online course helped trainees [16]. "
        "The review itself calls for more trials.",
        citations=[
            Citation(ref=22, label=eriksson.label, doi=eriksson.doi, url=eriksson.url, study_type="RCT",
                     source="review", quote='Reduced levels of self-coldness (SCS subscale), perceived stress and burnout symptoms.'),
            Citation(ref=16, label=finlay.label, doi=finlay.doi, url=finlay.url, source="abstract",
                     quote='Trainees said "it helped", and gains held, at 3 months & after.'),
            Citation(ref=0, label="Crego et al. (2022), the review itself", doi="10.2147/PRBM.S359382",
                     url="https://doi.org/10.2147/PRBM.S359382", source="review", quote="More controlled trials are needed."),
        ],
    )


def test_ris_of_the_whole_reference_list_imports_68_records_with_authors_and_dois(references, by_ref):
    records = parse_ris(exports.references_ris(references))
    assert len(records) == 68
    eriksson = records[21]
    assert eriksson["TY"] == ["JOUR"]
    assert eriksson["AU"] == ["Eriksson, T.", "Germundsjö, L.", "Åström, E.", "Rönnlund, M."]
    assert eriksson["PY"] == ["2018"]
    assert eriksson["DO"] == ["10.3389/fpsyg.2018.02340"]
    assert eriksson["UR"] == ["https://doi.org/10.3389/fpsyg.2018.02340"]
    assert eriksson["T2"] == ["Front Psychol"]
    assert eriksson["TI"][0].startswith("Mindful Self-Compassion Training Reduces Stress and Burnout")
    assert records[0]["VL"] == ["2"] and records[0]["IS"] == ["3"] and records[0]["SP"] == ["223"] and records[0]["EP"] == ["250"]
    for record, reference in zip(records, references):
        assert len(record["TY"]) == 1 and len(record.get("PY", [])) <= 1
        if reference.doi and not reference.doi_truncated:
            assert record["DO"] == [reference.doi]
        assert all(", " in author or " " not in author for author in record.get("AU", []))
    # "Hollins Martin CJ" keeps a two-word surname; "et al." never becomes an author.
    assert "Hollins Martin, C. J." in records[26]["AU"]
    assert all("et al" not in a for r in records for a in r.get("AU", []))
    assert records[43]["AU"] == ["Tigranyan, S.", "Byington, D. R.", "Liupakorn, D."]


def test_ris_marks_books_and_the_web_page_and_drops_a_truncated_doi(references, by_ref):
    records = {r.ref: rec for r, rec in zip(references, parse_ris(exports.references_ris(references)))}
    for book in (4, 5, 52, 57):
        assert records[book]["TY"] == ["BOOK"], book
        assert "PB" in records[book] and "T2" not in records[book]
    assert records[4]["PB"] == ["Guilford Press"]
    assert records[35]["TY"] == ["ELEC"] and records[35]["UR"] == ["https://proqol.org"]
    if by_ref[47].doi_truncated:
        assert "DO" not in records[47]


def test_bibtex_of_the_whole_reference_list_has_unique_keys_and_every_doi(references):
    entries = parse_bibtex(exports.references_bibtex(references))
    assert len(entries) == 68
    keys = [e["ID"] for e in entries]
    assert len(set(keys)) == 68
    assert all(re.fullmatch(r"[a-z0-9]+", key) for key in keys)
    assert entries[21]["ENTRYTYPE"] == "article"
    assert entries[21]["doi"] == "10.3389/fpsyg.2018.02340"
    assert entries[21]["author"] == "Eriksson, T. and Germundsjö, L. and Åström, E. and Rönnlund, M."
    assert entries[21]["journal"] == "Front Psychol" and entries[21]["year"] == "2018"
    assert entries[0]["pages"] == "223--250"
    assert entries[43]["author"].endswith(" and others")
    assert {entries[i - 1]["ENTRYTYPE"] for i in (4, 5, 52, 57)} == {"book"}
    assert entries[3]["publisher"] == "Guilford Press"
    for entry, reference in zip(entries, references):
        if reference.doi and not reference.doi_truncated:
            assert entry["doi"] == reference.doi


def test_bibtex_escapes_ampersands_braces_and_percent_and_dedupes_keys():
    tricky = Reference(
        ref=90, authors="Smith J, O'Neil AB", label="Smith et al. (2020)", year=2020,
        title="Stress {and} burnout: 50% of R&D staff_in #care", journal="Work & Stress", doi="10.1/x_1",
        doi_truncated=False, text="Smith J, O'Neil AB. Stress {and} burnout. *Work & Stress*. 2020;3(1):1–9. doi:10.1/x_1",
    )
    twin = dataclasses.replace(tricky, ref=91)
    text = exports.references_bibtex([tricky, twin])
    entries = parse_bibtex(text)
    assert [e["ID"] for e in entries] == ["smith2020stress", "smith2020stressa"]
    assert entries[0]["title"] == r"Stress \{and\} burnout: 50\% of R\&D staff\_in \#care"
    assert entries[0]["journal"] == r"Work \& Stress"
    assert entries[0]["doi"] == "10.1/x_1"  # verbatim field


@given(st.text(max_size=200))
def test_bibtex_escape_never_leaves_a_bare_brace_or_ampersand(value):
    escaped = exports.bibtex_escape(value)
    bare = re.sub(r"\\.", "", escaped.replace(r"\textbackslash{}", "").replace(r"\textasciitilde{}", "")
                  .replace(r"\textasciicircum{}", ""))
    assert not re.search(r"[{}&%#$_]", bare)


@given(st.text(max_size=200))
def test_author_splitting_never_crashes_or_invents_empty_names(value):
    names, _ = exports.split_authors(value)
    assert all(surname for surname, _ in names)


def test_answer_markdown_lists_references_with_the_reviews_numbers_and_doi_links(answer, by_ref):
    markdown = exports.answer_markdown(answer, by_ref)
    assert markdown.startswith("# Does self-compassion training reduce burnout in psychologists?")
    assert "[22]" in markdown and "[16]" in markdown
    references = markdown.split("## References", 1)[1]
    lines = [line for line in references.splitlines() if line.startswith("- **[")]
    assert [re.match(r"- \*\*\[(\d+)\]", line).group(1) for line in lines] == ["22", "16", "0"]
    assert "Eriksson T, Germundsjö L, Åström E, Rönnlund M." in lines[0]
    assert "doi:[10.3389/fpsyg.2018.02340](https://doi.org/10.3389/fpsyg.2018.02340)" in lines[0]
    assert "Crego A, Yela JR" in lines[2] and "https://doi.org/10.2147/PRBM.S359382" in lines[2]
    assert "> Reduced levels of self-coldness" in markdown


def test_citations_csv_round_trips_quotes_with_commas_and_quote_marks(answer, by_ref):
    rows = list(csv.DictReader(io.StringIO(exports.citations_csv(answer, by_ref))))
    assert [row["ref"] for row in rows] == ["22", "16", "0"]
    assert rows[1]["quote"] == 'Trainees said "it helped", and gains held, at 3 months & after.'
    assert rows[0]["doi"] == "10.3389/fpsyg.2018.02340" and rows[0]["year"] == "2018"
    assert rows[0]["reference"].startswith("Eriksson T, Germundsjö L")
    assert "*" not in rows[0]["reference"]


def test_citation_bibliographies_hold_the_cited_works_with_their_quotes(answer, by_ref):
    records = parse_ris(exports.citations_ris(answer, by_ref))
    assert [r.get("DO", [None])[0] for r in records] == ["10.3389/fpsyg.2018.02340", by_ref[16].doi, "10.2147/PRBM.S359382"]
    assert "Reduced levels of self-coldness" in records[0]["N1"][0]
    assert records[2]["AU"][0] == "Crego, A."
    entries = parse_bibtex(exports.citations_bibtex(answer, by_ref))
    assert len(entries) == 3 and entries[2]["ID"].startswith("crego2022")
    assert r"3 months \& after" in entries[1]["note"]


def test_evidence_table_has_one_row_per_study_of_tables_1_to_4(rows, review_text):
    from ingest.chunking import parse_study_records

    refs = [row.ref for row in rows]
    assert len(refs) == len(set(refs)) == len({r.ref for r in parse_study_records(review_text)})
    assert len(rows) == 27  # 4 + 14 + 3 + 6 studies in Tables 1 to 4
    assert {row.table for row in rows} == {"Table 1", "Table 2", "Table 3", "Table 4"}
    eriksson = next(row for row in rows if row.ref == 22)
    assert eriksson.label == "Eriksson et al. (2018)" and eriksson.year == 2018
    assert eriksson.design == "RCT" and eriksson.n == "81"
    assert "SCS" in eriksson.instruments and "burnout" in eriksson.outcomes
    assert eriksson.url == "https://doi.org/10.3389/fpsyg.2018.02340"


def test_evidence_filters_keep_what_a_reader_asks_for(rows):
    cross_sectional = filter_rows(rows, design="cross-sectional")
    assert cross_sectional and {row.table for row in cross_sectional} == {"Table 2"}
    burnout = {row.ref for row in filter_rows(rows, outcome="burnout")}
    assert {22, 27, 28, 29} <= burnout
    assert 22 in {row.ref for row in filter_rows(rows, instrument="FFMQ")}
    assert [row.ref for row in filter_rows(rows, text="eriksson")] == [22]
    assert [row.ref for row in filter_rows(rows, text="psychologists stress", design="RCT")] == [22]
    assert filter_rows(rows, "", ANY, ANY, ANY) == rows
    assert filter_rows(rows, text="no such words anywhere") == []
    assert design_choices(rows)[0] == ANY and "qualitative" in design_choices(rows)
    assert "burnout" in outcome_choices(rows) and "SCS-SF" in instrument_choices(rows)


def test_evidence_table_exports_hold_every_study(rows, by_ref):
    table = list(csv.DictReader(io.StringIO(exports.evidence_csv(rows))))
    assert [int(r["ref"]) for r in table] == [row.ref for row in rows]
    assert next(r for r in table if r["ref"] == "22")["doi"] == "10.3389/fpsyg.2018.02340"
    ris = parse_ris(exports.evidence_ris(rows, by_ref))
    bib = parse_bibtex(exports.evidence_bibtex(rows, by_ref))
    assert len(ris) == len(bib) == len(rows)
    assert len({e["ID"] for e in bib}) == len(rows)
    assert "Design: RCT" in ris[[row.ref for row in rows].index(22)]["N1"][0]
