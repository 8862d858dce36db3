"""The evidence model: what the assistant believes about each study, read from any review's own
text, and shown the same way everywhere (answers, the app's table, `assistant studies`)."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from assistant.evidence import evidence_rows
from assistant.studies import AuthorNames, named_studies
from common.settings import PROJECT_ROOT, Settings
from ingest.index import read_corpus
from ingest.tables import DESIGNS

REVIEW2 = PROJECT_ROOT.parent / "shared" / "fixtures" / "review2"
needs_review2 = pytest.mark.skipif(not (REVIEW2 / "review.txt").exists(), reason="shared/fixtures/review2 is not beside the checkout")


@pytest.fixture(scope="module")
def review2():
    return read_corpus(Settings(corpus_dir=REVIEW2, review="review2"))


@needs_review2
def test_review2_reads_its_own_facts_references_and_studies(review2) -> None:
    assert review2.review.title.startswith("Physical Exercise Interventions")
    assert review2.review.doi == "10.5555/jamhr.2023.0117" and review2.review.year == 2023
    assert len(review2.references) == 47 and all(r.doi and r.doi.startswith("10.5555/") for r in review2.references)
    studies = {s.ref: s for s in review2.model.studies if s.in_tables}
    assert sorted(studies) == list(range(18, 46))  # the 28 included studies, from Tables 1 and 2
    assert all(s.design in DESIGNS and s.n for s in studies.values())
    assert (studies[18].design, studies[18].n) == ("RCT", 148)
    assert studies[34].design == "non-randomized trial" and studies[35].design == "pre-post"
    assert studies[37].design == "longitudinal" and studies[41].design == "cross-sectional"
    assert studies[44].design == "qualitative"
    assert {"GDS-15", "SF-36"} <= {i.abbreviation for i in studies[18].instruments}
    assert not [p for p in review2.problems if "reference list" in p]


@needs_review2
def test_the_misprinted_author_still_names_its_study(review2) -> None:
    row = next(r for r in review2.study_records if r.label.startswith("Kowalcyzk"))
    assert row.ref == 19  # the table's misprint carries the study's own reference number
    assert named_studies("What did Kowalcyzk et al (2019) measure?", AuthorNames.of(review2.references))[0] == (19,)
    assert named_studies("What did Kowalczyk et al. find?", AuthorNames.of(review2.references))[0] == (19,)


def test_sample_sizes_that_disagree_between_sources_are_stated(assistant) -> None:
    kotera = assistant.model.study(28)
    assert kotera.n_conflict and "126" in kotera.n_statement() and "110" in kotera.n_statement()
    answer = assistant.ask("How many psychotherapists took part in Kotera's 2021 survey?", persona="researcher")
    assert "126" in answer.answer and "110" in answer.answer and 28 in [c.ref for c in answer.citations]


def test_every_design_label_in_answers_and_in_the_table_is_the_evidence_models(assistant) -> None:
    model = {s.ref: s.design for s in assistant.model.studies}
    rows = evidence_rows(assistant.references, assistant.study_records, assistant.digests)
    assert len(rows) == 27
    for row in rows:
        assert row.design == model[row.ref], row.label
        assert assistant.library.citation(row.ref, "q", "review").study_type == model[row.ref]
    # A controlled trial that was not randomized is never labelled randomized, anywhere.
    assert model[3] == "non-randomized trial" and model[16] == "pre-post"
    answer = assistant.ask("What kind of study was Yela et al. (2020)?", persona="researcher")
    assert "non-randomized trial" in answer.answer and not re.search(r"Yela[^.\n]*\bRCT\b", answer.answer)
    # The label, then the table's own words where they say more ("Yes/partial RCT"), not instead.
    partial = assistant.ask("Jimenez-Gomez et al 2022: how does the review classify the design?", persona="researcher")
    assert f"{model[23]} (partial RCT)" in partial.answer, partial.answer[:400]


@pytest.mark.slow
def test_assistant_studies_prints_what_the_assistant_believes(index_settings) -> None:
    env = {"EVIDENCE_CHROMA_DIR": str(index_settings.chroma_dir), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "assistant", "studies", "--json"], capture_output=True, text=True,
                          env=env, cwd=PROJECT_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-500:]
    studies = {s["ref"]: s for s in json.loads(done.stdout)}
    assert studies[22]["design"] == "RCT" and studies[22]["n"] == 81
    assert {i["abbreviation"] for i in studies[22]["instruments"]} == {"SCS", "FFMQ", "PSS", "SMBQ"}


@needs_review2
def test_a_list_of_alternative_settings_takes_the_studies_of_each_of_them(review2) -> None:
    from assistant.facets import match_studies

    digests = {d.ref: d for d in review2.digests}
    asked = match_studies("Which studies were done in nursing homes, long-term care or assisted living?", (),
                          review2.model.studies, digests)
    assert {25, 28, 35} <= set(asked.refs)  # one study per setting the question names
    home = match_studies("Which exercise programmes were done at home rather than in a group?", (),
                         review2.model.studies, digests)
    assert {21, 24, 36} & set(home.refs) and 18 not in home.refs  # 18: supervised group walking only


def test_an_abbreviation_that_is_also_a_common_word_counts_only_in_capitals() -> None:
    from assistant.query import expand_terms, named_entities

    glossary = {"OR": "odds ratio", "MSC": "Mindful Self-Compassion"}
    assert "odds ratio" not in expand_terms("nursing homes or assisted living", glossary, {})
    assert "odds ratio" in expand_terms("what was the OR for walking?", glossary, {})
    assert named_entities("did msc help?", glossary) == ("MSC",)  # typed in lower case, still the programme


@needs_review2
def test_a_list_of_studies_that_found_no_benefit_or_harm_follows_their_primary_outcome(review2) -> None:
    from assistant.facets import match_studies

    digests = {d.ref: d for d in review2.digests}
    asked = match_studies("Which studies found no benefit, or even harm, from exercise on depressive symptoms?", (),
                          review2.model.studies, digests, topic=" ".join((review2.review.title, *review2.review.keywords)))
    # Tables 1-2: null primary outcomes (27, 29, 33, 36), the trial favouring its control (25), the null cohort (39).
    assert set(asked.refs) == {25, 27, 29, 33, 36, 39}


@needs_review2
def test_a_design_set_aside_is_not_the_design_asked_for(review2) -> None:
    from assistant.facets import match_studies

    digests = {d.ref: d for d in review2.digests}
    studies = [s for s in review2.model.studies if s.in_tables]
    # "other than the RCTs": every other design that used the scale, no randomized trial.
    others = match_studies("Which studies other than the RCTs used the GDS-15?", (), studies, digests)
    assert others.refs and all(review2.model.study(r).design != "RCT" for r in others.refs), others
    # "any trials, not just surveys": the trials, not the surveys the asker has seen.
    trials = match_studies("Are there any trials of tai chi, not just surveys?", (), studies, digests)
    assert trials.refs and all(review2.model.study(r).design != "cross-sectional" for r in trials.refs), trials


@needs_review2
def test_a_region_takes_the_studies_whose_country_lies_in_it(review2) -> None:
    from assistant.facets import match_studies

    digests = {d.ref: d for d in review2.digests}
    studies = [s for s in review2.model.studies if s.in_tables]
    asia = {"China", "Japan", "Singapore", "South Korea", "Taiwan", "India"}
    asked = match_studies("Which of the included studies were done in Asia?", (), studies, digests)
    # The country column, or the sample's description where the table gives no country ("adults ≥65 (Japan)").
    assert set(asked.refs) == {s.ref for s in studies if s.country in asia or any(f"({c}" in s.population for c in asia)}, asked
    americas = match_studies("any trials from South America?", (), studies, digests)
    assert americas.refs and all(review2.model.study(r).country in ("Brazil", "Chile") or "Chile" in review2.model.study(r).population
                                 for r in americas.refs)
    # "South African" names a country, not the region Africa: no narrowing to Africa.
    from assistant.facets import _region_condition

    assert _region_condition("The South African cohort found no link", digests) is None
    assert _region_condition("any studies from Africa?", digests) is not None


def test_two_authors_named_in_order_name_the_paper_they_lead() -> None:
    from ingest.records import Reference

    # Two papers of one year by the same pair, in either order: the order written is the order printed.
    references = [Reference(ref=n, authors=a, label=f"{a.split()[0]} & {a.split()[2]} (2013)", year=2013, title="t",
                            journal="j", doi=None, doi_truncated=False, text="x")
                  for n, a in ((1, "Moreau A, Li B"), (2, "Li B, Moreau A"))]
    names = AuthorNames.of(references)
    assert named_studies("What did Moreau & Li 2013 find?", names)[0] == (1,)
    assert named_studies("What did Li and Moreau (2013) find?", names)[0] == (2,)
    assert set(named_studies("What did Moreau et al. find?", names)[0]) == {1}


def test_one_author_named_with_two_years_names_both_studies() -> None:
    from ingest.records import Reference

    references = [Reference(ref=n, authors=a, label=f"{a.split()[0]} et al. ({y})", year=y, title="t", journal="j",
                            doi=None, doi_truncated=False, text="x")
                  for n, a, y in ((1, "Moreau A, Li B", 2015), (2, "Moreau A, Li B", 2017), (3, "Moreau A, Li B", 2019))]
    question = "Compare Moreau et al. 2015 (a survey) and 2017 (an online course) on stress."
    assert named_studies(question, AuthorNames.of(references))[0] == (1, 2)
    assert named_studies("What did Moreau et al. (2019) find?", AuthorNames.of(references))[0] == (3,)


def test_what_each_instrument_measured_is_read_from_the_reviews_own_sentences() -> None:
    from ingest.evidence_model import instrument_constructs
    from ingest.records import Passage, Sentence

    sentences = (
        "Health-related quality of life, where reported, was usually measured with the SF-36 Health Survey.",
        "Anxiety was assessed using the Generalized Anxiety Disorder scale.",
        "Both groups showed a decrease in depression symptoms (using BDI).",
        "Mindfulness was measured in the trainings where this variable was measured with the FFMQ.",
    )
    passage = Passage(passage_id="p", source="review", kind="prose", section="Methods", text=" ".join(sentences),
                      sentences=tuple(Sentence(text, ()) for text in sentences))
    glossary = {"SF-36": "Short Form-36", "GAD-7": "Generalized Anxiety Disorder scale", "BDI": "Beck Depression Inventory",
                "FFMQ": "Five Facet Mindfulness Questionnaire"}
    assert instrument_constructs([passage], glossary) == {
        "SF-36": "health-related quality of life", "GAD-7": "anxiety", "BDI": "depression symptoms"}


@needs_review2
def test_a_list_question_naming_what_an_instrument_measured_finds_the_studies_that_used_it(review2) -> None:
    from assistant.facets import match_studies

    users = {s.ref for s in review2.model.studies if any(i.abbreviation == "SF-36" for i in s.instruments)}
    assert len(users) >= 5 and all(i.measures for s in review2.model.studies for i in s.instruments if i.abbreviation == "SF-36")
    found = match_studies("Which studies measured quality of life?", (), review2.model.studies, {})
    assert users <= set(found.refs), (sorted(users), found.refs)


@pytest.mark.parametrize("heading, role", [
    ("Type of study", "design"), ("Study design", "design"), ("Tools used", "measures"), ("Questionnaires", "measures"),
    ("Outcome measures", "measures"), ("Exposure", "intervention"), ("Participants (n)", "n"), ("Setting", "country"),
])
def test_a_tables_column_is_read_by_what_its_heading_names(heading: str, role: str) -> None:
    from ingest.tables import column_roles

    assert column_roles(("Study", heading, "Main findings")) == ("study", role, "findings")


def test_a_results_section_named_research_is_no_methods_section() -> None:
    from ingest.evidence_model import _kind

    # "Research" holds the letters of "search": the seed review's results subsections were once
    # read as its methods, and their findings as what was done rather than found.
    assert _kind("Cross-Sectional Research", "Self-compassion correlated negatively with burnout.") == "results"
    assert _kind("Materials and Methods", "Two reviewers extracted the data independently.") == "methods"
    assert _kind("Literature Search", "Two reviewers extracted the data independently.") == "methods"


@needs_review2
def test_what_the_asker_says_of_themselves_does_not_pick_the_listed_studies(review2) -> None:
    from assistant.facets import match_studies

    digests = {d.ref: d for d in review2.digests}
    plain = match_studies("Which studies were done in nursing homes, long-term care or assisted living?", (),
                          review2.model.studies, digests)
    scene = match_studies("I run group walking classes for people with depression. "
                          "Which studies were done in nursing homes, long-term care or assisted living?", (),
                          review2.model.studies, digests)
    assert set(scene.refs) == set(plain.refs)


@needs_review2
def test_a_study_line_adds_the_columns_the_question_asks_for(review2) -> None:
    from assistant.compose import asked_cells

    record = next(r for r in review2.study_records if "intervention" in r.roles and "country" in r.roles)
    by_heading = dict(asked_cells(record, "Which intervention did each trial use, and in which country?"))
    assert {"Intervention", "Country"} <= set(by_heading), by_heading
    assert by_heading["Country"] == record.cell("country")
    # "delivery format" names no heading but asks for the programme; the line's own columns are not repeated.
    assert "Intervention" in dict(asked_cells(record, "What delivery format did they use?"))
    assert not asked_cells(record, "What did they find and which measures did they use?")


@needs_review2
def test_a_programme_length_in_a_list_question_takes_the_studies_that_state_it(review2) -> None:
    from assistant.facets import match_studies

    digests = {d.ref: d for d in review2.digests}
    studies = [s for s in review2.model.studies if s.in_tables]
    longest = match_studies("Which studies ran for 24 weeks?", (), studies, digests)
    assert set(longest.refs) == {s.ref for s in studies if "24 week" in s.duration or "24-week" in s.intervention}, longest
    # A follow-up's length is no programme length.
    followed = match_studies("which trials had a 6-month follow-up?", (), studies, digests)
    assert not any("6 month" in review2.model.study(r).duration for r in followed.refs) or followed.refs


@needs_review2
def test_a_study_named_by_its_co_authors_is_found(review2) -> None:
    from assistant.studies import author_surnames

    names = AuthorNames.of(review2.references)
    several = next(r for r in review2.references if len(author_surnames(r.authors)) >= 3)
    second, third = author_surnames(several.authors)[1:3]
    found, unknown = named_studies(f"What did {second} and {third} ({several.year}) find?", names)
    assert several.ref in found and not unknown, (several.label, found, unknown)


@needs_review2
def test_a_surname_with_one_of_its_years_unbracketed_names_the_study(review2) -> None:
    names = AuthorNames.of(review2.references)
    first, second = [r for r in review2.references if r.year and " et al" in r.label][:2]
    one, other = (r.label.split(" et al")[0] for r in (first, second))
    found, unknown = named_studies(f"{one} {first.year} vs {other} {second.year} - how do their findings line up?", names)
    assert {first.ref, second.ref} <= set(found) and not unknown, (found, unknown)
    # A year that is none of that surname's is no mention of it; nor is a bare year.
    assert named_studies(f"Since {first.year}, what has changed?", names) == ((), ())


def test_a_follow_up_is_read_only_where_the_text_states_one_or_its_absence() -> None:
    from ingest.evidence_model import _follow_up

    assert _follow_up("Pre/post/ follow-up 12 weeks") == "follow-up 12 weeks"
    assert _follow_up("reported at a 6-month follow-up.") == "6-month follow-up"
    assert _follow_up("No follow-up beyond post-test is reported.") == "No follow-up"
    assert _follow_up("one month after it ended (follow-up). Participants improved") == "one month after it ended (follow-up)"
    # The word alone states no follow-up.
    assert _follow_up("The association held when events in the first year of follow-up were excluded.") == ""
    assert _follow_up("The abstract does not report effect sizes or follow-up beyond post-test.") == ""


def test_a_table_instruments_variant_takes_the_name_of_the_abbreviation_it_varies() -> None:
    from ingest.chunking import glossary_name

    glossary = {"BLRI": "Barrett-Lennard Relationship Inventory-Client Form", "CES-D": "Center for Epidemiologic Studies Depression Scale",
                "SCS": "Self-Compassion Scale", "SCS-SF": "Self-Compassion Scale - Short Form"}
    assert glossary_name("BLRI-CF", glossary) == glossary["BLRI"]
    assert glossary_name("CES-D ≥16", glossary) == glossary["CES-D"]
    assert glossary_name("SCS-SF", glossary) == glossary["SCS-SF"]  # its own entry first
    assert glossary_name("SCSX", glossary) is None and glossary_name("BFI-N", glossary) is None


def test_a_possessive_name_with_a_year_names_its_study_beside_another_named_study(assistant) -> None:
    # Two papers share "Beaumont et al. (2016)": the words after that name ("survey of student
    # counsellors") tell them apart, and "Fulton's 2018 study" is Fulton's paper of 2018.
    question = ("How do Beaumont et al.'s 2016 survey of student counsellors and Fulton's 2018 study of counselling "
                "interns differ on whether self-compassion goes together with compassion for others?")
    beaumont = {s.ref for s in assistant.model.studies if s.label.startswith("Beaumont") and s.year == 2016}
    fulton = {s.ref for s in assistant.model.studies if s.label.startswith("Fulton") and s.year == 2018}
    assert len(beaumont) == 2 and len(fulton) == 1
    assert named_studies("What did Fulton's 2018 study find?", assistant.authors)[0] == tuple(fulton)
    cited = {c.ref for c in assistant.ask(question, persona="researcher").citations}
    assert fulton <= cited and len(beaumont & cited) == 1


def test_a_shared_name_beside_another_study_means_the_paper_the_search_finds_for_the_topic(assistant) -> None:
    # "Beaumont et al. (2016)" fits a survey [27] and a workshop evaluation [56]; nothing between
    # the two names describes it, so the paper whose passages answer the topic is the one meant.
    answer = assistant.ask("Contrast Beaumont et al. (2016) with Yip et al. (2017): is self-compassion tied to "
                           "compassion towards others in each?", persona="researcher")
    cited = {c.ref for c in answer.citations}
    assert {27, 32} <= cited and 56 not in cited, answer.answer[:400]


def test_works_named_together_each_get_their_own_sentence(assistant) -> None:
    # Two earlier reviews, neither an included study: each named work is answered, not only the first found.
    answer = assistant.ask("Earlier reviews by Boellinghaus (2014) and Bibeau (2016): what did each one conclude?",
                           persona="researcher")
    assert {18, 19} <= {c.ref for c in answer.citations}, answer.answer[:400]


def test_when_a_study_was_measured_is_its_follow_up_not_how_long_its_programme_ran(assistant) -> None:
    # The seed review's Table 1 column "Time of measure" ("Pre/post/ follow-up 12 weeks") times the
    # measurements; Table 4's "Duration of training" ("4 weeks") is how long the programme ran.
    studies = {s.ref: s for s in assistant.model.studies}
    assert not any(re.search(r"pre/?post", s.duration, re.IGNORECASE) for s in studies.values())
    assert "12 weeks" in studies[16].follow_up and "12" not in studies[16].duration
    assert studies[68].duration == "4 weeks"


def test_a_programme_length_no_table_gives_is_read_from_its_description(assistant) -> None:
    # Table 1 has no duration column; Yela et al.'s abstract says "an 8-week MSC programme" and the
    # programme name of Finlay-Jones et al. (2017) "6-week". A survey ran no programme.
    studies = {s.ref: s for s in assistant.model.studies}
    assert studies[3].duration == "8-week" and studies[16].duration == "6-week"
    assert all(s.duration == "" for s in studies.values() if s.design == "cross-sectional")
    answer = assistant.ask("How long did the MSC programme run in Yela et al. 2020 and in Finlay-Jones et al. 2017, each?",
                           persona="researcher")
    assert "8-week" in answer.answer and "6-week" in answer.answer, answer.answer[:800]


def test_a_list_of_the_studies_using_a_method_of_analysis_reads_the_tables_own_words(assistant) -> None:
    # Quaglia et al.'s row says "Thematic analysis (Braun & Clarke, 2006)" only in its Method
    # column, which the evidence model did not keep: the list missed it.
    assert assistant.model.study(46).method.startswith("Thematic analysis")
    answer = assistant.ask("which studies used thematic analysis?", persona="researcher")
    assert {46, 67} <= {c.ref for c in answer.citations}, answer.answer[:300]
