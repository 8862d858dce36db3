"""The Gradio app: a thin surface over `assistant`. Chat with a persona, a sources panel with
the supporting quote of every cited work, the evidence table, exports, and one API endpoint
(`/ask`) that returns the answer object of DESIGN.md.

Privacy: analytics are off, the server binds to settings.host (127.0.0.1 by default), question
text is never logged, and settings.auth ("user:password") puts a login in front of everything."""
from __future__ import annotations

import os

# Set before gradio is imported: it reads these at import time.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import html
import json
import logging
import re
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, TimeoutError as FutureTimeout
from pathlib import Path

import gradio as gr

from assistant import exports
from assistant.evidence import (
    ANY,
    EvidenceRow,
    design_choices,
    evidence_rows,
    filter_rows,
    instrument_choices,
    outcome_choices,
    study_facts,
)
from assistant.records import Answer
from common.errors import EvidenceError, IndexMissingError
from common.settings import Settings, get_settings

log = logging.getLogger("evidence.app")

PERSONAS = ("auto", "therapist", "educator", "researcher")


def example_questions(keywords: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Example questions for each persona, made from the review's own keywords (the topic first,
    then what it is studied with); questions any review answers when it states none."""
    topic = keywords[0] if keywords else "the main topic"
    second = keywords[1] if len(keywords) > 1 else topic
    third = keywords[2] if len(keywords) > 2 else second
    return {
        "auto": (f"What does the review conclude about {topic}?", f"What did the studies find about {third}?",
                 "Which studies were randomized controlled trials?"),
        "therapist": (f"In plain words, does {topic} help with {third}?", f"Are there any downsides to {topic}?",
                      f"How strong is the evidence on {topic}?"),
        "educator": (f"For a slide: what is {topic}, and what did the review find?",
                     "How many studies did the review include, and of what kinds?",
                     f"What are the review's main conclusions about {second}?"),
        "researcher": ("Which studies were randomized controlled trials?", f"Which instruments were used to measure {third}?",
                       "What limitations does the review name?"),
    }


def review_front(settings: Settings) -> tuple[str, tuple[str, ...]]:
    """The review's title and keywords as ingest recorded them (empty before the first ingest)."""
    from ingest.index import model_dir  # imported when the app is built, as the other index helpers are

    path = model_dir(settings) / "review.json"
    try:
        review = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", ()
    return str(review.get("title") or ""), tuple(str(k) for k in review.get("keywords") or ())


FIX_COMMAND = "python -m ingest"
EMPTY_HELP = "Type a question about the review and the studies it cites, or pick an example below."
# A marker such as [22], [27–32] or [3, 16]; never the text of a Markdown link.
_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[–,-]\s*\d{1,3})*)\](?!\()")
_MARKER_NUMBER = re.compile(r"\d{1,3}")
TABLE_COLUMNS = ("Ref", "Study", "Year", "Design", "Sample", "N", "Instruments", "Main findings", "DOI")
TABLE_TYPES = ("number", "str", "number", "str", "str", "str", "str", "str", "markdown")
FINDINGS_SHOWN = 320  # characters of a row's findings in the table; exports carry them whole

# The queue, chosen for a small shared server: an answer is CPU work of ~20–100 ms on one torch
# thread, so two run at once (one a core on a 2-core machine; more only share the same cores more
# slowly), and two slots mean one slow request never holds up everyone. Up to QUEUE_SIZE requests
# wait their turn (32 users asking at once wait about a second); past that the queue refuses at
# once instead of making everyone wait minutes. Raise ANSWER_CONCURRENCY with the cores.
ANSWER_CONCURRENCY = 2
QUEUE_SIZE = 256
# An answer still running after this long is given up, with a one-line error for that request
# alone; its slot goes back to the queue (Python cannot kill the thread, which finishes unseen).
ANSWER_TIMEOUT_SECONDS = 20.0
# The assistant reads a question's first max_question_chars and a chat's last two questions;
# anything beyond these generous bounds is dropped at the door, where it would only cost time.
QUESTION_CHARS_FACTOR = 2
HISTORY_KEPT = 8

CSS = """
.status-box p { margin: 0; }
.status-warning { border-left: 4px solid #d97706; padding: 6px 10px; background: #fffbeb; }
.sources-panel { max-height: 640px; overflow-y: auto; }
.source-card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 12px; margin: 0 0 10px 0; background: #fff; }
.source-card.earlier { background: #f9fafb; }
.source-card.flash { box-shadow: 0 0 0 3px #14b8a6; }
.source-card .card-head { font-weight: 600; margin-bottom: 4px; }
.source-card .ref-num { color: #0f766e; margin-right: 4px; }
.source-card blockquote { margin: 6px 0; padding: 4px 10px; border-left: 3px solid #14b8a6; color: #374151; font-size: 0.92em; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 8px; margin: 0 4px 2px 0; font-size: 0.78em; background: #eef2ff; color: #3730a3; }
.badge.design { background: #ccfbf1; color: #115e59; }
.badge.n { background: #fef3c7; color: #92400e; }
.badge.from { background: #f3f4f6; color: #374151; }
.sources-note { color: #4b5563; font-size: 0.9em; }
.chat-notice p { margin: 2px 0; color: #92400e; }
#evidence-table .table-wrap * { font-family: var(--font); }
#evidence-table .virtual-row, #evidence-table .body-cell, #evidence-table .prose { font-size: 0.92em; }
#evidence-table .body-cell .cell-wrap, #evidence-table td .cell-wrap { align-items: flex-start; }
"""
# Reference markers link to their source card; a click scrolls the sources panel instead of
# navigating, since the cards live in a scrollable panel and not in the page's own flow.
JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#src-"]');
    if (!link) return;
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) return;
    event.preventDefault();
    event.stopPropagation();
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    card.classList.add('flash');
    setTimeout(() => card.classList.remove('flash'), 1600);
  }, true);
}
"""


class Backend:
    """The app's one link to the assistant: whether the index is ready, building or missing,
    and the assistant and evidence table once it is."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.building = False
        self.progress = (0, 0)
        self.problem: str | None = None
        self._rows: list[EvidenceRow] | None = None

    def assistant(self):
        """The loaded assistant; raises IndexMissingError (with the fixing command) otherwise."""
        if self.building:
            done, total = self.progress
            raise IndexMissingError(f"The index is still being built ({done} of {total or '…'} passages); try again in a moment.")
        from assistant.service import get_assistant

        try:
            assistant = get_assistant(self.settings)
        except EvidenceError as error:
            self.problem = str(error)
            raise
        self.problem = None
        return assistant

    def ready(self) -> bool:
        try:
            self.assistant()
        except EvidenceError:
            return False
        return True

    def rows(self) -> list[EvidenceRow]:
        if self._rows is None:
            assistant = self.assistant()
            self._rows = evidence_rows(assistant.references, assistant.study_records, assistant.digests)
        return self._rows

    def facts(self, ref: int) -> tuple[str | None, str | None]:
        """A cited work's design and N for its source card."""
        assistant = self.assistant()
        return study_facts(ref, assistant.study_records, assistant.digests)

    def doi_urls(self) -> dict[int, str]:
        """Each reference's DOI link, for markers that have no source card."""
        return {r.ref: r.url for r in self.assistant().references if r.url and not r.doi_truncated}

    def status_markdown(self) -> str:
        if self.building:
            done, total = self.progress
            share = f" — {done} of {total} passages embedded" if total else ""
            return f"**Building the index…** (first start, about a minute){share}. Questions work once it is ready."
        if self.ready():
            assistant = self.assistant()
            review = assistant.library.review
            return (f"Answers come from {review.label or 'the review'} (*{review.title}*) and digests of its {len(assistant.references)} cited works; "
                    "every claim carries the review's reference number.")
        fix = "" if FIX_COMMAND in (self.problem or "") else f" Run `{FIX_COMMAND}` in the project folder."
        return f"⚠ **No usable index.** {self.problem}{fix} Then restart the app."

    def build_in_background(self) -> threading.Thread:
        """Builds the missing index in a thread, with a console progress bar and page status."""
        from ingest.index import build_index

        def on_batch(done: int, total: int) -> None:
            self.progress = (done, total)

        def run() -> None:
            from assistant.service import get_assistant

            try:
                summary = build_index(self.settings, progress=True, on_batch=on_batch)
                print(summary.describe(), file=sys.stderr)
                get_assistant(self.settings)  # loaded before the first question is let through
                print("Index ready: the app answers questions now.", file=sys.stderr)
            except EvidenceError as error:
                self.problem = str(error)
                print(f"error: {error}", file=sys.stderr)
            finally:
                self.building = False

        self.building = True
        thread = threading.Thread(target=run, name="build-index", daemon=True)
        thread.start()
        return thread


def link_markers(markdown: str, card_refs: set[int], doi_urls: dict[int, str]) -> str:
    """Reference markers as links: to the source card when the panel has one, else to the DOI."""

    def link_number(match: re.Match[str]) -> str:
        ref = int(match.group(0))
        if ref in card_refs:
            return f"[{ref}](#src-{ref})"
        if ref in doi_urls:
            return f"[{ref}]({doi_urls[ref]})"
        return match.group(0)

    def link_marker(match: re.Match[str]) -> str:
        return "\\[" + _MARKER_NUMBER.sub(link_number, match.group(1)) + "\\]"

    return _MARKER.sub(link_marker, markdown)


def source_card(citation: dict, facts: tuple[str | None, str | None], earlier: bool = False) -> str:
    """One cited work as an HTML card with an anchor the markers link to."""
    ref = int(citation["ref"])
    design, n = facts
    design = citation.get("study_type") or design
    where = "the review" if citation.get("source") == "review" else "abstract digest"
    badges = "".join([
        f'<span class="badge design">{html.escape(design)}</span>' if design else "",
        f'<span class="badge n">N = {html.escape(n)}</span>' if n else "",
        f'<span class="badge from">quote from {where}</span>',
    ])
    doi, url = citation.get("doi"), citation.get("url")
    link = (f'<a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">doi:{html.escape(doi or url)}</a>'
            if url else "")
    number = "review" if ref == 0 else str(ref)
    return (
        f'<div class="source-card{" earlier" if earlier else ""}" id="src-{ref}">'
        f'<div class="card-head"><span class="ref-num">[{number}]</span>{html.escape(citation["label"])}</div>'
        f"<div>{badges}</div>"
        f'<blockquote>{html.escape(citation["quote"])}</blockquote>{link}</div>'
    )


def sources_html(
    answer: dict | None, earlier: list[dict], facts: Callable[[int], tuple[str | None, str | None]], turn: int = 0,
) -> str:
    """The sources panel: the current answer's cited works, then those cited earlier in the chat;
    `turn` (the answer's number in the chat) tells scripts and tests which answer it shows."""
    if answer is None:
        return '<p class="sources-note">Sources of an answer appear here: each cited study with its design, N, DOI and the sentence that supports the claim.</p>'
    parts: list[str] = []
    if answer.get("abstained"):
        parts.append('<p class="sources-note"><strong>No sources:</strong> the review and the abstracts it cites do not answer this question.</p>')
    elif not answer.get("citations"):
        parts.append('<p class="sources-note">This reply cites no sources.</p>')
    for citation in answer.get("citations", []):
        parts.append(source_card(citation, facts(int(citation["ref"]))))
    current = {int(c["ref"]) for c in answer.get("citations", [])}
    older = [c for c in earlier if int(c["ref"]) not in current]
    if older:
        parts.append('<p class="sources-note">Cited earlier in this chat:</p>')
        parts += [source_card(c, facts(int(c["ref"])), earlier=True) for c in older]
    total = answer.get("timings_ms", {}).get("total")
    if total is not None:
        parts.append(f'<p class="sources-note">Answered in {total:.0f} ms from {len(answer.get("retrieved", []))} passages.</p>')
    return f'<div class="sources-panel" data-turn="{turn}">' + "".join(parts) + "</div>"


def table_cells(row: EvidenceRow) -> list:
    """A study as the evidence table shows it, in TABLE_COLUMNS order; the DOI is a link."""
    findings = row.findings if len(row.findings) <= FINDINGS_SHOWN else row.findings[:FINDINGS_SHOWN].rsplit(" ", 1)[0] + " …"
    return [
        row.ref, row.label, row.year or "", row.design, row.sample, row.n, ", ".join(row.instruments), findings,
        f"[{row.doi}]({row.url})" if row.doi and row.url else "",
    ]


def _write_download(name: str, text: str) -> str:
    """Writes an export to a fresh temporary folder (one per export, so users never collide)."""
    folder = Path(tempfile.mkdtemp(prefix="evidence-export-"))
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def _tables_named(rows) -> str:
    """"Tables 1–4" (or "Table 2", "Tables 1, 3") from the tables the rows come from."""
    numbers = sorted({int(n) for row in rows for n in re.findall(r"\d+", row.table)})
    if not numbers:
        return "tables"
    if len(numbers) == 1:
        return f"Table {numbers[0]}"
    consecutive = numbers == list(range(numbers[0], numbers[-1] + 1))
    return f"Tables {numbers[0]}–{numbers[-1]}" if consecutive else "Tables " + ", ".join(map(str, numbers))


class AnswerTimeout(EvidenceError):
    pass


def answer_within(seconds: float, ask: Callable[[], Answer]) -> Answer:
    """`ask()` in a thread of its own, waited for at most `seconds`: its answer, its EvidenceError,
    AnswerTimeout when it takes longer, or a one-line EvidenceError for an unexpected failure
    (logged with its traceback, never with the question)."""
    result: Future[Answer] = Future()

    def run() -> None:
        try:
            result.set_result(ask())
        except BaseException as error:  # handed to the waiting request, which decides what the user sees
            result.set_exception(error)

    threading.Thread(target=run, name="answer", daemon=True).start()
    try:
        return result.result(timeout=seconds)
    except FutureTimeout:
        log.warning("an answer took longer than %.0f s and was given up", seconds)
        raise AnswerTimeout(f"This question took longer than {seconds:.0f} s to answer and was given up; "
                            "please ask it again, or ask a shorter question.") from None
    except EvidenceError:
        raise
    except Exception as error:
        log.error("answer failed: %s\n%s", type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
        raise EvidenceError("The assistant failed on this question (the error is in the server's log); "
                            "please rephrase it or try again.") from None


def bounded_request(question: object, persona: object, history: object, max_question_chars: int) -> tuple[str, str, list[str]]:
    """An API request checked for types and cut to what the assistant can use; a wrong type is
    an EvidenceError that names the field."""
    if question is not None and not isinstance(question, str):
        raise EvidenceError("`question` must be text.")
    if persona is not None and not isinstance(persona, str):
        raise EvidenceError(f"`persona` must be one of: {', '.join(PERSONAS)}.")
    if history is not None and (not isinstance(history, (list, tuple)) or not all(isinstance(h, str) for h in history)):
        raise EvidenceError("`history` must be a list of the chat's earlier questions, as text.")
    limit = max_question_chars * QUESTION_CHARS_FACTOR
    kept = [h[:limit] for h in (history or [])[-HISTORY_KEPT:]]
    return (question or "")[:limit], persona or "auto", kept


def build_app(settings: Settings | None = None, backend: Backend | None = None,
              answer_timeout: float = ANSWER_TIMEOUT_SECONDS) -> gr.Blocks:
    """The Blocks app with its queue set up; nothing is served until `.launch()`."""
    settings = settings or get_settings()
    backend = backend or Backend(settings)
    max_chars = settings.answer.max_question_chars
    title, keywords = review_front(settings)
    examples = example_questions(keywords)

    def answer(question: str, persona: str, history: Sequence[str]) -> Answer:
        assistant = backend.assistant()
        return answer_within(answer_timeout, lambda: assistant.ask(question, history=list(history), persona=persona))

    def ask_api(question: str, persona: str = "auto", history: list[str] = []) -> dict:  # noqa: B006 - the documented default, never mutated
        """Answers a question over the review. `history` holds the chat's earlier questions, oldest first; returns the answer object."""
        try:
            reply = answer(*bounded_request(question, persona, history, max_chars))
        except EvidenceError as error:
            # The caller gets the one-line reason; the log gets one line too, without what was asked,
            # not Gradio's traceback of a refusal (which read as a server failure in the log).
            log.info("api request refused: %s", type(error).__name__)
            raise gr.Error(str(error), print_exception=False) from error
        log.info("api answer: route=%s citations=%d %.0f ms", reply.route, len(reply.citations), reply.timings_ms.get("total", 0))
        return reply.model_dump()

    def take_question(question: str, chat: list[dict]):
        text = (question or "").strip()
        if not text:
            return gr.update(), chat, EMPTY_HELP, ""
        # Shown as typed: markup in a question is text to its reader, never HTML for the page.
        return "", [*chat, {"role": "user", "content": html.escape(text, quote=False)}], "", text

    def answer_question(pending: str, persona: str, chat: list[dict], history: list[str], earlier: list[dict]):
        if not pending:
            return chat, history, gr.skip(), gr.skip(), gr.skip(), earlier
        try:
            reply = answer(*bounded_request(pending, persona, history, max_chars))
        except EvidenceError as error:
            return [*chat, {"role": "assistant", "content": f"⚠ {error}"}], history, gr.skip(), gr.skip(), "", earlier
        log.info("chat answer: route=%s citations=%d %.0f ms", reply.route, len(reply.citations), reply.timings_ms.get("total", 0))
        dumped = reply.model_dump()
        cards = {int(c["ref"]) for c in dumped["citations"]} | {int(c["ref"]) for c in earlier}
        text = link_markers(reply.answer, cards, backend.doi_urls())
        if reply.abstained:
            text = "**Not in the review.** " + text
        panel = sources_html(dumped, earlier, backend.facts, turn=len(history) + 1)
        seen = {int(c["ref"]) for c in dumped["citations"]}
        earlier = [*dumped["citations"], *(c for c in earlier if int(c["ref"]) not in seen)]
        return [*chat, {"role": "assistant", "content": text}], [*history, pending], dumped, panel, "", earlier

    def clear_chat():
        return [], [], None, sources_html(None, [], backend.facts), "", []

    def persona_examples(persona: str):
        return [gr.update(value=q) for q in examples.get(persona, examples["auto"])]

    def answer_exporter(name: str, render: Callable):
        def export(answer: dict | None):
            if not answer:
                gr.Warning("Ask a question first: there is no answer to export yet.")
                return gr.update(value=None, visible=False)
            try:
                references = backend.assistant().citable_references
            except EvidenceError as error:
                raise gr.Error(str(error), print_exception=False) from error
            return gr.update(value=_write_download(name, render(Answer.model_validate(answer), references)), visible=True)
        return export

    def table_exporter(name: str, render: Callable):
        def export():
            try:
                rows, references = backend.rows(), backend.assistant().citable_references
            except EvidenceError as error:
                raise gr.Error(str(error), print_exception=False) from error
            return gr.update(value=_write_download(name, render(rows, references)), visible=True)
        return export

    def table_view(text: str, design: str, outcome: str, instrument: str):
        try:
            rows = backend.rows()
        except EvidenceError:
            return gr.update(value=[], headers=list(TABLE_COLUMNS)), "The evidence table appears once the index is ready."
        shown = filter_rows(rows, text, design, outcome, instrument)
        return ([table_cells(row) for row in shown],
                f"{len(shown)} of {len(rows)} studies from the review's {_tables_named(rows)}.")

    def refresh_page():
        status = backend.status_markdown()
        try:
            rows = backend.rows()
        except EvidenceError:
            rows = []
        table, count = table_view("", ANY, ANY, ANY)
        return (
            status,
            gr.update(choices=design_choices(rows), value=ANY),
            gr.update(choices=outcome_choices(rows), value=ANY),
            gr.update(choices=instrument_choices(rows), value=ANY),
            table,
            count,
            gr.Timer(active=backend.building),
        )

    private = dict(api_visibility="private")
    with gr.Blocks(title="Evidence assistant") as app:
        gr.Markdown(f"## Evidence assistant — {html.escape(title)}" if title else "## Evidence assistant")
        status = gr.Markdown(backend.status_markdown() if not backend.building else "**Building the index…**",
                             elem_classes=["status-box"], elem_id="status")
        history = gr.State([])
        earlier = gr.State([])
        current = gr.State(None)
        pending = gr.State("")
        timer = gr.Timer(2.0, active=backend.building)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row():
                    with gr.Column(scale=3):
                        persona = gr.Radio(list(PERSONAS), value="auto", label="Answer for", elem_id="persona",
                                           info="auto reads the question; a therapist gets the short version, an educator key points and references, a researcher designs and numbers.")
                        chat = gr.Chatbot(label="Chat", height=460, elem_id="chat", buttons=["copy"],
                                          feedback_options=None, placeholder="Ask about burnout, compassion fatigue, training programmes, instruments…")
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(placeholder="Ask a question about the review…", show_label=False,
                                                  scale=6, elem_id="question", lines=1, max_lines=4, submit_btn=False)
                            send = gr.Button("Send", variant="primary", scale=0, min_width=110, elem_id="send")
                            clear = gr.Button("New chat", scale=0, min_width=130, elem_id="clear")
                        notice = gr.Markdown("", elem_classes=["chat-notice"], elem_id="notice")
                        gr.Markdown("**Try:**")
                        with gr.Row():
                            example_buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in examples["auto"]]
                        gr.Markdown("**Export this answer:**")
                        with gr.Row():
                            export_md = gr.Button("Answer (Markdown)", size="sm", elem_id="export-md")
                            export_csv = gr.Button("Citations CSV", size="sm", elem_id="export-csv")
                            export_bib = gr.Button("Citations BibTeX", size="sm", elem_id="export-bib")
                            export_ris = gr.Button("Citations RIS", size="sm", elem_id="export-ris")
                        answer_file = gr.File(label="Download", visible=False, elem_id="answer-file")
                    with gr.Column(scale=2):
                        gr.Markdown("### Sources")
                        sources = gr.HTML(sources_html(None, [], backend.facts), elem_id="sources", js_on_load=None)
            with gr.Tab("Evidence table", id="table"):
                gr.Markdown("Every study of the review's tables of studies, with N, instruments and findings; DOIs from its reference list.")
                with gr.Row():
                    search = gr.Textbox(label="Search", placeholder="author, sample, finding…", scale=2, elem_id="table-search")
                    design = gr.Dropdown([ANY], value=ANY, label="Design", min_width=220, elem_id="design-filter")
                    outcome = gr.Dropdown([ANY], value=ANY, label="Outcome", min_width=220, elem_id="outcome-filter")
                    instrument = gr.Dropdown([ANY], value=ANY, label="Instrument", min_width=220, elem_id="instrument-filter")
                count = gr.Markdown("", elem_id="table-count")
                table = gr.Dataframe(headers=list(TABLE_COLUMNS), datatype=list(TABLE_TYPES), interactive=False, wrap=True,
                                     elem_id="evidence-table",
                                     column_widths=["4%", "12%", "5%", "10%", "13%", "6%", "12%", "28%", "10%"], max_height=620)
                with gr.Row():
                    table_csv = gr.Button("Table CSV", size="sm", elem_id="table-csv")
                    table_bib = gr.Button("Table BibTeX", size="sm", elem_id="table-bib")
                    table_ris = gr.Button("Table RIS", size="sm", elem_id="table-ris")
                table_file = gr.File(label="Download", visible=False, elem_id="table-file")

        gr.api(ask_api, api_name="ask", concurrency_id="assistant")

        for trigger in (send.click, question.submit):
            trigger(take_question, [question, chat], [question, chat, notice, pending], queue=False, **private).then(
                answer_question, [pending, persona, chat, history, earlier], [chat, history, current, sources, notice, earlier],
                concurrency_id="assistant", **private,
            )
        persona.change(persona_examples, [persona], example_buttons, queue=False, **private)
        for button in example_buttons:
            button.click(lambda q: q, [button], [question], queue=False, **private)
        for trigger in (clear.click, chat.clear):
            trigger(clear_chat, None, [chat, history, current, sources, notice, earlier], queue=False, **private)
        for button, name, render in (
            (export_md, "answer.md", exports.answer_markdown), (export_csv, "citations.csv", exports.citations_csv),
            (export_bib, "citations.bib", exports.citations_bibtex), (export_ris, "citations.ris", exports.citations_ris),
        ):
            button.click(answer_exporter(name, render), [current], [answer_file], **private)
        for button, name, render in (
            (table_csv, "evidence-table.csv", lambda rows, _references: exports.evidence_csv(rows)), (table_bib, "evidence-table.bib", exports.evidence_bibtex),
            (table_ris, "evidence-table.ris", exports.evidence_ris),
        ):
            # Callable by scripts (and tests) under a name, but kept out of the API page.
            button.click(table_exporter(name, render), None, [table_file], api_visibility="undocumented",
                         api_name="export_table_" + name.rsplit(".", 1)[1])
        filters = [search, design, outcome, instrument]
        for component in filters:
            event = component.input if component is search else component.change
            event(table_view, filters, [table, count], queue=False, **private)
        page_outputs = [status, design, outcome, instrument, table, count, timer]
        app.load(refresh_page, None, page_outputs, **private)
        timer.tick(refresh_page, None, page_outputs, **private)
    app.queue(default_concurrency_limit=ANSWER_CONCURRENCY, max_size=QUEUE_SIZE)
    return app


def launch_options(settings: Settings) -> dict:
    """What `launch()` gets: local-only binding, no share link, no monitoring, optional login."""
    options = dict(
        server_name=settings.host, server_port=settings.port, share=False, enable_monitoring=False,
        footer_links=["api", "settings"], css=CSS, js=JS, theme=gr.themes.Default(primary_hue="teal"),
        show_error=True, ssr_mode=False, mcp_server=False, pwa=False,
    )
    if settings.auth:
        user, separator, password = settings.auth.partition(":")
        if not separator or not user or not password:
            raise EvidenceError("EVIDENCE_AUTH must look like 'user:password'.")
        options["auth"] = (user, password)
    return options


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    settings = get_settings()
    backend = Backend(settings)
    try:
        from ingest.index import index_exists

        missing = not index_exists(settings)
        options = launch_options(settings)
    except EvidenceError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1)
    if missing:
        print(f"No index at {settings.chroma_dir}: building it now (first start, about a minute).", file=sys.stderr)
        backend.build_in_background()
    elif not backend.ready():
        print(f"warning: {backend.problem} The app starts and shows this message.", file=sys.stderr)
    app = build_app(settings, backend)
    print(f"Serving at http://{settings.host}:{settings.port}", file=sys.stderr)
    app.launch(**options)


if __name__ == "__main__":
    main()
