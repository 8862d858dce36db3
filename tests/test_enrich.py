"""Online enrichment against a real local HTTP server that replays recorded Crossref, Europe PMC
and OpenAlex responses (tests/data/enrich/): fallbacks, title matching, the cache, resuming,
politeness, and the offline path."""
from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from ingest.enrich import (
    EnrichEndpoints,
    FetchPolicy,
    as_digests,
    fetch_abstracts,
    plain_text,
    text_from_inverted_index,
    write_abstracts,
)
from ingest.chunking import digest_passages
from ingest.loaders import read_digests
from ingest.records import Reference

DATA = Path(__file__).parent / "data" / "enrich"
FAST = FetchPolicy(requests_per_second=1000, timeout=2, max_retries=2, backoff=0.001, max_wait=0.01)

# Route keys: Crossref and OpenAlex by path, Europe PMC by the DOI in its query, the title search by name.
ROUTES = {
    "/crossref/works/10.5555/enrich.001": "crossref_work_001.json",
    "/crossref/works/10.5555/enrich.002": "crossref_work_002_no_abstract.json",
    "/crossref/works/10.5555/enrich.004": "crossref_work_004.json",
    "europepmc:10.5555/enrich.002": "europepmc_core_002.json",
    "/openalex/works/https://doi.org/10.5555/enrich.003": "openalex_work_003.json",
    "crossref-query": "crossref_query_004_match.json",
}


@dataclass
class Recorded:
    path: str
    query: dict[str, list[str]]
    user_agent: str


@dataclass
class ReplayServer:
    """Serves the recorded responses; counts requests; can drop connections after `fail_after`
    requests or answer a path with queued (status, headers) replies first."""

    routes: dict[str, str] = field(default_factory=lambda: dict(ROUTES))
    requests: list[Recorded] = field(default_factory=list)
    fail_after: int | None = None
    queued: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""

    def endpoints(self) -> EnrichEndpoints:
        return EnrichEndpoints(crossref=f"{self.base}/crossref", europepmc=self.base, openalex=f"{self.base}/openalex")

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def key(self, path: str, query: dict[str, list[str]]) -> str:
        if path == "/crossref/works" and "query.bibliographic" in query:
            return "crossref-query"
        if path == "/europepmc/webservices/rest/search":
            return "europepmc:" + query.get("query", [""])[0].removeprefix("DOI:").strip('"')
        return path

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(handler.path)
        path, query = urllib.parse.unquote(parts.path), urllib.parse.parse_qs(parts.query)
        with self.lock:
            if self.fail_after is not None and len(self.requests) >= self.fail_after:
                handler.close_connection = True  # a dropped connection: no status line at all
                return
            self.requests.append(Recorded(path, query, handler.headers.get("User-Agent", "")))
            key = self.key(path, query)
            queued = self.queued.get(key)
            if queued:
                status, headers = queued.pop(0)
                return self.send(handler, status, json.dumps({"status": "error", "message": "slow down"}), headers)
        name = self.routes.get(key)
        if name:
            return self.send(handler, 200, (DATA / name).read_text(encoding="utf-8"))
        if key.startswith("europepmc:"):
            return self.send(handler, 200, (DATA / "europepmc_core_empty.json").read_text(encoding="utf-8"))
        if path.startswith("/openalex/"):
            return self.send(handler, 404, json.dumps({"error": "Not found", "message": "no work with that DOI"}))
        self.send(handler, 404, "Resource not found.", {"Content-Type": "text/plain"})

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json;charset=utf-8")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


@pytest.fixture(autouse=True)
def no_proxy_for_loopback(monkeypatch):
    """urllib honours *_proxy variables; the local replay server must be reached directly."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
def server():
    replay = ReplayServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            replay.answer(self)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    replay.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield replay
    httpd.shutdown()
    httpd.server_close()


def reference(ref: int, doi: str | None, title: str = "A fictional work", truncated: bool = False) -> Reference:
    return Reference(ref=ref, authors="Aalto H", label="Aalto (2018)", year=2018, title=title, journal="",
                     doi=doi, doi_truncated=truncated, text=f"Aalto H. {title}. 2018.")


def run(server, references, tmp_path, **kwargs):
    kwargs = {"contact": None, "progress": False, "policy": FAST, **kwargs}
    return fetch_abstracts(references, cache_dir=tmp_path / "cache", base_urls=server.endpoints(), **kwargs)


SWARM_TITLE = "Swarm prevention by split colonies: a randomized field trial"
ALL_REFS = [reference(1, "10.5555/enrich.001"), reference(2, "10.5555/enrich.002"),
            reference(3, "10.5555/enrich.003"), reference(4, None, SWARM_TITLE), reference(5, "10.5555/enrich.005")]


def test_abstract_comes_from_crossref_as_plain_text(server, tmp_path):
    result = run(server, [reference(1, "10.5555/enrich.001")], tmp_path)
    (abstract,) = result.abstracts
    assert abstract.source == "crossref"
    assert abstract.text.startswith("Background: Rooftop apiaries are spreading")
    assert "Methods: We followed 2 400 marked foragers from n = 36 colonies" in abstract.text
    assert "100 m2" in abstract.text and "1.03–1.15" in abstract.text and "foragers & colony" in abstract.text
    assert "<" not in abstract.text and "Abstract" not in abstract.text
    assert server.paths() == ["/crossref/works/10.5555/enrich.001"]
    assert result.problems == ()


def test_falls_back_to_europe_pmc_then_openalex(server, tmp_path):
    result = run(server, [reference(2, "10.5555/enrich.002"), reference(3, "10.5555/enrich.003")], tmp_path)
    by_ref = {a.ref: a for a in result.abstracts}
    assert by_ref[2].source == "europepmc"
    assert by_ref[2].text.startswith("Objective: To test whether the diversity of pollen")
    assert "identified by rbcL metabarcoding. Results: Colonies" in by_ref[2].text
    assert by_ref[3].source == "openalex"
    assert by_ref[3].text.startswith("Varroa mite loads were counted monthly in 60 urban and 60 rural colonies.")
    assert server.paths() == [
        "/crossref/works/10.5555/enrich.002", "/europepmc/webservices/rest/search",
        "/crossref/works/10.5555/enrich.003", "/europepmc/webservices/rest/search",
        "/openalex/works/https://doi.org/10.5555/enrich.003",
    ]


def test_reference_without_a_doi_is_resolved_by_its_title(server, tmp_path):
    result = run(server, [reference(4, None, SWARM_TITLE), reference(6, "10.5555/enrich", SWARM_TITLE, truncated=True)],
                 tmp_path)
    assert [(a.ref, a.doi, a.source, a.doi_from_title) for a in result.abstracts] == [
        (4, "10.5555/enrich.004", "crossref", True), (6, "10.5555/enrich.004", "crossref", True)]
    assert result.abstracts[0].text.startswith("Sixty colonies were randomly assigned")
    search = next(r for r in server.requests if "query.bibliographic" in r.query)
    assert search.query["rows"] == ["1"] and SWARM_TITLE in search.query["query.bibliographic"][0]


def test_a_search_hit_with_another_title_is_rejected(server, tmp_path):
    server.routes["crossref-query"] = "crossref_query_mismatch.json"
    result = run(server, [reference(4, None, SWARM_TITLE)], tmp_path)
    assert result.abstracts == ()
    (problem,) = result.problems
    assert problem.ref == 4 and "Swarm intelligence for routing delivery drones" in problem.reason
    assert "/crossref/works/10.5555/enrich.099" not in server.paths()


def test_a_truncated_doi_rejects_a_match_outside_its_prefix(server, tmp_path):
    result = run(server, [reference(7, "10.5555/other(19)", SWARM_TITLE, truncated=True)], tmp_path)
    assert result.abstracts == () and result.problems[0].ref == 7


def test_no_abstract_anywhere_is_one_problem_naming_the_doi(server, tmp_path):
    result = run(server, [reference(5, "10.5555/enrich.005")], tmp_path)
    assert result.abstracts == ()
    assert [(p.ref, "doi:10.5555/enrich.005" in p.reason) for p in result.problems] == [(5, True)]


def test_a_second_run_makes_no_request(server, tmp_path):
    first = run(server, ALL_REFS, tmp_path)
    sent = len(server.requests)
    assert first.requests == sent and len(first.abstracts) == 4
    second = run(server, ALL_REFS, tmp_path)
    assert len(server.requests) == sent and second.requests == 0 and second.cache_hits == sent
    assert second.abstracts == first.abstracts and second.problems == first.problems
    offline_replay = run(server, ALL_REFS, tmp_path, online=False)
    assert offline_replay.abstracts == first.abstracts and not offline_replay.offline


def test_an_interrupted_run_resumes_from_its_cache(server, tmp_path):
    clean = run(server, ALL_REFS, tmp_path / "clean")
    total = len(server.requests)
    server.requests.clear()
    server.fail_after = 4  # the service goes away after four answers
    interrupted = run(server, ALL_REFS, tmp_path)
    assert interrupted.offline and len(interrupted.abstracts) < len(clean.abstracts)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 4
    assert not list((tmp_path / "cache").glob("*.part"))
    server.requests.clear()
    server.fail_after = None
    resumed = run(server, ALL_REFS, tmp_path)
    assert len(server.requests) == total - 4 and resumed.cache_hits == 4
    assert [(a.ref, a.source, a.text) for a in resumed.abstracts] == [(a.ref, a.source, a.text) for a in clean.abstracts]
    assert resumed.problems == clean.problems


def test_429_waits_as_retry_after_says_then_succeeds(server, tmp_path):
    server.queued["/crossref/works/10.5555/enrich.001"] = [(429, {"Retry-After": "3"}), (503, {})]
    waits: list[float] = []
    policy = FetchPolicy(requests_per_second=1000, timeout=2, max_retries=3, backoff=0.25, sleep=waits.append)
    result = run(server, [reference(1, "10.5555/enrich.001")], tmp_path, policy=policy)
    assert [a.source for a in result.abstracts] == ["crossref"]
    assert server.paths() == ["/crossref/works/10.5555/enrich.001"] * 3
    assert 3.0 in waits and 0.5 in waits  # Retry-After honoured; then the second backoff step
    assert not any(p.ref == 1 for p in result.problems)


def test_persistent_5xx_is_a_problem_not_an_exception(server, tmp_path):
    server.queued["/crossref/works/10.5555/enrich.001"] = [(500, {})] * 3
    result = run(server, [reference(1, "10.5555/enrich.001")], tmp_path)
    (problem,) = result.problems
    assert problem.ref == 1 and "HTTP 500" in problem.reason and "3 tries" in problem.reason
    assert not result.offline


def test_user_agent_and_mailto_are_sent_but_not_cached(server, tmp_path):
    run(server, ALL_REFS, tmp_path, contact="curator@example.org")
    assert {r.user_agent for r in server.requests} == {"evidence-assistant/0.1 (mailto:curator@example.org)"}
    crossref = [r for r in server.requests if r.path.startswith("/crossref/")]
    assert crossref and all(r.query.get("mailto") == ["curator@example.org"] for r in crossref)
    cached = " ".join(p.read_text(encoding="utf-8") for p in (tmp_path / "cache").glob("*.json"))
    assert "curator@example.org" not in cached
    server.requests.clear()
    run(server, [reference(1, "10.5555/enrich.001")], tmp_path / "anonymous")
    assert server.requests[0].user_agent == "evidence-assistant/0.1" and "mailto" not in server.requests[0].query


def test_offline_reports_a_problem_and_changes_nothing(tmp_path):
    from _servers import free_port

    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    endpoints = EnrichEndpoints(crossref=closed, europepmc=closed, openalex=closed)
    result = fetch_abstracts(ALL_REFS, cache_dir=tmp_path / "cache", contact=None, base_urls=endpoints,
                             progress=False, policy=FAST)
    assert result.abstracts == () and result.offline
    assert result.problems[0].ref is None and result.problems[0].reason.startswith("offline: nothing fetched")
    assert len(result.problems) == 1 and result.requests == 1  # the first refusal stops every other lookup
    assert not (tmp_path / "cache").exists()


def test_online_false_sends_nothing(server, tmp_path):
    result = run(server, ALL_REFS, tmp_path, online=False)
    assert server.requests == [] and result.abstracts == ()
    assert result.problems[0].reason.startswith("offline: nothing fetched")


def test_provenance_survives_into_the_digest_records(server, tmp_path):
    result = run(server, ALL_REFS, tmp_path)
    sources = {a.ref: (a.source, a.source_url) for a in result.abstracts}
    assert sources == {
        1: ("crossref", "https://doi.org/10.5555/enrich.001"),
        2: ("europepmc", "https://europepmc.org/article/MED/40123456"),
        3: ("openalex", "https://openalex.org/W4388000003"),
        4: ("crossref", "https://doi.org/10.5555/enrich.004"),
    }
    for abstract in result.abstracts:
        assert abstract.api_url.startswith(server.base) and abstract.fetched_at.endswith("+00:00")
        assert "not the review" in abstract.provenance
    digests = as_digests(result)
    assert [d.ref for d in digests] == [1, 2, 3, 4]
    assert all(d.found and d.key_findings == () and d.source_url for d in digests)
    assert digests[0].digest == result.abstracts[0].text
    passages = digest_passages(digests, {r.ref: r for r in ALL_REFS})
    assert {p.source for p in passages} == {"abstract"} and {p.study_ref for p in passages} == {1, 2, 3, 4}
    written = write_abstracts(result, tmp_path / "abstracts.jsonl")
    assert read_digests(written) == digests
    first_line = json.loads(written.read_text(encoding="utf-8").splitlines()[0])
    assert first_line["source"] == "crossref" and first_line["provenance"].startswith("abstract of the cited work from Crossref")


def test_rate_limit_spaces_requests_to_one_host(server, tmp_path):
    waits: list[float] = []
    policy = FetchPolicy(requests_per_second=5, timeout=2, sleep=waits.append)
    run(server, [reference(2, "10.5555/enrich.002")], tmp_path, policy=policy)
    assert len(server.requests) == 2 and len(waits) == 1 and 0.15 < waits[0] <= 0.2


def test_inverted_index_round_trips():
    text = "the cat saw the other cat"
    index: dict[str, list[int]] = {}
    for position, word in enumerate(text.split()):
        index.setdefault(word, []).append(position)
    assert text_from_inverted_index(index) == text
    assert text_from_inverted_index(None) == ""


@given(st.text() | st.lists(st.sampled_from(["<jats:p>", "</jats:p>", "<jats:title>", "</h4>", "<", ">", "&amp;", "a", " "])).map("".join))
def test_plain_text_never_leaves_markup_or_breaks_lines(markup):
    text = plain_text(markup)
    assert "\n" not in text and text == text.strip()
    assert "&" in markup or not re.search(r"</?(?:jats:)?(?:p|title|h4)>", text)
