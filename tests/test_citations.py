"""Citation markers on the real review text: which refs each printed marker names."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.citations import (
    DEFAULT_MAX_REF,
    SUPERSCRIPT_DIGITS,
    Marker,
    cited_refs,
    find_markers,
    format_refs,
    normalise_markers,
    strip_markers,
    superscript,
)

REVIEW = (Path(__file__).resolve().parents[1] / "corpus" / "review.txt").read_text(encoding="utf-8")
SEED_REFS = 68  # the seed review's reference list; the parser itself knows no count
BODY = REVIEW[: REVIEW.index("\nReferences\n")]
PARAGRAPHS = [line for line in BODY.splitlines() if line.strip()]


def flatten(text: str) -> str:
    """What a PDF text extractor gives for raised markers: the same digits, in line."""
    text = re.sub(r"\^\{([^{}]*)\}", r"\1", text)
    return text.translate(str.maketrans(SUPERSCRIPT_DIGITS + "⁻", "0123456789–"))


# Each snippet stands verbatim in the review (checked below) and names exactly these refs.
RAISED_CASES = [
    ("Following Neff's¹ definition, self-compassion entails", (1,)),
    ("across diverse populations.^{2,3} Specific interventions", (2, 3)),
    ("the Mindful Self-Compassion (MSC) program^{4,5} have even been designed", (4, 5)),
    ("carried out in community samples⁶⁻⁸ and clinical settings.⁹", (6, 7, 8, 9)),
    ("the emotional demands implicit in their work.^{10,11} This makes", (10, 11)),
    ("they produce benefits in mental health professionals (e.g.,^{12–14}). However,", (12, 13, 14)),
    ("engaging in self-compassionate practices.¹⁵", (15,)),
    ("“practice what is preached”.¹⁶ Here, Bennett-Levy and Finlay-Jones¹⁷ have emphasized", (16, 17)),
    ("the studies by Boellinghaus et al.¹⁸ Bibeau et al.¹⁹ and Rudaz et al.²⁰ in which", (18, 19, 20)),
    ("in the review by Bibeau et al,¹⁹ who state", (19,)),
    ("Eriksson et al²² used a randomized control design.", (22,)),
    ("with face-to-face sessions, 2.5 hours per week.^{3,23} The samples", (3, 23)),
    ("psychology graduate students,¹⁶ psychologists attending graduate courses in clinical and health "
     "psychology,^{3,23} and practicing psychologists.²²", (16, 3, 23, 22)),
    ("Two studies found pre-post improvements,^{3,16} and two studies reported improvements in relation "
     "to the waitlist CG.^{22,23}", (3, 16, 22, 23)),
    ("Several meta-analyses²⁴⁻²⁶ had previously indicated", (24, 25, 26)),
    ("in mental health professionals or trainees.²⁷⁻³² McCade et al²⁹ and Richardson et al³¹ have used "
     "the 19-item Copenhagen Burnout Inventory (CBI)³³ scale", (27, 28, 29, 30, 31, 32, 33)),
    ("Using this scale, Ondrejková and Halamová³⁰ found", (30,)),
    ("positive correlation between self-compassion and mindfulness.^{38,41-43} As expected", (38, 41, 42, 43)),
    ("awareness of the need for self-care in this group.^{27,29-32,39-41,43}", (27, 29, 30, 31, 32, 39, 40, 41, 43)),
    ("in all cases the participants were counselors.^{15,45,46}", (15, 45, 46)),
    ("Here, Beaumont et al^{13,56} found", (13, 56)),
    ("using Compassion Focused Therapy (CFT)^{56,57} and Compassionate Mind Training (CMT).¹³", (56, 57, 13)),
    ("on increasing self-compassion scores has been widely reported.^{48–51,53–55}", (48, 49, 50, 51, 53, 54, 55)),
    ("risks associated with therapeutic work (e.g.^{27–32}).", (27, 28, 29, 30, 31, 32)),
    ("psychological distress (e.g.,^{29,31,38,39}) and positively with well-being.^{27,37}", (29, 31, 38, 39, 27, 37)),
    ("repeatedly appeared in cross-sectional research (e.g.,^{32,37,38,41–43}).", (32, 37, 38, 41, 42, 43)),
    ("experimental and quasi-experimental studies,^{3,16,22,23} who defend", (3, 16, 22, 23)),
    ("frequently mentioned in cross-sectional research's conclusions,^{27,30–32,40,41} especially",
     (27, 30, 31, 32, 40, 41)),
    ("being stronger for older professionals -counselors in this case-.⁴⁰", (40,)),
    ("This effect is not seen as necessarily negative;³ on the contrary", (3,)),
    ("at odds with those of clients (e.g.⁴²).", (42,)),
    ("Finlay-Jones et al¹⁶ found a significant decrease in depression symptoms (using DASS-21) between pre- "
     "and post-training, with gains maintained at 3-month follow-up.", (16,)),
    ("Eriksson et al (2018). ²²\tPracticing psychologists", (22,)),
    ("Ondrejková & Halamová (2022). ³⁰\tHelping professions", (30,)),
    ("Bell et al (2017). ⁶⁸\tN=6. Trainee cognitive-behavioural therapists", (68,)),
    ("Antonio Crego ^{1,*}, José Ramón Yela ^{1,*}, Pablo Riesco-Matías ¹, María-Ángeles Gómez-Martínez ^{1,2}, "
     "Aitor Vicente-Arruebarrena ^{1,2}", ()),
    ("¹Department of Psychology, Universidad Pontificia de Salamanca, Salamanca, Spain; ²Clinical and Health "
     "Psychology Service", ()),
]

# The same review snippets with their markers flattened into plain digits, as a PDF gives them.
FLATTENED_CASES = [case for case in RAISED_CASES if case[1] and "¹Department" not in case[0]]

# Numbers in the review that are not citations, in flattened mode too.
FLATTENED_NON_CITATIONS = [c[0] for c in RAISED_CASES if not c[1]] + [
    "-EG N=37",
    "Pre/post/ follow-up 12 weeks\tSCS PSS AHI DERS DASS-21 Program feedback",
    "SCS-SF; AMS-R; GAD-7; GSE; PHQ-9; PCI; RSES; CIPS",
    "Table 1 summarizes the experimental and quasi-experimental research reviewed.",
    "program lasted for 6 weeks, with participants taking 1 to 2 hour per week",
    "employed the 8-week MSC protocol, with face-to-face sessions, 2.5 hours per week.",
    "the SCS change-scores predicted 41.5% of the variance, and the FFMQ change-scores explained 16.1% of",
    "Thus, 22 studies were finally selected from the initial PsycInfo database search.",
    "practice of 68.2%, high satisfaction with the program (7.7/10), and an average of 3 days per week",
    "Neff KD. The development and validation of a scale to measure self-compassion. *Self Identity*. "
    "2003;2(3):223–250. doi:10.1080/15298860309027",
    "Aitor Vicente-Arruebarrena ^{1,2}\n\n¹Department of Psychology",
]


@pytest.mark.parametrize("snippet", [c[0] for c in RAISED_CASES] + FLATTENED_NON_CITATIONS)
def test_cases_stand_verbatim_in_the_review(snippet: str) -> None:
    assert snippet in REVIEW


@pytest.mark.parametrize(("snippet", "refs"), RAISED_CASES, ids=[c[0][:40] for c in RAISED_CASES])
def test_printed_marker_names_exactly_these_refs(snippet: str, refs: tuple[int, ...]) -> None:
    assert cited_refs(snippet) == refs
    assert cited_refs(snippet, flattened=True) == refs


@pytest.mark.parametrize(("snippet", "refs"), FLATTENED_CASES, ids=[c[0][:40] for c in FLATTENED_CASES])
def test_pdf_flattened_marker_names_the_same_refs(snippet: str, refs: tuple[int, ...]) -> None:
    assert cited_refs(flatten(snippet), flattened=True) == refs


@pytest.mark.parametrize("snippet", FLATTENED_NON_CITATIONS)
def test_numbers_that_are_not_citations_give_nothing(snippet: str) -> None:
    assert cited_refs(snippet) == ()
    assert cited_refs(flatten(snippet), flattened=True) == ()


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        # pypdf on reportlab output glues the digits; some extractors put a space after "et al".
        ("Eriksson et al 22 used a randomized control design.", (22,)),
        ("Eriksson et al (2018).22\tPracticing psychologists", (22,)),
        # The author line of a PDF, marks glued to the names: affiliation marks, not citations.
        ("Antonio Crego1,*, José Ramón Yela1,*, Pablo Riesco-Matías1, María-Ángeles Gómez-Martínez1,2, "
         "Aitor Vicente-Arruebarrena1,2\n1Department of Psychology", ()),
        ("Eriksson et al99 used", ()),
        ("Eriksson et al0 used", ()),
        ("Eriksson et al32–27 used", ()),
        # Known limit: digits glued to an upper-case acronym are not read (they could be "PHQ9").
        ("mindfulness63,65 and LKM61 enhance the professionals' self-compassion.", (63, 65)),
    ],
)
def test_flattened_edge_forms(text: str, refs: tuple[int, ...]) -> None:
    assert cited_refs(text, flattened=True, max_ref=SEED_REFS) == refs


def test_flattened_text_is_not_read_without_flattened_mode() -> None:
    assert cited_refs("Eriksson et al22 used a randomized control design.") == ()


def test_marker_spans_point_at_the_printed_marker() -> None:
    text = "in mental health professionals or trainees.²⁷⁻³² McCade et al²⁹ and mindfulness.^{38,41-43} As"
    markers = find_markers(text)
    assert [m.raw for m in markers] == ["²⁷⁻³²", "²⁹", "^{38,41-43}"]
    assert all(text[m.start:m.end] == m.raw for m in markers)
    assert markers[0] == Marker(start=43, end=48, raw="²⁷⁻³²", refs=(27, 28, 29, 30, 31, 32))


def test_max_ref_bounds_what_a_marker_may_name() -> None:
    assert cited_refs("Eriksson et al²² used", max_ref=20) == ()
    assert cited_refs("Eriksson et al²² used", max_ref=22) == (22,)


@pytest.mark.parametrize(
    ("text", "flattened", "refs"),
    [
        ("Smith et al¹⁰⁵ used", False, (105,)),
        ("as reported.^{98,112–114} Then", False, (98, 112, 113, 114)),
        ("already shown [120, 121] and", False, (120, 121)),
        ("Smith et al105 used", True, (105,)),
        ("Smith et al1000 used", True, ()),  # markers have at most three digits
    ],
)
def test_without_a_known_count_any_plausible_ref_is_read(text: str, flattened: bool, refs: tuple[int, ...]) -> None:
    assert cited_refs(text, flattened=flattened) == refs
    # a marker naming any ref above the count is not a citation at all (a number, a misread)
    assert cited_refs(text, flattened=flattened, max_ref=100) == (refs if max(refs, default=0) <= 100 else ())
    assert max(refs, default=0) <= DEFAULT_MAX_REF


def test_the_review_count_reaches_strip_and_normalise() -> None:
    assert normalise_markers("Smith et al¹⁰⁵ used") == "Smith et al [105] used"
    assert normalise_markers("Smith et al¹⁰⁵ used", max_ref=100) == "Smith et al¹⁰⁵ used"
    assert strip_markers("Smith et al105 used", flattened=True) == "Smith et al used"
    assert strip_markers("Smith et al105 used", flattened=True, max_ref=100) == "Smith et al105 used"


def test_every_reference_is_cited_in_the_body_and_nothing_else() -> None:
    assert set(cited_refs(BODY)) == set(range(1, SEED_REFS + 1))
    assert set(cited_refs(REVIEW)) == set(range(1, SEED_REFS + 1))
    assert set(cited_refs(REVIEW, max_ref=SEED_REFS)) == set(range(1, SEED_REFS + 1))


def test_flattened_review_gives_the_same_markers_but_the_acronym_one() -> None:
    raised = [m.refs for m in find_markers(BODY)]
    flat = [m.refs for m in find_markers(flatten(BODY), flattened=True)]
    lkm = BODY.index("LKM⁶¹")
    expected = [m.refs for m in find_markers(BODY) if m.start != lkm + 3]
    assert len(raised) == 223
    assert flat == expected


def test_flattened_mode_invents_no_marker_in_the_unflattened_review() -> None:
    markers = find_markers(REVIEW, flattened=True)
    assert all(any(c in SUPERSCRIPT_DIGITS or c == "^" for c in m.raw) for m in markers)
    assert [m.refs for m in markers] == [m.refs for m in find_markers(REVIEW)]


@pytest.mark.parametrize(
    ("refs", "expected"),
    [([22], "[22]"), (range(27, 33), "[27–32]"), ([16, 3], "[3, 16]"), ([43, 41, 38, 42, 42], "[38, 41–43]"),
     ([2, 3], "[2, 3]"), ([], "")],
)
def test_format_refs(refs, expected: str) -> None:
    assert format_refs(refs) == expected


def test_superscript_round_trips_through_the_parser() -> None:
    assert superscript("22") == "²²"
    assert superscript("27-32") == "²⁷⁻³²"
    assert cited_refs("burnout." + superscript("27-32") + " McCade") == (27, 28, 29, 30, 31, 32)


@pytest.mark.parametrize(
    ("text", "normalised", "stripped"),
    [
        ("Eriksson et al²² used", "Eriksson et al [22] used", "Eriksson et al used"),
        ("trainees.²⁷⁻³² McCade", "trainees. [27–32] McCade", "trainees. McCade"),
        ("(e.g.,^{12–14}). However", "(e.g., [12–14]). However", "(e.g.,). However"),
        ("mindfulness.^{38,41-43} As", "mindfulness. [38, 41–43] As", "mindfulness. As"),
        ("Eriksson et al (2018). ²²\tPracticing", "Eriksson et al (2018). [22]\tPracticing",
         "Eriksson et al (2018). Practicing"),
        ("Crego ^{1,*}, José", "Crego ^{1,*}, José", "Crego, José"),
        ("already [3, 16] and [27–32] done", "already [3, 16] and [27–32] done", "already and done"),
    ],
)
def test_normalise_and_strip(text: str, normalised: str, stripped: str) -> None:
    assert normalise_markers(text) == normalised
    assert strip_markers(text) == stripped
    assert strip_markers(normalised) == stripped


def test_strip_and_normalise_on_flattened_pdf_text() -> None:
    assert normalise_markers("Eriksson et al22 used", flattened=True) == "Eriksson et al [22] used"
    assert strip_markers("populations.2,3 Specific", flattened=True) == "populations. Specific"


@pytest.mark.parametrize("paragraph", PARAGRAPHS, ids=[f"line{i}" for i in range(len(PARAGRAPHS))])
def test_every_review_paragraph_normalises_without_losing_refs(paragraph: str) -> None:
    normalised = normalise_markers(paragraph)
    assert cited_refs(normalised) == cited_refs(paragraph)
    assert strip_markers(normalised) == strip_markers(paragraph)
    assert not any(c in SUPERSCRIPT_DIGITS for c in strip_markers(paragraph))


_numbers = st.integers(min_value=-5, max_value=1200)
_marker_body = st.lists(
    st.one_of(_numbers.map(str), st.tuples(_numbers, _numbers).map(lambda p: f"{p[0]}-{p[1]}")),
    min_size=1, max_size=4,
).map(",".join)
_marker = st.one_of(
    _marker_body.map(superscript),
    _marker_body.map(lambda b: "^{" + b + "}"),
    _marker_body.map(lambda b: "^{" + b + ",*}"),
    _marker_body.map(lambda b: f"[{b}]"),
    _marker_body,
)
_spliced = st.lists(st.one_of(st.text(max_size=30), _marker, st.sampled_from(PARAGRAPHS[:40])), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), _spliced), flattened=st.booleans(), max_ref=st.integers(0, 100))
def test_any_text_parses_without_crash_or_impossible_refs(text: str, flattened: bool, max_ref: int) -> None:
    markers = find_markers(text, flattened=flattened, max_ref=max_ref)
    assert all(1 <= ref <= max_ref for m in markers for ref in m.refs)
    assert all(0 <= m.start < m.end <= len(text) and text[m.start:m.end] == m.raw for m in markers)
    assert all(1 <= ref <= SEED_REFS for ref in cited_refs(text, flattened=flattened, max_ref=SEED_REFS))
    assert all(1 <= ref <= DEFAULT_MAX_REF for ref in cited_refs(text, flattened=flattened))
    stripped = strip_markers(text, flattened=flattened)
    assert not any(c in SUPERSCRIPT_DIGITS for c in stripped)
    normalise_markers(text, flattened=flattened)
