"""The review's reference list: 68 entries, their labels, years and DOIs."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from ingest.citations import cited_refs
from common.errors import CorpusReadError
from ingest.references import reference_list_problems, parse_references, references_by_surname

REVIEW = (Path(__file__).resolve().parents[1] / "corpus" / "review.txt").read_text(encoding="utf-8")
REFERENCES = parse_references(REVIEW)
BY_REF = {r.ref: r for r in REFERENCES}
BOOKS = {4, 5, 52, 57}


def test_sixty_eight_entries_numbered_in_order() -> None:
    assert [r.ref for r in REFERENCES] == list(range(1, 69))


def test_every_entry_is_printed_in_the_review_as_parsed() -> None:
    for reference in REFERENCES:
        assert f"\n{reference.ref}. {reference.text}\n" in REVIEW


def test_every_entry_but_the_books_and_one_web_page_has_a_doi() -> None:
    # Ref 35 (Stamm's ProQOL manual) is a web page, printed with a URL and no DOI.
    assert {r.ref for r in REFERENCES if r.doi is None} == BOOKS | {35}
    assert all(r.doi.startswith("10.") and " " not in r.doi for r in REFERENCES if r.doi)
    assert all(BY_REF[ref].journal == "" and BY_REF[ref].title for ref in BOOKS)


@pytest.mark.parametrize(
    ("ref", "label", "year", "doi"),
    [
        (1, "Neff (2003)", 2003, "10.1080/15298860309027"),
        (2, "Bluth & Neff (2018)", 2018, "10.1080/15298868.2018.1508494"),
        (16, "Finlay-Jones et al. (2017)", 2017, "10.1002/jclp.22375"),
        (22, "Eriksson et al. (2018)", 2018, "10.3389/fpsyg.2018.02340"),
        (23, "Jiménez-Gómez et al. (2022)", 2022, "10.1007/s12671-021-01814-2"),
        (30, "Ondrejková & Halamová (2022)", 2022, "10.1111/hsc.13741"),
        (35, "Stamm (2009)", 2009, None),
        (44, "Tigranyan et al. (2021)", 2021, "10.1037/tep0000321"),
        (47, "Kabat-Zinn (1982)", 1982, "10.1016/0163-8343(82)"),
        (52, "Segal et al. (2002)", 2002, None),
        (57, "Gilbert (2010)", 2010, None),
        (62, "Bibeau et al. (2020)", 2020, "10.1177/0022167820953258"),
    ],
)
def test_labels_years_and_dois(ref: int, label: str, year: int, doi: str | None) -> None:
    reference = BY_REF[ref]
    assert (reference.label, reference.year, reference.doi) == (label, year, doi)
    assert reference.url == (f"https://doi.org/{doi}" if doi else None)


def test_titles_and_journals_are_plain_text() -> None:
    eriksson = BY_REF[22]
    assert eriksson.journal == "Front Psychol"
    assert eriksson.title.startswith("Mindful Self-Compassion Training Reduces Stress and Burnout")
    assert BY_REF[4].title == "Teaching the Mindful Self-Compassion Program: A Guide for Professionals"
    assert BY_REF[56].title.endswith("Self-Criticism?")
    assert not any("*" in r.journal or "*" in r.title for r in REFERENCES)
    assert all(r.year and 1960 <= r.year <= 2022 for r in REFERENCES)


def test_only_the_visibly_cut_doi_is_flagged_truncated() -> None:
    assert [r.ref for r in REFERENCES if r.doi_truncated] == [47]


def test_surnames_resolve_mentions_without_a_marker() -> None:
    surnames = references_by_surname(REFERENCES)
    assert surnames["finlay-jones"] == (16, 39)
    assert surnames["beaumont"] == (13, 27, 56)
    assert surnames["eriksson"] == (22,)
    assert surnames["neff"] == (1, 5, 7)
    assert surnames["bluth & neff"] == (2,)
    assert surnames["bourgault and dionne"] == (38,)
    assert surnames["jiménez-gómez"] == surnames["jimenez-gomez"] == (23,)


def test_every_table_row_label_resolves_to_its_marker() -> None:
    surnames = references_by_surname(REFERENCES)
    unresolved = []
    for line in REVIEW.splitlines():
        row = re.match(r"^(?P<label>[^\t]+?),? (?:et al )?\((?P<year>\d{4})\)\. \S+\t", line)
        if not row:
            continue
        label = re.sub(r"\s+et al$", "", row.group("label")).rstrip(",").lower()
        first = label.split(" & ")[0]
        (ref,) = cited_refs(line.split("\t")[0])
        if ref not in surnames.get(first, ()):
            unresolved.append(first)
        elif BY_REF[ref].year != int(row.group("year")):
            unresolved.append(f"{first} year")
    # Table 3 misprints Patsiopoulos (ref 45) as "Patsiopoulou"; the reference list has it right.
    assert unresolved == ["patsiopoulou"]


def test_text_as_a_pdf_gives_it_parses_the_same() -> None:
    head, tail = REVIEW.split("\nReferences\n")
    wrapped = "\n".join(textwrap.fill(line, 90) if line[:1].isdigit() else line
                        for line in tail.replace("*", "").splitlines())
    wrapped = wrapped.replace("\n31. ", "\nPsychology Research and Behavior Management 2022:15\n31. ")  # a page header
    from_pdf = parse_references(f"{head}\nReferences\n{wrapped}")
    assert all(r.text.endswith(r.doi or ".") for r in from_pdf)  # no header or back-matter absorbed
    assert [(r.label, r.year, r.journal, r.doi, r.doi_truncated) for r in from_pdf] == [
        (r.label, r.year, r.journal, r.doi, r.doi_truncated) for r in REFERENCES
    ]


def test_a_cut_short_reference_list_is_reported_not_fatal() -> None:
    cut = REVIEW[: REVIEW.index("\n41. Latorre")]
    references = parse_references(cut)
    assert len(references) == 40
    problems = reference_list_problems(references, highest_cited=68)
    assert problems and "only 40 numbered entries" in problems[0] and "[68]" in problems[0]
    assert reference_list_problems(REFERENCES, highest_cited=68) == []
    missing = reference_list_problems(parse_references(REVIEW[: REVIEW.index("\nReferences\n")]), highest_cited=68)
    assert missing and "No reference list found" in missing[0]


def test_a_text_that_is_not_the_review_has_no_references() -> None:
    assert parse_references("Some notes on self-compassion.\nNothing numbered here.\n") == ()
    assert parse_references("") == ()


def test_a_numbered_list_printing_dois_as_links_or_without_a_colon_keeps_each_doi() -> None:
    text = "\n".join([
        "References",
        "1. Smith A, Lee B. A first title. J First. 2019;1(2):3–4. https://doi.org/10.1016/j.jad.2019.01.002",
        "2. Park C. A second title. J Second. 2020;5:6–7. http://dx.doi.org/10.1111/papt.12104.",
        "3. Ortiz D. A third title. J Third. 2021;8:9–10. DOI 10.1002/jclp.21923",
        "4. Nguyen E. A fourth title that wraps onto",
        "the next line. J Fourth. 2022;11:12–13. doi: 10.1037/a0033092",
    ])
    references = parse_references(text)
    assert [r.doi for r in references] == ["10.1016/j.jad.2019.01.002", "10.1111/papt.12104", "10.1002/jclp.21923",
                                           "10.1037/a0033092"]
    assert references[3].title.startswith("A fourth title that wraps onto the next line")
