"""Loading corpus files: text, real PDFs made here with reportlab, and the JSONL digests."""
from __future__ import annotations

import json
import re
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table

from ingest.citations import cited_refs, find_markers
from common.errors import CorpusReadError
from ingest.loaders import (
    LoadedFile,
    load_file,
    load_sources,
    normalise_pdf_pages,
    read_digests,
    read_pdf,
    read_text_file,
)
from ingest.pdf_layout import with_layout
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


@pytest.mark.parametrize("content", [b"%PDF-1.4\n", b"%PDF-1.4\nnot really"], ids=["header-only", "header-and-junk"])
def test_a_file_pypdf_cannot_open_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(content)
    with pytest.raises(CorpusReadError, match=r"corrupt\.pdf: pypdf could not open it as a PDF .*no %%EOF marker"):
        read_pdf(path)


def test_review_text_and_an_empty_text_file(tmp_path: Path) -> None:
    assert read_text_file(CORPUS / "review.txt") == REVIEW
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(CorpusReadError, match=r"empty\.txt: is empty \(0 bytes\)"):
        read_text_file(tmp_path / "empty.txt")


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
        ("review.txt", "text"), ("notes.md", "text"), ("digests.jsonl", "digests"), ("bad.jsonl", "digests"),
        ("good.pdf", "pdf"),
    ]
    assert all(isinstance(f, LoadedFile) for f in loaded)
    assert len(parse_references(loaded[0].text)) == 68
    assert len(loaded[2].digests) == 68 and loaded[2].text == ""
    assert [d.ref for d in loaded[3].digests] == [1]  # its good line is kept
    assert cited_refs(loaded[4].text, flattened=True) == (2, 3, 4, 5, 6, 7, 8, 9)

    assert len(problems) == 5
    empty, corrupt, bad_jsonl, pptx, gone = problems
    assert "empty.txt: is empty" in empty
    assert "corrupt.pdf" in corrupt and "pypdf could not open it as a PDF" in corrupt
    assert "bad.jsonl, line 2" in bad_jsonl
    assert "slides.pptx" in pptx and ".pdf" in pptx
    assert "gone.txt: no such file" in gone


# --- Hostile files: each refused with a one-line message naming the file and what to do ------------

@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.pdf", "empty.jsonl"])
def test_an_empty_file_is_refused_as_empty(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    loaded, problems = load_sources([tmp_path / name])
    assert loaded == []
    assert problems == [f"{tmp_path / name}: is empty (0 bytes). Put the document's content in it, or leave it out."]


def test_a_file_of_blank_space_is_empty_too(tmp_path: Path) -> None:
    (tmp_path / "blank.txt").write_text(" \n\n\t\n", encoding="utf-8")
    with pytest.raises(CorpusReadError, match=r"blank\.txt: is empty \(only blank space\)"):
        load_file(tmp_path / "blank.txt")


def test_a_text_file_named_pdf_is_not_a_pdf(tmp_path: Path) -> None:
    (tmp_path / "review.pdf").write_text("Self-compassion in therapists: a review.\n", encoding="utf-8")
    with pytest.raises(CorpusReadError) as raised:
        load_file(tmp_path / "review.pdf")
    assert str(raised.value) == (f"{tmp_path / 'review.pdf'}: not a PDF (it holds plain text, no %PDF- header). "
                                 "If that is the document's text, rename it to review.txt.")
    (tmp_path / "photo.pdf").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(CorpusReadError, match=r"photo\.pdf: not a PDF \(its first bytes are not a PDF header"):
        load_file(tmp_path / "photo.pdf")


def test_a_pdf_named_txt_says_rename_it(tmp_path: Path) -> None:
    (tmp_path / "review.txt").write_bytes(two_page_pdf(tmp_path / "two.pdf").read_bytes())
    with pytest.raises(CorpusReadError, match=r"review\.txt: is a PDF with a text file's name\. Rename it to review\.pdf"):
        load_file(tmp_path / "review.txt")


def test_a_truncated_pdf_is_named_as_such(tmp_path: Path) -> None:
    data = two_page_pdf(tmp_path / "two.pdf").read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) // 2])
    with pytest.raises(CorpusReadError, match=r"cut\.pdf: pypdf could not open it as a PDF \(.*it looks truncated"):
        load_file(tmp_path / "cut.pdf")


def test_a_password_protected_pdf_is_refused_and_an_owner_only_lock_is_not(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    source = two_page_pdf(tmp_path / "two.pdf")
    locked = PdfWriter(clone_from=source)
    locked.encrypt("secret", algorithm="RC4-128")
    locked.write(tmp_path / "locked.pdf")
    with pytest.raises(CorpusReadError) as raised:
        load_file(tmp_path / "locked.pdf")
    assert str(raised.value) == f"{tmp_path / 'locked.pdf'}: the PDF is password-protected. Save an unprotected copy and retry."
    owner_only = PdfWriter(clone_from=source)
    owner_only.encrypt("", owner_password="owner", algorithm="RC4-128")  # opens without a password
    owner_only.write(tmp_path / "owner-only.pdf")
    assert "Page two text" in load_file(tmp_path / "owner-only.pdf").text


def image_pdf(path: Path, pages_with_text: tuple[int, ...] = ()) -> Path:
    """A two-page 'scan': a picture of text on every page, real text only on the pages named."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    picture = Image.new("RGB", (400, 100), "white")
    ImageDraw.Draw(picture).text((10, 40), "Scanned page of a review", fill="black")
    pdf = canvas.Canvas(str(path))
    for number in (1, 2):
        pdf.drawImage(ImageReader(picture), 100, 600, 400, 100)
        if number in pages_with_text:
            pdf.drawString(100, 500, f"Typed text on page {number}")
        pdf.showPage()
    pdf.save()
    return path


def test_an_image_only_pdf_asks_for_ocr(tmp_path: Path) -> None:
    with pytest.raises(CorpusReadError) as raised:
        load_file(image_pdf(tmp_path / "scan.pdf"))
    assert str(raised.value) == (
        f"{tmp_path / 'scan.pdf'}: no extractable text on any of its 2 pages (probably scanned images). "
        "Run OCR on it first (e.g. `ocrmypdf in.pdf out.pdf`), or supply the text as .txt."
    )
    partly = load_file(image_pdf(tmp_path / "partly.pdf", pages_with_text=(1,)))
    assert partly.text == "Typed text on page 1"
    assert partly.notes == (f"{tmp_path / 'partly.pdf'}: pages 2 have no extractable text (images only?); "
                            "their content is missing.",)


def test_a_page_that_cannot_be_extracted_is_a_problem_of_load_sources(tmp_path: Path) -> None:
    data = two_page_pdf(tmp_path / "two.pdf").read_bytes()
    second = data.index(b"stream\n", data.index(b"9 0 obj")) + len(b"stream\n")
    end = data.index(b"endstream", second)
    (tmp_path / "broken-page.pdf").write_bytes(data[:second] + b"!!!!!" + b"x" * (end - second - 7) + b"~>" + data[end:])
    loaded, problems = load_sources([tmp_path / "broken-page.pdf"])
    assert loaded[0].text == "Page one text"
    assert len(problems) == 1 and "broken-page.pdf: page 2 skipped" in problems[0]


SPANISH = "El estudio de Jiménez-Gómez mostró que la autocompasión reduce el agotamiento en terapeutas. " * 3
QUOTED = "The review \u201cbenefits of self-compassion\u201d \u2014 a summary of studies \u2013 found \u2018good\u2019 effects. " * 3


@pytest.mark.parametrize(("text", "encoding", "named"), [
    (SPANISH, "latin-1", "cp1252"),  # Latin-1 letters are the same bytes in cp1252, its superset
    (QUOTED, "cp1252", "cp1252"),
    ("Self-compassion été review\n", "utf-16", "UTF-16 (byte-order mark)"),
    ("Self-compassion review of studies. " * 5, "utf-16-le", "utf_16_le"),
], ids=["latin-1", "cp1252", "utf-16-bom", "utf-16-no-bom"])
def test_text_in_another_encoding_is_decoded_and_the_encoding_named(
    tmp_path: Path, text: str, encoding: str, named: str
) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(text.encode(encoding))
    loaded = load_file(path)
    assert loaded.text == text
    (note,) = loaded.notes
    assert note.startswith(f"{path}: ") and f"decoded as {named}" in note
    with pytest.warns(UserWarning, match=re.escape(f"decoded as {named}")):
        assert read_text_file(path) == text


def test_text_whose_encoding_is_unclear_or_that_is_binary_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mixed.txt").write_bytes("Jiménez “quoted” in UTF-8, then a stray byte: ".encode() + b"\xe9 and more.")
    with pytest.raises(CorpusReadError) as raised:
        load_file(tmp_path / "mixed.txt")
    assert str(raised.value) == (f"{tmp_path / 'mixed.txt'}: not UTF-8 text (undecodable byte at offset 51) and its "
                                 "encoding could not be detected with confidence. Re-save it as UTF-8.")
    (tmp_path / "image.md").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CorpusReadError, match=r"image\.md: binary data, not text \(NUL byte at offset 0\)"):
        load_file(tmp_path / "image.md")


def test_a_20_mb_single_line_text_file_loads_in_reasonable_time_and_memory(tmp_path: Path) -> None:
    import time
    import tracemalloc

    path = tmp_path / "one-line.txt"
    path.write_bytes(b"Self-compassion reduced burnout in therapists. " * 440_000)  # ~20 MB, no newline
    size = path.stat().st_size
    tracemalloc.start()
    started = time.perf_counter()
    loaded = load_file(path)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert size > 20_000_000 and len(loaded.text) == size
    assert seconds < 5 and peak < 3 * size, (seconds, peak)


def test_a_20_mb_single_line_latin_1_file_is_detected_in_reasonable_time(tmp_path: Path) -> None:
    import time

    path = tmp_path / "one-line-latin1.txt"
    path.write_bytes(SPANISH.encode("latin-1") * 75_000)  # ~21 MB, no newline
    started = time.perf_counter()
    loaded = load_file(path)
    assert time.perf_counter() - started < 20
    assert loaded.text.startswith("El estudio de Jiménez-Gómez") and "cp1252" in loaded.notes[0]


def test_a_jsonl_with_broken_lines_keeps_the_good_ones_and_names_each_broken_line(tmp_path: Path) -> None:
    good = (CORPUS / "digests.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "digests.jsonl"
    path.write_text("\n".join([good[0], '{"ref": 2, "found": tru', "[1, 2]", "", '{"ref": "4"}', good[4]]) + "\n",
                    encoding="utf-8")
    loaded, problems = load_sources([path])
    assert [d.ref for d in loaded[0].digests] == [1, 5]
    assert problems == [
        f"{path}, line 2: not valid JSON (Expecting value, column 21). Fix or remove that line.",
        f"{path}, line 3: expected a JSON object, found list. Fix that line.",
        f"{path}, line 5: `ref` must be the reference number (an integer), found '4'.",
    ]
    assert loaded[0].problems == tuple(problems)


def test_a_jsonl_with_no_good_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "digests.jsonl"
    path.write_text("{oops\nnot json either\n", encoding="utf-8")
    loaded, problems = load_sources([path])
    assert loaded == []
    assert problems == [
        f"{path}: none of its lines is a digest (first: line 1: not valid JSON (Expecting property name enclosed "
        "in double quotes, column 2). Fix or remove that line.) Check that it is a digests file: one JSON object "
        "a line, each with a `ref` number."
    ]


def test_an_unknown_suffix_names_the_supported_ones(tmp_path: Path) -> None:
    (tmp_path / "review.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(CorpusReadError) as raised:
        load_file(tmp_path / "review.docx")
    assert str(raised.value) == (f"{tmp_path / 'review.docx'}: unsupported file type '.docx'. "
                                 "Use one of .txt, .md, .pdf, .jsonl.")


def test_a_folder_stands_for_its_supported_files_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "deeper.txt").write_text("not read: sub-folders are left alone", encoding="utf-8")
    (folder / "b-review.txt").write_text("The review.", encoding="utf-8")
    (folder / "a-notes.md").write_text("# Notes", encoding="utf-8")
    (folder / "c-digests.jsonl").write_text('{"ref": 1}\n', encoding="utf-8")
    (folder / "slides.pptx").write_bytes(b"PK")
    (folder / ".DS_Store").write_bytes(b"\x00")
    loaded, problems = load_sources([folder])
    assert [f.path.name for f in loaded] == ["a-notes.md", "b-review.txt", "c-digests.jsonl"]
    assert problems == [f"{folder / 'slides.pptx'}: unsupported file type '.pptx' in the folder, left out. "
                        "Use one of .txt, .md, .pdf, .jsonl."]
    (tmp_path / "nothing").mkdir()
    assert load_sources([tmp_path / "nothing"]) == (
        [], [f"{tmp_path / 'nothing'}: the folder holds no .txt, .md, .pdf, .jsonl files. Name the files to read."])


# --- normalise_pdf_pages: pypdf page texts to the plain-text layout --------------------------------

WRAPPED = [  # distinct lines of nearly the same length, as a justified page gives them
    "Self-compassion was measured at baseline and after the eight",
    "weeks of training in every arm of the trial, by the same two",
    "assessors, who did not know which arm each participant was in,",
    "and burnout fell more in the training arm than in the waiting",
    "list; the difference was still there at the three-month visit,",
    "although two of the five sites lost a third of their trainees",
    "to the follow-up, mostly because the staff had changed posts.",
]


def test_running_headers_and_footers_go_even_when_their_digits_change() -> None:
    pages = [f"J Fict Res. 2023;8:{100 + n}\nPage {n} of 3\n{WRAPPED[2 * n]}\n{WRAPPED[2 * n + 1]}\n{n}"
             for n in (0, 1, 2)]
    assert normalise_pdf_pages(pages) == " ".join(WRAPPED[:6])


def test_a_line_at_a_page_edge_that_does_not_recur_is_kept() -> None:
    pages = [f"Running head\n{heading}\n{WRAPPED[n]}." for n, heading in enumerate(["Introduction", "Methods", "Results"])]
    text = normalise_pdf_pages(pages)
    assert text.split("\n\n") == ["Introduction", f"{WRAPPED[0]}.", "Methods", f"{WRAPPED[1]}.", "Results",
                                    f"{WRAPPED[2]}."]
    assert normalise_pdf_pages(["Running head\nOne page only"]).startswith("Running head")  # one page: no repeats


def test_line_end_hyphens_join_words_and_keep_compounds() -> None:
    pages = [
        "Self-compassion and exercise were both studied. Regular exer-\n"
        "cise and self-\ncompassion both helped, as did a quasi-experimental\n"
        "design and its most careful and well-documented inter-\nvention.\n"
        "Later on, the trial by Okonkwo-\nHale et al tested a fully self-\n"
        "guided app with the PHQ-\n9 as its questionnaire of nine items."
    ]
    text = normalise_pdf_pages(pages)
    assert "Regular exercise and self-compassion both helped" in text
    assert "well-documented intervention." in text
    assert "the trial by Okonkwo-Hale et al tested a fully self-guided app with the PHQ-9 as its" in text


def test_words_and_sentences_split_across_pages_are_rejoined() -> None:
    pages = [f"Fict J 8\n{WRAPPED[0]}\n{WRAPPED[1]}\n{WRAPPED[2]}\n{WRAPPED[3]}\n1",
             f"Fict J 8\n{WRAPPED[4]}\nalthough two of the five sites lost a third of their inter-\n2",
             f"Fict J 8\nviewers to other projects, and most of their trainees\n3"]
    assert normalise_pdf_pages(pages) == " ".join([*WRAPPED[:5], "although two of the five sites lost a third of their",
                                                   "interviewers to other projects, and most of their trainees"])


def test_a_heading_after_a_full_line_starts_its_own_paragraph() -> None:
    text = normalise_pdf_pages([f"{WRAPPED[0]}\n{WRAPPED[1]}\n{WRAPPED[6]}\nDiscussion\n{WRAPPED[3]}\n{WRAPPED[4]}"])
    assert text.split("\n\n") == [" ".join([WRAPPED[0], WRAPPED[1], WRAPPED[6]]), "Discussion",
                                    f"{WRAPPED[3]} {WRAPPED[4]}"]


def test_numbered_entries_and_tab_rows_each_keep_their_own_line() -> None:
    pages = [
        f"{WRAPPED[6]}\nReferences\n"
        "1. Author A, Author B. A long title of a study that wraps onto\n"
        "the next line. J Fict. 2020;1:1-9.\n"
        "2. Author C. A title that fills the whole line to the margin\n"
        "3. Author D. Short.\n"
        "Study\tCountry\tN\nSmith et al (2020). 21\tSpain\t40"
    ]
    assert normalise_pdf_pages(pages).split("\n\n")[1:] == [
        "References",
        "1. Author A, Author B. A long title of a study that wraps onto the next line. J Fict. 2020;1:1-9.\n"
        "2. Author C. A title that fills the whole line to the margin\n"
        "3. Author D. Short.\n"
        "Study\tCountry\tN\nSmith et al (2020). 21\tSpain\t40",
    ]


def test_a_blank_line_on_a_page_ends_a_paragraph_even_after_a_full_line() -> None:
    pages = [f"{WRAPPED[0]}\n{WRAPPED[1]}\n\n{WRAPPED[2]}\n{WRAPPED[3]}"]
    assert normalise_pdf_pages(pages).split("\n\n") == [f"{WRAPPED[0]} {WRAPPED[1]}", f"{WRAPPED[2]} {WRAPPED[3]}"]
    top_gap = [f"Fict J 8\n{WRAPPED[0]}\n{WRAPPED[1]}\n1", f"Fict J 8\n\n{WRAPPED[2]}\n2"]
    assert normalise_pdf_pages(top_gap) == " ".join(WRAPPED[:3])  # below a running header: the page break decides


def test_a_reference_entry_wrapped_after_a_short_line_and_a_page_break_stays_one_entry() -> None:
    pages = [f"{WRAPPED[6]}\nReferences\n1. Author A. A title. *J Fict*. 2020;1:1-9. doi:10.5555/a.1\n"
             "2. Author B. A long title of a study that fills the line. *J Fict*.\nFict J 8\n1",
             "Fict J 8\n2021;2(1):3-9. doi:10.5555/b.2\n3. Author C. Short. *J Fict*. 2022;3:1. doi:10.5555/c.3\n2"]
    entries = normalise_pdf_pages(pages).split("\n\n")[-1].split("\n")
    assert entries == ["1. Author A. A title. *J Fict*. 2020;1:1-9. doi:10.5555/a.1",
                       "2. Author B. A long title of a study that fills the line. *J Fict*. 2021;2(1):3-9. doi:10.5555/b.2",
                       "3. Author C. Short. *J Fict*. 2022;3:1. doi:10.5555/c.3"]


# pypdf's layout text: blank lines where the page has vertical space (between paragraphs, between rows)
LAYOUT_PAGE = """A paragraph of prose that runs to the end of the line and
goes on here.

The next paragraph after a gap.

Study          Country       Sample (N)

Smith et al    Spain         N=40 adults
(2020). 21                   aged 60+

Lee et al      Chile         N=12
(2019). 22

Prose after the table, as wide as a line of the page is wide."""
PLAIN_PAGE = """A paragraph of prose that runs to the end of the line and
goes on here.
The next paragraph after a gap.
Study
Country
Sample (N)
Smith et al
(2020). 21
Spain
N=40 adults
aged 60+
Lee et al
(2019). 22
Chile
N=12
Prose after the table, as wide as a line of the page is wide."""


def test_the_layout_text_gives_the_plain_text_its_paragraph_gaps_and_table_rows() -> None:
    assert with_layout(PLAIN_PAGE, LAYOUT_PAGE).split("\n") == [
        "A paragraph of prose that runs to the end of the line and", "goes on here.", "",
        "The next paragraph after a gap.", "",
        "Study\tCountry\tSample (N)", "Smith et al (2020). 21\tSpain\tN=40 adults aged 60+",
        "Lee et al (2019). 22\tChile\tN=12", "",
        "Prose after the table, as wide as a line of the page is wide.",
    ]


def test_a_table_whose_rows_lack_words_of_the_plain_text_leaves_the_plain_text() -> None:
    assert "Spain\n" in with_layout(PLAIN_PAGE.replace("Spain", "Spain\nPortugal"), LAYOUT_PAGE)


@given(st.text(alphabet=st.sampled_from("ab (2).\n\t1"), max_size=120),
       st.text(alphabet=st.sampled_from("ab (2).\n\t1"), max_size=200))
def test_with_layout_never_fails_nor_invents_characters(plain: str, layout: str) -> None:
    merged = with_layout(plain, layout)
    assert set(merged) - set(plain) - set(layout) <= {"\n", "\t", " "}
    assert with_layout(plain, "") == "\n".join(line.strip() for line in plain.splitlines() if line.strip())


def test_a_glyph_pypdf_could_not_map_is_marked_unknown() -> None:
    assert normalise_pdf_pages(["Cohen's \x00 = 0.81"]) == "Cohen's \ufffd = 0.81"
    assert normalise_pdf_pages([]) == "" and normalise_pdf_pages(["", " \n "]) == ""


@given(st.lists(st.text(alphabet=st.sampled_from("ab -\n\t1.\x00Zé"), max_size=80), max_size=6))
def test_normalise_pdf_pages_never_fails_and_never_invents_text(pages: list[str]) -> None:
    text = normalise_pdf_pages(pages)
    assert "\x00" not in text
    letters = sorted(c for c in "".join(pages).replace("\x00", "\ufffd") if c.isalnum())
    assert all(c in letters for c in text if c.isalnum())
