"""The app under load: many gradio_client users at once against a live server, and a stuck
answer that must cost its own request a clear error, never everyone else's turn."""
from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from _servers import free_port, shared_app

USERS = 32
QUESTIONS_EACH = 10
QUESTIONS = (
    "Does self-compassion protect therapists against burnout?",
    "Which studies used the ProQOL?",
    "What did the online self-compassion programme for trainees find?",
    "Which studies were randomized controlled trials?",
    "Which instruments were used to measure burnout?",
    "Is self-compassion linked to compassion fatigue?",
    "How do therapists describe practising self-compassion?",
    "What is self-compassion?",
    "What are the limitations of the cross-sectional studies?",
    "What is the capital of Australia?",
)
STUCK = "A question that never finishes"


def test_an_answer_within_its_time_comes_back_and_a_late_one_is_a_one_line_error():
    from app import AnswerTimeout, answer_within
    from common.errors import EvidenceError

    assert answer_within(5, lambda: "answered") == "answered"
    release = threading.Event()
    started = time.perf_counter()
    with pytest.raises(AnswerTimeout, match=r"longer than 1 s") as timeout:
        answer_within(1, lambda: release.wait(30))
    assert 0.9 < time.perf_counter() - started < 5 and "\n" not in str(timeout.value)
    release.set()

    def broken():
        raise KeyError("a bug deep in the assistant")

    with pytest.raises(EvidenceError, match="server's log") as failure:
        answer_within(5, broken)
    assert "\n" not in str(failure.value) and "KeyError" not in str(failure.value)

    def refused():
        raise EvidenceError("Unknown persona 'wizard'.")

    with pytest.raises(EvidenceError, match="wizard"):
        answer_within(5, refused)


def test_words_stemmed_by_many_users_at_once_get_the_stems_they_get_one_by_one():
    import sys

    import snowballstemmer

    from assistant.retrieve import _fold

    words = [f"{stem}{number}{ending}" for stem in ("compassion", "mindful", "burn", "therap") for number in range(1500)
             for ending in ("ing", "ness")]
    alone = snowballstemmer.stemmer("english")
    expected = {word: alone.stemWord(word) for word in words}
    found: dict[str, str] = {}
    failures: list[str] = []

    def stem(share: list[str]) -> None:
        for word in share:
            try:
                found[word] = _fold(word)
            except Exception as error:  # the race used to raise IndexError
                failures.append(repr(error))

    _fold.cache_clear()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as possible, so a race shows at once
    try:
        threads = [threading.Thread(target=stem, args=(words[start::4],)) for start in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
        _fold.cache_clear()
    assert failures == []
    assert found == expected


def _percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


@pytest.mark.bench  # a load benchmark (`make bench`), timed apart from the tests
def test_32_users_asking_10_questions_each_all_get_answers(index_settings):
    from gradio_client import Client

    from assistant.records import Answer

    server = shared_app(index_settings.chroma_dir)
    Client(server.url, verbose=False).predict(QUESTIONS[0], api_name="/ask")  # warm: models loaded
    # The server is shared: what other tests' requests left in its log is theirs, not this load's.
    log_before = len(server.log())
    seconds: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    everyone_ready = threading.Barrier(USERS)

    def user(number: int) -> None:
        client = Client(server.url, verbose=False)
        everyone_ready.wait()  # all users start asking at the same moment
        for turn in range(QUESTIONS_EACH):
            question = QUESTIONS[(number + turn) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                answer = Answer.model_validate(client.predict(question, "auto", [], api_name="/ask"))
                assert answer.question == question and answer.answer.strip()
            except Exception as error:  # every failure is counted, none stops the run
                with lock:
                    errors.append(f"user {number}, question {turn}: {error!r}"[:300])
            with lock:
                seconds.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(USERS) as pool:
        list(pool.map(user, range(USERS)))
    wall = time.perf_counter() - started
    p50, p95 = _percentile(seconds, 0.50), _percentile(seconds, 0.95)
    print(f"\nload: {USERS} users x {QUESTIONS_EACH} questions = {len(seconds)} requests in {wall:.1f} s "
          f"({len(seconds) / wall:.1f}/s); errors {len(errors)}; p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"max {max(seconds) * 1000:.0f} ms")
    assert len(seconds) == USERS * QUESTIONS_EACH
    assert errors == []
    assert "Traceback" not in server.log()[log_before:]


class StuckOnOneQuestion:
    """The real assistant, except that one question hangs until released (a stand-in for a
    pathological input or a stalled index read)."""

    def __init__(self, assistant, release: threading.Event):
        self._assistant = assistant
        self._release = release

    def ask(self, question, history=(), persona="auto", id=None):
        if question == STUCK:
            self._release.wait(60)
        return self._assistant.ask(question, history, persona, id)

    def __getattr__(self, name):
        return getattr(self._assistant, name)


@pytest.mark.slow
def test_a_stuck_answer_gets_its_own_error_and_never_holds_up_the_others(index_settings, assistant):
    from gradio_client import Client

    from app import ANSWER_CONCURRENCY, Backend, build_app

    timeout = 6.0
    release = threading.Event()
    backend = Backend(index_settings)
    backend.assistant = lambda: StuckOnOneQuestion(assistant, release)
    app = build_app(index_settings, backend, answer_timeout=timeout)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    try:
        url = f"http://127.0.0.1:{port}"
        stuck_client, client = Client(url, verbose=False), Client(url, verbose=False)
        stuck_started = time.perf_counter()
        # As many stuck questions as the queue has slots less one: one slot always stays free.
        stuck_jobs = [stuck_client.submit(STUCK, api_name="/ask") for _ in range(ANSWER_CONCURRENCY - 1)]
        time.sleep(0.5)
        answered_in = []
        for question in QUESTIONS[:4]:
            started = time.perf_counter()
            assert client.predict(question, api_name="/ask")["answer"]
            answered_in.append(time.perf_counter() - started)
        for job in stuck_jobs:
            with pytest.raises(Exception, match=rf"longer than {timeout:.0f} s"):
                job.result(timeout=timeout * 3)
        stuck_seconds = time.perf_counter() - stuck_started
        print(f"\nbeside a stuck answer, others answered in {[round(s, 2) for s in answered_in]} s; "
              f"the stuck one failed after {stuck_seconds:.1f} s")
        assert max(answered_in) < timeout  # nobody waited for the stuck answer
        assert timeout - 0.5 < stuck_seconds < timeout * 2.5
        # Every slot stuck at once: all are freed at the time limit and the next question is answered.
        jobs = [stuck_client.submit(STUCK, api_name="/ask") for _ in range(ANSWER_CONCURRENCY)]
        time.sleep(0.5)
        started = time.perf_counter()
        assert client.predict(QUESTIONS[1], api_name="/ask")["citations"]
        assert time.perf_counter() - started < timeout * 2.5
        for job in jobs:
            with pytest.raises(Exception, match="longer than"):
                job.result(timeout=timeout * 3)
    finally:
        release.set()
        app.close()
