"""Loading corpus files: text, real PDFs made here with reportlab, and the JSONL digests."""
from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table

from ingest.citations import cited_refs, find_markers
from ingest.errors import CorpusReadError
from ingest.loaders import LoadedFile, load_sources, read_digests, read_pdf, read_text_file
from ingest.references import parse_references

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
REVIEW = (CORPUS / "review.txt").read_text(encoding="utf-8")
LINES = REVIEW.splitlines()
NOT_FOUND = {2, 10, 31, 41, 43, 44, 47, 52, 55}

PARAGRAPH_STARTS = [
    "Self-compassion has been shown",
    "However, the use of interventions",
    "Finlay-Jones et al¹⁶ performed",
    "Two of these studies employed",
    "In this regard, numerous studies",
    "Particularly interesting are",
    "First, self-compassion may be",
    "Seventh, the positive effects",
]
TABLE_ROW_STARTS = [
    "Eriksson et al (2018). ²²",
    "Finlay-Jones et al (2017). ¹⁶",
    "Beaumont et al (2016). ²⁷",
    "Bell et al (2017). ⁶⁸",
]
_STYLES = getSampleStyleSheet()
_CELL = ParagraphStyle("cell", parent=_STYLES["BodyText"], fontSize=6, leading=7)


def review_line(start: str) -> str:
    (line,) = [line for line in LINES if line.startswith(start)]
    return line


def raised_markup(text: str) -> str:
    """The review text as reportlab markup, each citation drawn as real raised small digits."""
    pieces, cursor = [], 0
    for marker in find_markers(text):
        digits = marker.raw[2:-1] if marker.raw.startswith("^{") else marker.raw
        plain = digits.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789–"))
        pieces += [escape(text[cursor:marker.start]), f"<super>{escape(plain)}</super>"]
        cursor = marker.end
    return "".join(pieces) + escape(text[cursor:])


def table_row(line: str) -> Table:
    cells = line.split("\t")
    return Table([[Paragraph(raised_markup(c), _CELL) for c in cells]], colWidths=[760 / len(cells)] * len(cells))


def build_pdf(path: Path, flowables: list) -> Path:
    SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=30, rightMargin=30).build(flowables)
    return path


@pytest.mark.parametrize("start", PARAGRAPH_STARTS)
def test_pdf_paragraph_gives_the_same_refs_as_the_text(tmp_path: Path, start: str) -> None:
    text = review_line(start)
    pdf = build_pdf(tmp_path / "paragraph.pdf", [Paragraph(raised_markup(text), _STYLES["Normal"])])
    extracted = read_pdf(pdf)
    assert cited_refs(extracted, flattened=True) == cited_refs(text)
    assert cited_refs(text)  # each chosen paragraph does cite


@pytest.mark.parametrize("start", TABLE_ROW_STARTS)
def test_pdf_table_row_gives_the_same_ref_as_the_text(tmp_path: Path, start: str) -> None:
    line = review_line(start)
    extracted = read_pdf(build_pdf(tmp_path / "row.pdf", [table_row(line)]))
    assert extracted.startswith(start.split(". ")[0] + ". ")  # pypdf prints "(2018). 22", a space before
    assert cited_refs(extracted, flattened=True) == cited_refs(line)


def test_pdf_of_several_pages_gives_the_same_refs_overall(tmp_path: Path) -> None:
    texts = [review_line(s) for s in PARAGRAPH_STARTS]
    rows = [review_line(s) for s in TABLE_ROW_STARTS]
    flowables = [Paragraph(raised_markup(t), _STYLES["Normal"]) for t in texts]
    flowables += [PageBreak(), *[table_row(r) for r in rows]]
    extracted = read_pdf(build_pdf(tmp_path / "review-extract.pdf", flowables))
    expected = set(cited_refs("\n".join(texts + rows)))
    assert set(cited_refs(extracted, flattened=True)) == expected
    assert not any(r > 68 or r < 1 for r in cited_refs(extracted, flattened=True))


def test_pdf_acronym_marker_is_the_one_known_loss(tmp_path: Path) -> None:
    text = review_line("Concerning qualitative studies")
    extracted = read_pdf(build_pdf(tmp_path / "lkm.pdf", [Paragraph(raised_markup(text), _STYLES["Normal"])]))
    assert "LKM61 enhance" in extracted  # digits glued to an acronym, like "PHQ9", are not read
    assert cited_refs(extracted, flattened=True) == tuple(r for r in cited_refs(text) if r != 61)


def two_page_pdf(path: Path) -> Path:
    pdf = canvas.Canvas(str(path))
    for text in ("Page one text", "Page two text"):
        pdf.drawString(100, 700, text)
        pdf.showPage()
    pdf.save()
    return path


def test_a_page_that_cannot_be_extracted_is_skipped_with_a_warning(tmp_path: Path) -> None:
    data = two_page_pdf(tmp_path / "two.pdf").read_bytes()
    second = data.index(b"stream\n", data.index(b"9 0 obj")) + len(b"stream\n")
    end = data.index(b"endstream", second)
    broken = data[:second] + b"!!!!!" + b"x" * (end - second - 7) + b"~>" + data[end:]  # bad ASCII85, same length
    (tmp_path / "broken-page.pdf").write_bytes(broken)
    with pytest.warns(UserWarning, match="page 2 skipped"):
        text = read_pdf(tmp_path / "broken-page.pdf")
    assert "Page one text" in text and "Page two text" not in text


@pytest.mark.parametrize("content", [b"this is not a pdf", b"", b"%PDF-1.4\n"], ids=["garbage", "empty", "header-only"])
def test_a_file_pypdf_cannot_open_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(content)
    with pytest.raises(CorpusReadError, match=r"corrupt\.pdf: pypdf could not open it as a PDF"):
        read_pdf(path)


def test_review_text_and_an_empty_text_file(tmp_path: Path) -> None:
    assert read_text_file(CORPUS / "review.txt") == REVIEW
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    assert read_text_file(tmp_path / "empty.txt") == ""


def test_unreadable_text_files_say_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Jiménez-Gómez".encode("latin-1"))
    with pytest.raises(CorpusReadError, match=r"latin1\.txt: not UTF-8 text.*Re-save it as UTF-8"):
        read_text_file(tmp_path / "latin1.txt")
    with pytest.raises(CorpusReadError, match=r"missing\.md: no such file"):
        read_text_file(tmp_path / "missing.md")


def test_corpus_digests_load_with_every_field() -> None:
    digests = read_digests(CORPUS / "digests.jsonl")
    assert [d.ref for d in digests] == list(range(1, 69))
    assert {d.ref for d in digests if not d.found} == NOT_FOUND
    assert all(d.digest == "" and d.key_findings == () for d in digests if not d.found)
    eriksson = next(d for d in digests if d.ref == 22)
    assert eriksson.found and eriksson.digest and eriksson.source_url
    assert isinstance(eriksson.key_findings, tuple) and eriksson.key_findings


def test_a_digest_without_digest_text_gets_an_empty_one(tmp_path: Path) -> None:
    path = tmp_path / "few.jsonl"
    path.write_text(json.dumps({"ref": 2, "found": False, "key_findings": []}) + "\n\n", encoding="utf-8")
    (digest,) = read_digests(path)
    assert (digest.ref, digest.found, digest.digest, digest.key_findings, digest.n) == (2, False, "", (), None)


def test_a_malformed_digest_line_is_named(tmp_path: Path) -> None:
    good = (CORPUS / "digests.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([good[0], good[1], '{"ref": 3, "found": tru', good[3]]) + "\n", encoding="utf-8")
    with pytest.raises(CorpusReadError, match=r"bad\.jsonl, line 3: not valid JSON"):
        read_digests(path)
    path.write_text('{"ref": "three"}\n', encoding="utf-8")
    with pytest.raises(CorpusReadError, match=r"line 1: `ref` must be the reference number"):
        read_digests(path)


def test_load_sources_keeps_the_good_files_and_names_the_bad_ones(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# Notes\nEriksson et al²² used an RCT.\n", encoding="utf-8")
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.4\nnot really")
    (tmp_path / "bad.jsonl").write_text('{"ref": 1}\n{oops\n', encoding="utf-8")
    (tmp_path / "slides.pptx").write_bytes(b"PK")
    good_pdf = build_pdf(tmp_path / "good.pdf", [Paragraph(raised_markup(review_line(PARAGRAPH_STARTS[0])),
                                                           _STYLES["Normal"])])
    paths = [CORPUS / "review.txt", tmp_path / "empty.txt", tmp_path / "notes.md", tmp_path / "corrupt.pdf",
             CORPUS / "digests.jsonl", tmp_path / "bad.jsonl", good_pdf, tmp_path / "slides.pptx",
             tmp_path / "gone.txt"]
    loaded, problems = load_sources(paths)

    assert [(f.path.name, f.kind) for f in loaded] == [
        ("review.txt", "text"), ("empty.txt", "text"), ("notes.md", "text"), ("digests.jsonl", "digests"),
        ("good.pdf", "pdf"),
    ]
    assert all(isinstance(f, LoadedFile) for f in loaded)
    assert len(parse_references(loaded[0].text)) == 68
    assert loaded[1].text == "" and loaded[1].digests == ()
    assert len(loaded[3].digests) == 68 and loaded[3].text == ""
    assert cited_refs(loaded[4].text, flattened=True) == (2, 3, 4, 5, 6, 7, 8, 9)

    assert len(problems) == 4
    corrupt, bad_jsonl, pptx, gone = problems
    assert "corrupt.pdf" in corrupt and "pypdf could not open it as a PDF" in corrupt
    assert "bad.jsonl, line 2" in bad_jsonl
    assert "slides.pptx" in pptx and ".pdf" in pptx
    assert "gone.txt: no such file" in gone
