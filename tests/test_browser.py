"""The page in headless Chromium (Debian's, driven by Playwright): ask, follow a marker to its
source card, switch persona, export, and filter the evidence table. Prints the time from
pressing Send to the answer on screen and saves screenshots to test-artifacts/."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from playwright.sync_api import expect

from _servers import shared_app
from common.settings import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
QUESTION = "Does self-compassion protect therapists against burnout?"


@pytest.fixture(scope="module")
def server(index_settings):
    return shared_app(index_settings.chroma_dir)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url)
    page.get_by_text("every claim carries the review's reference number").wait_for()
    yield page
    context.close()


def _ask(page, question: str) -> float:
    """Types a question, presses Send and returns the seconds until its answer is on screen
    (the sources panel carries the number of the answer it shows)."""
    panel = page.locator("#sources .sources-panel")
    turn = int(panel.get_attribute("data-turn") or 0) if panel.count() else 0
    page.locator("#question textarea").fill(question)
    started = time.perf_counter()
    page.locator("#send").click()
    page.locator(f"#sources .sources-panel[data-turn='{turn + 1}']").wait_for()
    expect(page.locator("#chat").get_by_text("Loading content")).to_have_count(0)
    return time.perf_counter() - started


def test_an_answer_links_its_markers_to_source_cards(page):
    seconds = _ask(page, QUESTION)
    print(f"\nsend-to-answer: {seconds * 1000:.0f} ms")
    ARTIFACTS.mkdir(exist_ok=True)
    marker = page.locator("#chat a[href^='#src-']").first
    marker.wait_for()
    ref = marker.get_attribute("href").removeprefix("#src-")
    card = page.locator(f"#sources #src-{ref}")
    card.wait_for()  # the sources panel renders in the same update, a moment after the chat
    assert card.count() == 1
    card_text = card.inner_text()
    assert re.search(r"doi:10\.|review", card_text), card_text
    assert card.locator("blockquote").inner_text().strip()
    url_before = page.url
    marker.click()
    page.wait_for_timeout(600)
    assert page.url == url_before and len(page.context.pages) == 1  # no navigation, no new tab
    assert card.is_visible()
    page.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)
    assert seconds < 10


def test_an_empty_question_gets_short_help(page):
    page.locator("#send").click()
    page.locator("#notice").get_by_text("Type a question").wait_for()
    assert page.locator("#chat .message").count() == 0


def test_switching_persona_changes_examples_and_the_answer(page):
    page.locator("#persona").get_by_text("researcher", exact=True).click()
    # The researcher's own examples must be shown before one is clicked: the trials question is
    # also an "auto" example, and clicking it while the examples re-render set no question.
    page.get_by_role("button", name="What limitations does the review name?").wait_for()
    example = page.get_by_role("button", name="Which studies were randomized controlled trials?")
    example.wait_for()
    example.click()
    expect(page.locator("#question textarea")).to_have_value(re.compile("randomized"))
    _ask(page, page.locator("#question textarea").input_value())
    bot = page.locator("#chat [data-testid='bot']").last
    assert "Eriksson" in bot.inner_text() or "Studies" in bot.inner_text()
    with page.expect_download() as download_info:
        page.locator("#export-ris").click()
        page.locator("#answer-file a").first.click()
    ris = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert ris.count("TY  - ") >= 1 and ris.count("TY  - ") == ris.count("ER  - ")


def test_the_evidence_table_filters_by_design_outcome_and_text(page):
    page.get_by_role("tab", name="Evidence table").click()
    count = page.locator("#table-count")
    count.get_by_text("studies from the review's Tables").wait_for()
    total = int(re.search(r"(\d+) of (\d+)", count.inner_text()).group(2))
    assert total == 27
    page.locator("#design-filter input").click()
    page.get_by_role("option", name="RCT", exact=True).click()
    page.wait_for_function(
        "t => !document.querySelector('#table-count').innerText.startsWith(t)", arg=f"{total} of"
    )
    shown = int(re.search(r"(\d+) of", count.inner_text()).group(1))
    assert 0 < shown < total
    assert "Eriksson" in page.locator("#evidence-table").inner_text()
    box = page.locator("#table-search textarea, #table-search input").first
    box.click()
    box.press_sequentially("Eriksson", delay=20)  # typed as a user types, key by key
    page.wait_for_function("() => document.querySelector('#table-count').innerText.startsWith('1 of')")
    expect(page.get_by_role("option")).to_have_count(0)
    page.wait_for_timeout(500)  # let the closing dropdown fade out before the screenshot
    page.screenshot(path=str(ARTIFACTS / "evidence-table.png"), full_page=True)


def test_a_follow_up_in_the_chat_uses_the_earlier_question(page):
    _ask(page, "What did the online self-compassion programme for trainees find?")
    _ask(page, "And were the gains kept at follow-up?")
    last = page.locator("#chat [data-testid='bot']").last
    assert re.search(r"follow-?up|maintained", last.inner_text(), re.IGNORECASE)
    assert page.locator("#sources #src-16").count() == 1
    page.locator("#clear").click()
    expect(page.locator("#chat .message")).to_have_count(0)
    assert page.locator("#sources .source-card").count() == 0


def test_the_page_talks_only_to_its_own_server(browser, server):
    from urllib.parse import urlparse

    context = browser.new_context()
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    page.goto(server.url)
    page.get_by_text("every claim carries the review's reference number").wait_for()
    _ask(page, QUESTION)
    page.get_by_role("tab", name="Evidence table").click()
    page.locator("#table-count").get_by_text("studies from the review's Tables").wait_for()
    context.close()
    assert hosts == {urlparse(server.url).netloc}  # no fonts, analytics or CDNs from elsewhere
