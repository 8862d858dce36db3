"""The code knows reviews, not one review: nothing the seed review states about itself (its
title, its authors' names, its reference count, its DOI) is written into a module outside
corpus/ and tests/. Those facts are read from the review's own files at ingest."""
from __future__ import annotations

import json
import re
from pathlib import Path

from common.settings import PROJECT_ROOT
from ingest.front_matter import parse_review_info, read_sidecar
from ingest.references import parse_references

CODE = [PROJECT_ROOT / "app.py", *[p for package in ("common", "ingest", "assistant", "eval")
                                   for p in sorted((PROJECT_ROOT / package).rglob("*.py"))]]


def _seed_facts() -> list[tuple[str, re.Pattern[str]]]:
    corpus = PROJECT_ROOT / "corpus"
    text = (corpus / "review.txt").read_text(encoding="utf-8")
    info = parse_review_info(text, read_sidecar(corpus))
    facts = [("title", re.compile(re.escape(info.title[:40]), re.IGNORECASE))]
    if info.doi:
        facts.append(("DOI", re.compile(re.escape(info.doi), re.IGNORECASE)))
    for author in info.authors:
        surname = author.rsplit(" ", 1)[0]
        facts.append((f"author {surname}", re.compile(rf"\b{re.escape(surname)}\b")))
    count = len(parse_references(text))
    facts.append((f"reference count {count}", re.compile(rf"(?<![\w.]){count}(?![\w.])")))
    return facts


def test_no_module_names_the_seed_review() -> None:
    facts = _seed_facts()
    assert len(facts) >= 4 and CODE
    found = []
    for path in CODE:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for what, pattern in facts:
                if pattern.search(line):
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {what}: {line.strip()[:90]}")
    assert not found, "review-specific facts in code:\n" + "\n".join(found)


def test_the_seed_reviews_own_facts_come_from_its_files() -> None:
    sidecar = json.loads((PROJECT_ROOT / "corpus" / "review.json").read_text(encoding="utf-8"))
    info = parse_review_info((PROJECT_ROOT / "corpus" / "review.txt").read_text(encoding="utf-8"), sidecar)
    assert info.title.startswith(sidecar["title"][:30]) and info.doi == sidecar["doi"] and info.year == sidecar["year"]
    assert info.label.endswith(f"({sidecar['year']})")
