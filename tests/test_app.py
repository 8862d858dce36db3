"""The app: its pure rendering, its API surface and states without a server, then the live
app (`python app.py` on a free port over the session's index) driven with gradio_client, as a
script or another tool would use it."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from _servers import shared_app, start_app

FIRST = "What did the online self-compassion programme for trainees find?"
FOLLOW_UP = "And were the gains kept at follow-up?"


@pytest.fixture(scope="module")
def server(index_settings):
    return shared_app(index_settings.chroma_dir)


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False)


@pytest.fixture(scope="module")
def first_answer(client) -> dict:
    return client.predict(FIRST, "educator", [], api_name="/ask")


def _corpus_text(review_text: str) -> str:
    from common.settings import PROJECT_ROOT

    digests = (PROJECT_ROOT / "corpus" / "digests.jsonl").read_text(encoding="utf-8")
    return _flat(review_text + "\n" + digests.replace('\\"', '"'))


def _flat(text: str) -> str:
    """Text without citation markers, spacing or quote-style differences, for 'stands in the corpus'."""
    text = re.sub(r"\^\{[^}]*\}|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+|\[\d+(?:[–,-]\s*\d+)*\]", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def test_markers_link_to_their_source_cards_or_else_to_the_doi():
    from app import link_markers

    text = "Burnout fell [22]; see also [27–32] and [3, 16]. A [link](https://x.org) stays."
    linked = link_markers(text, card_refs={22, 27, 32, 3}, doi_urls={16: "https://doi.org/10.1002/jclp.22375"})
    assert "\\[[22](#src-22)\\]" in linked
    assert "\\[[27](#src-27)–[32](#src-32)\\]" in linked
    assert "\\[[3](#src-3), [16](https://doi.org/10.1002/jclp.22375)\\]" in linked
    assert "[link](https://x.org)" in linked


def test_without_an_index_the_app_says_which_command_fixes_it(tmp_path):
    from app import Backend, build_app
    from common.settings import Settings

    settings = Settings(chroma_dir=tmp_path / "no-index")
    backend = Backend(settings)
    assert "python -m ingest" in backend.status_markdown()
    assert not backend.ready()
    app = build_app(settings, backend)
    public = [fn.api_name for fn in app.fns.values() if fn.api_visibility == "public"]
    assert public == ["ask"]  # every other handler stays out of the API
    assert {fn.api_name for fn in app.fns.values() if fn.api_visibility == "undocumented"} == {
        "export_table_csv", "export_table_bib", "export_table_ris",
    }


def test_launch_options_bind_locally_and_read_the_password(tmp_path):
    from app import launch_options
    from common.errors import EvidenceError
    from common.settings import Settings

    options = launch_options(Settings(chroma_dir=tmp_path))
    assert options["server_name"] == "127.0.0.1" and options["server_port"] == 7860
    assert options["share"] is False and "auth" not in options
    assert launch_options(Settings(chroma_dir=tmp_path, auth="reader:pa:ss"))["auth"] == ("reader", "pa:ss")
    with pytest.raises(EvidenceError):
        launch_options(Settings(chroma_dir=tmp_path, auth="no-colon"))


@pytest.mark.slow
def test_the_api_lists_exactly_one_named_endpoint(client):
    api = client.view_api(return_format="dict", print_info=False)
    assert list(api["named_endpoints"]) == ["/ask"]
    assert api["unnamed_endpoints"] == {}
    parameters = [p["parameter_name"] for p in api["named_endpoints"]["/ask"]["parameters"]]
    assert parameters == ["question", "persona", "history"]


@pytest.mark.slow
def test_ask_returns_the_answer_object_with_quoted_citations(first_answer, review_text):
    assert set(first_answer) >= {"id", "question", "answer", "abstained", "citations", "retrieved", "timings_ms"}
    assert first_answer["question"] == FIRST and not first_answer["abstained"]
    cited = [c["ref"] for c in first_answer["citations"]]
    assert 16 in cited, cited  # Finlay-Jones et al. (2017): Self-Compassion Online
    assert "[16]" in first_answer["answer"]
    corpus = _corpus_text(review_text)
    for citation in first_answer["citations"]:
        assert 0 <= citation["ref"] <= 68 and citation["label"]
        assert citation["quote"].strip(), citation
        assert _flat(citation["quote"])[:60] in corpus, citation["quote"]
    assert len(first_answer["retrieved"]) >= 5


@pytest.mark.slow
def test_a_follow_up_resolves_to_the_study_asked_about_before(client):
    answer = client.predict(FOLLOW_UP, "auto", [FIRST], api_name="/ask")
    assert not answer["abstained"], answer["answer"]
    assert 16 in [c["ref"] for c in answer["citations"]], answer["answer"]
    assert re.search(r"follow-?up|maintained|3-month|12 weeks", answer["answer"], re.IGNORECASE), answer["answer"]


@pytest.mark.slow
def test_defaults_empty_questions_and_out_of_scope_questions(client):
    default = client.predict("Does self-compassion protect therapists against burnout?", api_name="/ask")
    assert not default["abstained"] and default["citations"]
    empty = client.predict("   ", api_name="/ask")
    assert empty["citations"] == [] and "question" in empty["answer"].lower()
    away = client.predict("What is the capital of Australia?", "researcher", [], api_name="/ask")
    assert away["abstained"] and away["citations"] == []


def _downloaded(result) -> str:
    """The text of a file the app returned (as a value, or inside a visibility update)."""
    path = result.get("value") if isinstance(result, dict) else result
    return Path(path).read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_whole_evidence_table_exports_as_ris_and_bibtex(client):
    ris = _downloaded(client.predict(api_name="/export_table_ris"))
    records = [block for block in ris.split("ER  - ") if "TY  - " in block]
    assert len(records) == 27  # every study of Tables 1 to 4
    assert "DO  - 10.3389/fpsyg.2018.02340" in ris  # Eriksson et al. (2018)
    bib = _downloaded(client.predict(api_name="/export_table_bib"))
    keys = re.findall(r"^@\w+\{([^,]+),", bib, re.MULTILINE)
    assert len(keys) == len(records) == len(set(keys))


@pytest.mark.slow
def test_the_server_binds_to_localhost_and_never_logs_questions(server, first_answer):
    assert server.url.startswith("http://127.0.0.1:")
    log = server.log()
    assert FIRST not in log and "online self-compassion programme" not in log


@pytest.mark.slow
def test_a_password_from_settings_guards_the_app_and_its_api(index_settings):
    from gradio_client import Client

    guarded = shared_app(index_settings.chroma_dir, {"EVIDENCE_AUTH": "reader:correct-horse"})
    with pytest.raises(Exception):
        Client(guarded.url, verbose=False).predict("Does self-compassion reduce burnout?", api_name="/ask")
    client = Client(guarded.url, auth=("reader", "correct-horse"), verbose=False)
    answer = client.predict("Does self-compassion reduce burnout?", api_name="/ask")
    assert answer["citations"]


@pytest.mark.slow
def test_on_a_fresh_machine_the_app_builds_its_index_then_answers(tmp_path):
    from gradio_client import Client

    server = start_app(tmp_path / "fresh-chroma")
    try:
        client = Client(server.url, verbose=False)
        deadline = time.monotonic() + 300
        while True:
            try:
                answer = client.predict("Does self-compassion reduce burnout?", api_name="/ask")
                break
            except Exception as error:  # the app answers "still being built" until it is ready
                assert "being built" in str(error) or "index" in str(error).lower(), error
                assert time.monotonic() < deadline, "the index was not built within 300 s"
                time.sleep(2)
        assert answer["citations"]
        log = server.log()
        assert "building it now" in log and "Embedding passages" in log and "Index ready" in log
    finally:
        server.stop()
