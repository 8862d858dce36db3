"""The second (fictional) review written out in other plain-text conventions reviews come in reads
the same as the original: Windows line endings, a reference list numbered "[1]", headings in
capitals, citations as numbers in round brackets. Each variant is made here from the fixture and
read without embedding."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from common.settings import Settings
from ingest.index import read_corpus

REVIEW2 = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "review2"
HEADINGS = ("Introduction", "Methods", "Results", "Discussion", "Conclusion", "Conclusions", "References", "Disclosure")

pytestmark = pytest.mark.skipif(not (REVIEW2 / "review.txt").exists(), reason="shared/fixtures/review2 is not beside the checkout")


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _bracketed_list(text: str) -> str:
    head, tail = re.split(r"(?m)^References$", text, maxsplit=1)
    return head + "References" + re.sub(r"(?m)^(\d{1,3})\. ", r"[\1] ", tail)


def _capital_headings(text: str) -> str:
    return re.sub(rf"(?m)^({'|'.join(HEADINGS)})$", lambda m: m.group(1).upper(), text)


_SUPERSCRIPT = re.compile(r"(?P<punct>[.,;:] ?)?(?P<m>[⁰¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹⁻]*(?:,[⁰¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹⁻]*)*|\^\{[0-9,–\- ]+\})")


def _round_brackets(text: str) -> str:
    """Every citation of the body as "(18, 19)", before the punctuation a superscript follows."""
    def bracketed(match: re.Match) -> str:
        marker = match["m"]
        inner = marker[2:-1] if marker.startswith("^{") else marker.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-"))
        parts = [p.strip().replace("-", "–") for p in inner.split(",") if p.strip()]
        return f" ({', '.join(parts)}){(match['punct'] or '').strip()}"

    lines = text.split("\n")
    body = range(next(i for i, l in enumerate(lines) if l.startswith("Abstract:")),
                 next(i for i, l in enumerate(lines) if l.strip() == "References"))
    return "\n".join(re.sub(r"(\S)  +\(", r"\1 (", _SUPERSCRIPT.sub(bracketed, line)) if i in body else line
                     for i, line in enumerate(lines))


def _summary(corpus) -> dict:
    links = [s.refs for p in corpus.passages if p.kind == "prose" for s in p.sentences if s.refs]
    return {
        "references": [(r.ref, r.doi) for r in corpus.references],
        "links": links,
        "sections": sorted({p.section for p in corpus.passages if p.kind == "prose"}),
        "studies": [(s.ref, s.design, s.n) for s in corpus.model.studies],
        "facts": len(corpus.model.facts),
    }


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> dict:
    return _summary(read_corpus(Settings(corpus_dir=REVIEW2, review="review2",
                                         chroma_dir=tmp_path_factory.mktemp("original") / "chroma")))


@pytest.mark.parametrize("rewrite", [_crlf, _bracketed_list, _capital_headings, _round_brackets],
                         ids=["windows-line-endings", "reference-list-in-brackets", "headings-in-capitals",
                              "citations-in-round-brackets"])
def test_the_review_in_another_convention_reads_the_same(rewrite, original, tmp_path) -> None:
    folder = tmp_path / "review"
    folder.mkdir()
    shutil.copy(REVIEW2 / "digests.jsonl", folder / "digests.jsonl")
    (folder / "review.txt").write_bytes(rewrite((REVIEW2 / "review.txt").read_text(encoding="utf-8")).encode("utf-8"))
    variant = _summary(read_corpus(Settings(corpus_dir=folder, review="variant", chroma_dir=tmp_path / "chroma")))
    assert variant == original
