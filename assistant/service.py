"""The assistant's one public entry: a question (with its chat history) in, an Answer out.
Models and the index are loaded once per process (`get_assistant`)."""
from __future__ import annotations

import bisect
import math
import re
import time
from dataclasses import replace

import numpy as np
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType

from assistant.compose import (CONTRAST_CUE, REFERENCES_HEADING, Claim, Library, asks_for_places, cited_groups, claim_from_sentence, compose,
                               design_as_printed, evidence_line, pick_claims, rank_claims, reference_list, study_line, table_claims,
                               table_quote)
from assistant.persona import PERSONAS, reads_as_english
from assistant.query import (HELP_TEXT, life_stages, doubt_words, asker_doing_words, ReadQuestion, asks_summary, WordLists, _names_abbreviation, classify_route, comparison_sides, infer_persona,
                             lexicon_words, question_parts, clause_questions, read_question, strip_markup, summary_request_words,
                             without_summary_request)
from assistant.records import Answer, RetrievedPassage, check_persona
from assistant.retrieve import STOPWORDS, Hit, HybridRetriever, diversify, stem_of, tokenize
from assistant.facets import (FacetMatch, countries_named, direction_words, follow_up_spans, match_studies, numbers_as_digits, places_named, spans_in_weeks,
                              places_asked_of_studies, region_words, study_tokens, worsened_studies)
from assistant.spelling import Speller, as_written, fold
from assistant.studies import (DESIGN_FILTERS, AuthorNames, Mention, by_first_author, closest_study, described_study, first_author_surname,
                               named_mentions, named_studies, points_at_one_study, points_at_several_studies, structured_matches)
from assistant.retrieval_cache import retrieval_structures
from ingest.citations import strip_markers
from ingest.index import all_vectors, get_embeddings, open_index, passage_vectors
from common.errors import EvidenceError
from common.settings import Settings, get_settings



class Assistant:
    """Answers questions from one opened index."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.words = WordLists.load(settings.answer.everyday_lexicon, settings.answer.framing_words, settings.answer.shorthand,
                                    settings.answer.named_statistics)
        index = open_index(settings)
        embeddings = get_embeddings(settings)
        self.index = index
        self.references = index.references
        self.study_records = index.study_records
        self.digests = {d.ref: d for d in index.digests}
        # Each study's sample as its abstract puts it: a country or profession the tables may leave out.
        self._samples = {d.ref: d.participants for d in index.digests if d.found and d.participants}
        self.library = Library(
            references={r.ref: r for r in index.references},
            digests=self.digests,
            records={s.ref: s for s in index.study_records},
            glossary=index.glossary,
            review=index.review,
            designs={s.ref: s.design for s in index.model.studies if s.design} if index.model else {},
        )
        self.model = index.model
        self.scope = scope_statement(index.review)
        self._topic = " ".join((index.review.title, *index.review.keywords))
        self._topic_tokens = frozenset(tokenize(self._topic))
        self._study_tokens = study_tokens(index.model.studies, self.digests) if index.model else {}
        self.reference_count = len(index.references)
        # Saved beside the index at ingest; built here only for an index without them.
        structures = retrieval_structures(settings, index)
        self.retriever = HybridRetriever(
            index.passages, index.collection, self._embed, structures.bm25, structures.vocabulary,
            rrf_k=settings.retrieval.rrf_k,
            vectors=all_vectors(settings, index) if len(index.passages) <= settings.retrieval.exact_up_to else None,
        )
        self.idf = structures.idf
        prose = {p.order: p for p in index.passages if p.kind == "prose"}
        self._review_prose = [prose[order] for order in sorted(prose) if prose[order].source == "review"]
        self._by_study: dict[int, list] = {}
        by_abstract: dict[int, list] = {}
        for passage in index.passages:
            if passage.refs and len(set(passage.refs)) == 1 and passage.kind != "reference":
                self._by_study.setdefault(passage.refs[0], []).append(passage)
            if passage.kind == "digest" and passage.study_ref is not None:
                by_abstract.setdefault(passage.study_ref, []).append(passage)
        # The first quarter of each abstract of three or more passages: its background and aim.
        self._abstract_openings = frozenset(
            p.passage_id for passages in by_abstract.values() if len(passages) >= 3
            for i, p in enumerate(sorted(passages, key=lambda p: p.order)) if i < len(passages) / 4)
        self._next_prose = {order: prose[order + 1] for order in prose if order + 1 in prose}
        self._sentence_at = {s.text: (s, p) for p in prose.values() for s in p.sentences}
        # Each review sentence's kind in the evidence model (results, methods, aims, ...), by its quote.
        self._fact_kinds = {claim_from_sentence(*self._sentence_at[f.text], 0.0).quote: f.kind
                            for f in (index.model.facts if index.model else ()) if f.text in self._sentence_at}
        self._passage_tokens: dict[str, frozenset[str]] = {}
        self._understood_words: dict[str, frozenset[str]] = {}
        self._unknown_words: dict[str, tuple[str, ...]] = {}
        self._corpus_prints: dict[str, bool] = {}  # statistic name -> printed anywhere in the corpus
        self._passage_quotes: dict[str, list[str]] = {}
        self._dense_best: dict[str, float] = {}
        self._all_text: str | None = None  # every passage's text, joined on first use
        self._places: tuple[dict[int, list[str]], str] | None = None  # where the studies were done, read on first use
        self._profile_vectors = None  # (refs, matrix) of the studies' profiles, embedded on first use
        self._initials: Mapping[str, str] | None = None  # of the names the corpus spells out, read on first use
        self._greek_printed: frozenset[str] | None = None  # Greek letters the corpus prints, read on first use
        self._capital_words: frozenset[str] | None = None  # words the corpus prints in capitals, read on first use
        self._age_limits: tuple[int | None, int | None, str] | None = None  # the eligibility criteria's ages, read on first use
        # One query at a time needs one thread; two threads on two busy cores stall each other.
        import torch

        torch.set_num_threads(1)
        # The studies' facets (country, sample, intervention, duration) are words the corpus knows,
        # though a table passage's text may not spell them out.
        facet_words = {t for s in (index.model.studies if index.model else ()) for t in
                       tokenize(" ".join((s.country, s.population, s.intervention, s.duration, s.design)))}
        self.known_words = self.retriever.vocabulary | facet_words
        self.known_stems = {_stem(w) for w in self.known_words}
        # An everyday word the lexicon reads ("worried" → anxiety) is understood only when this
        # corpus speaks of what it means; otherwise it names a topic the corpus lacks.
        # What it adds to a search is only the words this corpus uses: "clients" gains "patients"
        # everywhere, "therapeutic relationship" only where a review speaks of one.
        self._lexicon_here = {pattern: used for pattern, meaning in self.words.lexicon.items()
                              if (used := " ".join(w for w in meaning.split()
                                                   if (tokens := tokenize(w)) and all(t in self.known_words for t in tokens)))}
        self._words_here = replace(self.words, lexicon=MappingProxyType(self._lexicon_here))
        self._sorted_words = sorted(self.known_words)
        self._embeddings = embeddings
        self.authors = AuthorNames.of(index.references, index.review.authors)
        # The surnames of the cited works' authors and of the review's own, as AuthorNames reads them.
        self._surnames = {fold(part) for name in self.authors.surnames for part in re.findall(r"[^\W\d_]{4,}", name)}
        # Every word of the references' author labels, particles too ("van" of "Van Hoorn").
        self._lower_surnames = None  # the first authors' surnames in lower case, built on first use
        self._label_words = {fold(part) for r in index.references for part in re.findall(r"[^\W\d_]+", r.label.split("(")[0])}
        self.speller = Speller.from_texts([*self.words.lexicon.values(), *index.glossary.values()],
                                          dictionary=_tokenizer_words(settings), counted=structures.word_counts,
                                          shorthand=self.words.shorthand, in_use=_in_english_use(settings.answer.word_in_use_zipf))

    @property
    def citable_references(self) -> tuple:
        """The reference list with the review itself as ref 0, for exports."""
        return (self.library.review.as_reference(), *self.references)

    @classmethod
    def load(cls, settings: Settings | None = None) -> "Assistant":
        return cls(settings or get_settings())

    # -- answering ---------------------------------------------------------------------------

    def ask(self, question: str | None, history: Sequence[str] = (), persona: str | None = "auto",
            id: str | None = None, *, continues: bool = False) -> Answer:
        """One grounded answer; never raises for a bad question. An unknown persona is an
        EvidenceError naming the allowed ones. `continues`: the question is the second half of
        the last one in `history` ("…, and what did the trainees report afterwards?"), about
        whatever that one was about."""
        persona = check_persona(persona)
        started = time.perf_counter()
        # Markup goes before spelling, which would otherwise "correct" the words inside tags.
        # Cut first: spelling and reading are linear, but nobody's question is 100k characters long.
        longest = 2 * self.settings.answer.max_question_chars
        question, written = self.speller.correct(strip_markup((question or "")[:longest]))
        question = self._capitalised_surnames(question)
        history = [self._capitalised_surnames(self.speller.correct(strip_markup(h[:longest]))[0]) for h in list(history)[-8:] if h]
        # The persona is inferred once the question is read, after its two vectors (its own, for
        # the persona, and its search text's) are embedded together.
        read = read_question(question, history, persona if persona != "auto" else PERSONAS[0], self._glossary_for(question),
                             self.settings.answer.max_question_chars, self._words_here)
        if compounds := self._compounds(read.clean.text):
            read = replace(read, expansions=(*read.expansions, *compounds), search_text=f"{read.search_text} {' '.join(compounds)}")
        if read.clean.text:
            asked = read.clean.text
            self._embeddings.prefetch([*([" ".join(asked.split())] if persona == "auto" and reads_as_english(asked) else []),
                                       _dense_query(read)])
        if persona == "auto":
            read = replace(read, persona=infer_persona(read.clean.text or read.clean.shown, "auto"))
        if continues and history:
            read = replace(read, is_followup=True)
        if not read.clean.text:
            # Nothing left but instructions to the assistant (make a finding up, drop the sources):
            # declined, with what was ignored; otherwise an empty question gets the help text.
            text = "\n\n".join([*read.clean.notes, f"{HELP_TEXT} {self.scope}"])
            return Answer(id=id, question=read.clean.shown, answer=text, route="help", persona=read.persona,
                          abstained=read.clean.injected, timings_ms={"total": _ms(started)})
        previous_refs, previous_focus = self._previous_refs(history) if read.is_followup else ((), ())
        retrieve_started = time.perf_counter()
        mentions, unknown_named = named_mentions(read.clean.text, self.authors)
        each_named = self._each_named(read.clean.text, mentions)
        named = tuple(dict.fromkeys(r for refs in each_named for r in refs))
        by_name = named
        meant: tuple[int, ...] = ()
        if not unknown_named and self.model is not None:
            # "The nursing home trial got worse when the chair yoga one got better": each side of a
            # comparison may name or describe its own study.
            sides = self._study_per_side(read.clean.text)
            if len(set(sides) | set(named)) >= 2 and len(sides) >= 2:
                named = tuple(dict.fromkeys((*named, *sides)))
            elif not named:
                # A study found by meaning only is not `named`: any question resembles some study,
                # so this one is still checked for what the corpus lacks before it is answered.
                named, meant = self._described(read.clean.text)
                if named and all(self._says_first_author(read.clean.text, r) for r in named):
                    by_name = named  # "the Kowalczyk cycling RCT": named by its author, though without "et al."
        boosts = {r: 0.05 for r in previous_refs}
        boosts.update({r: 0.1 for r in (*named, *meant)})
        sides = comparison_sides(read.clean.text)
        hits = self.retriever.search(
            read.search_text, dense_query=_dense_query(read),
            dense_k=self.settings.retrieval.dense_k, lexical_k=self.settings.retrieval.lexical_k, boosts=boosts,
        )
        if len(each_named) >= 2 and any(len(refs) >= 2 for refs in each_named):
            # "How do Beaumont et al. (2016) and Yip et al. (2017) differ on ...": a name that fits two
            # papers, among others named, means the one the search ranks first for what is asked.
            dropped = {r for refs in each_named if len(refs) >= 2 for r in refs} - {r for refs in each_named for r in _first_found(refs, hits)}
            named, by_name = (tuple(r for r in refs if r not in dropped) for refs in (named, by_name))
        kept = diversify(hits, max(self.settings.retrieval.top_k, 5), self.settings.retrieval.per_study_cap)
        retrieve_ms = _ms(retrieve_started)
        compose_started = time.perf_counter()
        # "How many were in each arm, and was allocation randomised?" after a question on one trial:
        # what it asks is checked against that trial's passages, as if it had been named again.
        continued = None
        if not named and not read.is_followup and history and not points_at_several_studies(read.clean.text) \
                and not _ABOUT_ALL_STUDIES.search(read.clean.text):
            continued = self._continued_study(history, hits)
        spoken_of = previous_focus if read.is_followup and not named else continued[0] if continued else ()
        reason = self._abstain_reason(read, hits, unknown_named, named or spoken_of, by_name)
        clauses = clause_questions(read.clean.text, self._has_topic)
        if reason and len(clauses) == 2 and not continues and (
                not (first := self.ask(clauses[0], history, read.persona)).abstained or previous_focus) and (
                each := self._answer_each(clauses, history, read, id, started, halves=True, written=written,
                                          first=first)) and not each.abstained:
            # "How many took part, and what was their cortisol?", or in a conversation about one trial
            # "what about peak VO2, and how many dropped out of the high-intensity arm?": the half the
            # corpus answers is answered, beside the other's decline. A second half with no study
            # spoken of before ("…, and what were the effect sizes?") is about the declined first.
            return each
        if reason:
            text = f"{as_written(reason, written)} {self.scope}"
            if read.clean.notes:
                text = "\n\n".join([*read.clean.notes, text])
            return self._answer(id, read, text, [], kept, True, None, started, retrieve_ms, compose_started)
        parts = question_parts(read.clean.text, self._has_topic)
        if read.is_followup and len(pointing := question_parts(read.clean.text, _points_back)) > len(parts):
            # In a conversation, "how many were in it? and did their burnout go down?" is two whole
            # questions, each pointing at what was said; a part that does not point would lose it.
            parts = pointing
        halves = False
        clauses = clauses if len(parts) == 1 else []
        # A comparison across the halves is one question; one made whole in the first half ("the
        # difference between RoB 2 and the MMAT, and which studies was each used for?") is not.
        if len(clauses) == 2 and (not comparison_sides(read.clean.text) or comparison_sides(clauses[0])) and (
                not (named or meant or spoken_of or previous_focus) or named_mentions(clauses[1], self.authors)[0]):
            # "How many studies were in the main review, and how many in the extra one?" is two
            # questions, the second about what the first is about ("…, and what did the trainees
            # report afterwards?"); "in Latorre's study, how many took part, and which scales were
            # used?" (or, in a conversation, "how many were in each arm, and was it randomised?") is one
            # study asked two things, answered together, unless the second names its own.
            parts, halves = clauses, True
        if len(parts) >= 2 and comparison_sides(read.clean.text) and not any(comparison_sides(p) for p in parts):
            parts, halves = [read.clean.text], False  # "the stepping game or a walking group? which did better?": one comparison across parts
        if len(parts) >= 2 and (each := self._answer_each(parts, history, read, id, started, halves=halves, written=written)) is not None:
            return each
        focus = named or meant or (previous_focus if read.is_followup and (continues or _points_back(read.clean.text)) else ())
        if not focus and continued:
            # "how many took part, and which side of self-compassion explained it?" after "tell me
            # about the Hong Kong one": no word points back, but the study just spoken of answers it.
            focus, previous_refs = continued
        if not focus and self.model is not None and points_at_one_study(read.clean.text) and \
                len(worse := worsened_studies(read.clean.text, self.model.studies)) == 1:
            focus = worse  # "I read a study found it made people worse - what happened?": the one trial that did
        if not focus and read.route in ("fact", "numeric", "effect", "contrast") and not _ABOUT_REVIEW.search(read.clean.text):
            # Not when it asks the review ("where do the authors think the evidence is weakest?"):
            # a cited review whose passages lead the search is no study it asks about.
            focus = tuple(r for r in _dominant_study(hits[:4], 2 if sides else 3)
                          if self._is_study(r) and self._holds_both_sides(r, read.clean.text))
        # "Is group exercise better than a home programme?": the passages that speak of both sides,
        # found by those words alone whatever else the question says ("for my clients who hate
        # classes"), are read for a sentence setting the two against each other.
        beside = self._side_hits(read, sides, hits) if sides else []
        markdown, citations, evidence = self._compose(read, hits, kept, focus, previous_refs, beside)
        if len(focus) == 1 and _ASKS_STUDY_FACTS.search(read.clean.text):
            markdown, citations = self._with_study_facts(focus[0], markdown, citations)
        if _ASKS_ORIGIN.search(read.clean.text) and (origins := self._origin_refs(read)):
            # "Who developed the CES-D, and when?": the work the review cites for it, as listed.
            markdown, citations = self._with_reference_entries(list(origins), markdown, citations, origins)
        elif _ASKS_REFERENCE.search(read.clean.text) and not focus and _THE_REVIEW_ITSELF.search(read.clean.text):
            # "The full citation of the review itself": its own entry, as it states it about itself.
            markdown = f"**Reference (this review):**\n[0] {self.library.review.as_reference().text}\n\n{markdown}"
        elif _ASKS_REFERENCE.search(read.clean.text):
            # The studies asked about, or else the one the answer leads with.
            markdown, citations = self._with_reference_entries(focus or [c.ref for c in citations[:1] if c.ref],
                                                               markdown, citations)
        if not (named or meant) and (missing := self._unmentioned(read)):
            # Partly covered: what the corpus has is answered above, and what it lacks is said plainly.
            markdown += (f"\n\n_Not in the evidence: the review and the abstracts it cites never mention {', '.join(missing)}; "
                         "the answer above covers the rest of the question._")
        if read.clean.notes:
            markdown = "\n\n".join(["_" + " ".join(read.clean.notes) + "_", markdown])
        return self._answer(id, read, markdown, citations, kept, False, evidence, started, retrieve_ms, compose_started)

    def _side_hits(self, read: ReadQuestion, sides: tuple[str, str], hits: Sequence[Hit]) -> list[Hit]:
        """The passages the two sides' words alone find first, as hits (one the search did not
        find scores as its weakest read for claims): a comparison's answer may stand where the
        question's other words do not lead."""
        found = [i for i, _ in self.retriever.lexical(" ".join(sides), _SIDE_PASSAGES)]
        known = {h.passage.passage_id: h for h in hits}
        floor = hits[min(len(hits), self.settings.retrieval.claim_passages) - 1].score if hits else 0.0
        close = self.retriever.closeness(_dense_query(read), found)
        return [known.get(self.retriever.passages[i].passage_id)
                or Hit(self.retriever.passages[i], floor, dense, 0.0) for i, dense in zip(found, close)]

    def _holds_both_sides(self, ref: int, question: str) -> bool:
        """The study's passages speak of both things the question compares ("high vs low intensity"
        in the dose trial), or it compares nothing: "cycling vs tai chi?" is not the cycling trial's
        question, however much that trial leads the search."""
        sides = comparison_sides(question)
        if sides is None:
            return True
        held = {t for p in self._by_study.get(ref, []) for t in self._tokens_of(p)}
        named = [{t for t in tokenize(side) if t not in self.words.framing} for side in sides]
        return all(side & held for side in named if side)

    def _unmentioned(self, read: ReadQuestion) -> list[str]:
        """Words of an answered question that the corpus never uses and that carry part of its
        meaning ("yoga" in "would a yoga class do as much as the MSC course?"), as the asker wrote them.
        Not asked of a question about a study it names or describes: there such a word is how the
        asker names it ("the Swedish online trial")."""
        if self._mostly_foreign(read.clean.text):
            return []
        # English words only: a word of another language ("autores") is no topic the corpus lacks.
        unknown = [w for w in self.unknown_terms(read) if not self._names_a_reference(w)
                   and all(self.speller.is_english(p) for p in re.split(r"[-'’]", w) if p)]
        if not unknown or self.meaning_carried(read.context, unknown) <= self.settings.answer.unknown_meaning_max:
            return []
        written = {w.lower(): w for w in re.findall(r"[\w'’-]+", read.clean.text)}
        return [f"“{written.get(w, w)}”" for w in unknown[:3]]

    def _asks_whole_review(self, read: ReadQuestion) -> bool:
        """A request for a summary that names no topic ("what's the bottom line?", "tl;dr?"): it
        asks what the review as a whole concludes."""
        return (read.route == "overview" and not read.is_followup
                and (bool(_WHOLE_REVIEW.search(read.clean.text)) or not self._has_topic(without_summary_request(read.clean.text))))

    def _has_topic(self, text: str) -> bool:
        """The text names a word of the corpus besides words that frame a question."""
        return any(len(t) > 2 and t not in self.words.framing and t in self.known_words for t in tokenize(text))

    def _answer_each(self, parts: Sequence[str], history: Sequence[str], read: ReadQuestion, id, started,
                     halves: bool = False, written: Mapping[str, str] = MappingProxyType({}),
                     first: Answer | None = None) -> Answer | None:
        """A message of several questions (the whole of it within the corpus) gets an answer to
        each in turn, under the question it answers, in one persona. A later part is read with
        the earlier ones before it, so "Any downsides?" is about what the first part asked; a
        part the corpus cannot answer says so while the others are answered. None when no part
        can be answered alone: the whole is answered as one question. `first`: the first part's
        answer, when the caller has it already."""
        answers: list[Answer] = []
        for i, part in enumerate(parts):
            if halves and i > 0 and answers[-1].abstained and _points_back(part):
                # "Which trials measured salivary cortisol, and did it change with exercise?": "it"
                # is what the first half asked and the corpus lacks, so the whole has no answer.
                return answers[-1].model_copy(update={"id": id, "question": read.clean.shown, "persona": read.persona})
            answers.append(first if i == 0 and first is not None else
                           self.ask(part, [*history, *parts[:i]], read.persona, continues=halves and i > 0))
        if all(answer.abstained for answer in answers):
            return None
        citations, seen = [], set()
        for answer in answers:
            for citation in answer.citations:
                if citation.ref not in seen:
                    seen.add(citation.ref)
                    citations.append(citation)
        blocks = [*(["_" + " ".join(read.clean.notes) + "_"] if read.clean.notes else [])]
        for part, answer in zip(parts, answers):
            body = answer.answer.split(f"\n\n{REFERENCES_HEADING}")[0].strip()
            asked = as_written(part.strip(), written)
            blocks.append(f"**{asked[:1].upper()}{asked[1:]}**\n\n{body}")
        if read.persona == "educator" and (references := reference_list(citations, self.library)):
            blocks.append("\n".join(references))
        retrieved = list({p.chunk_id: p for answer in answers for p in answer.retrieved}.values())
        return Answer(
            id=id, question=read.clean.shown, answer="\n\n".join(blocks), abstained=False,
            citations=citations, retrieved=retrieved, persona=read.persona,
            route=next(a.route for a in answers if not a.abstained),
            evidence=evidence_line([c.ref for c in citations], self.library, read.persona),
            timings_ms={"retrieve": round(sum(a.timings_ms.get("retrieve", 0.0) for a in answers), 2),
                        "compose": round(sum(a.timings_ms.get("compose", 0.0) for a in answers), 2),
                        "total": round(_ms(started), 2)},
        )

    def _answer(self, id, read, text, citations, kept, abstained, evidence, started, retrieve_ms, compose_started):
        retrieved = [
            RetrievedPassage(chunk_id=h.passage.passage_id, source=h.passage.source, section=h.passage.section,
                             refs=list(h.passage.refs), score=round(h.score, 4))
            for h in kept
        ]
        return Answer(
            id=id, question=read.clean.shown, answer=text, abstained=abstained, citations=citations,
            retrieved=retrieved, persona=read.persona, route="out_of_scope" if abstained else read.route,
            evidence=evidence,
            timings_ms={"retrieve": round(retrieve_ms, 2), "compose": round(_ms(compose_started), 2),
                        "total": round(_ms(started), 2)},
        )

    def _compose(self, read: ReadQuestion, hits, kept, focus: Sequence[int], previous_refs: Sequence[int],
                 beside: Sequence[Hit] = ()):
        """`beside`: more passages (a comparison's, found by its sides' words) read only for a
        sentence setting the two sides against each other."""
        limit = self.settings.answer.max_points
        # Once a follow-up's study is known, its own words say what is asked about that study.
        scoring = replace(read, context=read.clean.text) if focus and read.is_followup else read
        best = hits[: self.settings.retrieval.claim_passages]
        held = {h.passage.passage_id for h in best}
        pool = self._with_continuations(best)
        # Read only for a sentence setting the two sides against each other: they decide nothing else.
        beside = [h for h in beside if h.passage.passage_id not in held]
        if focus:
            pool = self._with_study_passages(pool, focus, _dense_query(read))
        known = [p.text for ref in focus for p in self._by_study.get(ref, [])]
        claims = rank_claims(scoring, pool, self.idf, self.library, known_texts=known)
        whole = not focus and bool(_ABOUT_ALL_STUDIES.search(read.clean.text))
        about_review = _ABOUT_REVIEW.search(read.context if read.is_followup else read.clean.text)
        if not focus and (whole or about_review):
            # "What do the authors recommend?" asks the review, not the abstracts it cites; "how many
            # people took part overall?" asks the review's totals, not one study's table row.
            def own(c: Claim) -> bool:
                if whole:  # the review's sentences on its included studies, not one row, one study or an earlier review
                    return (c.source == "review" and not c.passage_id.startswith("table:") and len(c.refs) != 1
                            and all(self._is_study(r) for r in c.refs))
                return c.source == "review"

            def totals(c: Claim) -> float:
                # Of the review's sentences, one that adds the studies up ("together involved 18,092")
                # answers "how many in total?" before one giving their range or median ("ranged from
                # 5% to 26% (median 13%)"), which answers it before one study's own figure.
                return (0.05 if _TOTALLING.search(c.text) else 0.03 if _SPANNING.search(c.text) else 0.0) if whole else 0.0
            claims = sorted(claims, key=lambda c: (-round(c.score + (0.15 if own(c) else -0.1) + totals(c), 9), c.passage_id, c.quote))
        if focus:
            # A question about particular studies is answered from their own sentences.
            own = [c for c in claims if (c.refs and set(c.refs) <= set(focus)) or (not c.refs and self._goes_on_about(c, focus))]
            shared = [c for c in claims if set(c.refs) & set(focus) and c not in own]
            claims = own or shared or claims
        if not focus and (section := self._review_section(read, claims)) is not None:
            lead, points = section
            return compose(read, lead, points, [], self.library)
        refs = self._listed_refs(read, claims, focus, previous_refs)
        if not refs and not focus and read.route != "numeric" and (points_at_several_studies(read.clean.text) or read.route == "list") \
                and asks_for_places(read.clean.text) and (by_place := self._by_country()):
            # "Which countries were the studies done in?": every included study whose sources name
            # its country, grouped, with how many name none.
            opening, lines = by_place
            lines = [self._study_line(r, claims, "findings", read.clean.text) for r in lines]
            # The review's own sentence on where its studies were done (naming several places), if
            # it has one, says it first.
            lead = next((c for c in claims[:15] if len(c.refs) != 1 and not c.passage_id.startswith("table:")
                         and places_named(c.text) >= 2), None)
            heading = f"**Studies by country ({len(lines)}):**"
            if lead is not None:  # the review's own words answer first; the count introduces the studies
                return compose(read, lead, [], [], self.library, study_lines=lines, intro=f"{opening}\n\n{heading}")
            return compose(read, None, [], [], self.library, study_lines=lines, opening=opening, intro=heading)
        intro = _list_intro(len(refs))
        side_by_side = (not refs and 2 <= len(focus) <= 4 and self._names_each(read.clean.text, focus)
                        and sum(1 for r in focus if self._is_study(r)) >= 2)
        if side_by_side:
            # Two or more studies named together are compared: each gets its own line, side by side.
            refs = [(r, "findings") for r in focus if self._is_study(r)]
            intro = f"**Side by side ({len(refs)} studies):**"
        if refs:
            # One study listed: the list asked for is its own findings, each of them.
            study_lines = [self._study_line(r, claims, record_focus, read.clean.text, every=len(refs) == 1) for r, record_focus in refs]
            listed = {r for r, _ in refs}
            # Beside the list, only the text's own sentences about the listed studies.
            claims = [c for c in claims if ((c.refs and set(c.refs) <= listed) or (not c.refs and self._goes_on_about(c, listed)))
                      and not c.passage_id.startswith("table:")
                      and not any(c.quote == line.quote for line in study_lines)]
            few = len(refs) <= 2  # one or two studies: say more about each
            chosen = pick_claims(claims, 3 if few else 2, per_study=3 if few else 1)
            chosen = self._plain_first(read, self._finding_first(read, chosen))
            # Points are measured against the best sentence, not the finding put first in its place.
            floor = max((c.score for c in chosen), default=0.0) * self.settings.answer.point_ratio
            points = self._with_explanation(read, [c for c in chosen if c.score >= floor])
            if side_by_side:
                return compose(read, None, points, [], self.library, study_lines=study_lines, intro=intro)
            # A list answers with its studies: their names open the answer, their lines follow the evidence.
            names = [f"{self.library.label(r)} [{r}]" for r, _ in refs]
            opening = f"{intro} {', '.join(names[:-1])}{' and ' if len(names) > 1 else ''}{names[-1]}."
            return compose(read, None, points, [], self.library, study_lines=study_lines, opening=opening)
        if len(focus) == 1 and (read.route == "overview" or _PROFILE.search(read.clean.text)):
            return self._study_profile(read, focus[0], claims)
        broad = not focus and read.route in ("effect", "overview", "contrast", "list", "definition")
        chosen = pick_claims(claims, limit + 4, per_study=1 if broad else (limit + 1 if focus else 3))
        chosen = self._plain_first(read, self._finding_first(read, chosen))
        floor = (chosen[0].score if chosen else 0.0) * self.settings.answer.point_ratio
        if beside:
            side_claims = rank_claims(scoring, self._with_continuations(beside), self.idf, self.library, known_texts=known)
            against = sorted([*claims, *side_claims], key=lambda c: (-round(c.score, 9), c.passage_id, c.quote))
        chosen = self._both_sides(read, against if beside else claims, chosen, floor)
        lead = chosen[0] if chosen else None
        wanted = limit - 2
        own_floor = floor * 0.7 if _ABOUT_REVIEW.search(read.clean.text) and not focus else floor
        # A question about the review's own work may take more of its own sentences (no extra sources).
        points = [c for c in chosen[1:] if c.score >= (own_floor if not c.refs else floor)]
        if lead and lead.refs and read.route in ("fact", "numeric") and len(focus) < 2 and not points_at_several_studies(read.clean.text):
            # A pointed question is about one study: other studies only when they score nearly as well.
            points = [c for c in points if set(c.refs) <= set(lead.refs) or c.score >= lead.score * 0.95]
        if lead and lead.refs and (focus or all(set(c.refs) <= set(lead.refs) for c in points)):
            # More detail about the same study costs the reader no extra sources.
            same = [c for c in chosen[1:] if set(c.refs) <= set(lead.refs) and c.score >= lead.score * 0.5]
            points = same + [c for c in points if c not in same]
            wanted = limit
        points = points[:wanted]
        if len(focus) >= 2 and lead is not None and self._names_each(read.clean.text, focus):
            # Works named together ("Boellinghaus 2014, Bibeau 2016, Rudaz 2017: what did each
            # conclude?") each get their best sentence, in place of the lead's later details.
            missing = [best for ref in focus if not any(ref in c.refs for c in [lead, *points])
                       and (best := next((c for c in claims if ref in c.refs), None)) is not None]
            kept = [c for c in points if not (set(c.refs) <= set(lead.refs))] + [c for c in points if set(c.refs) <= set(lead.refs)]
            points = [c for c in points if c in kept[:max(0, wanted - len(missing))]] + missing
        if self.settings.answer.review_section_plans:
            points = self._with_enumerations(lead, points)
        if lead is not None:
            points = self._with_explanation(read, [lead, *points])[1:]
        points = self._covering(read, claims, lead, points, floor)
        # More from the sources already cited costs the reader no new reference to check.
        cited = {r for c in ([lead] if lead else []) + points for r in (c.refs or (0,))}
        points += [c for c in chosen[1:] if c not in points and c.score >= floor
                   and set(c.refs or (0,)) <= cited][: self.settings.answer.same_source_points]
        caveats: list[Claim] = []
        if read.route in ("effect", "overview", "contrast") and not focus:
            caveats = [c for c in claims[1:30] if _is_caveat(c) and c.score >= floor * 0.8 and c not in points][:1]
        return compose(read, lead, points, caveats, self.library)

    def _covering(self, read: ReadQuestion, claims: Sequence[Claim], lead: Claim | None, points: list[Claim],
                  floor: float) -> list[Claim]:
        """A question in two parts ("how much did grip strength improve, and how many sessions did
        they attend?") gets a point for the part the answer has not yet touched: for each rare word
        of the question that no chosen sentence holds, the best sentence holding it, if it scores
        within reach of the others (`answer.coverage_share` of the floor)."""
        share = self.settings.answer.coverage_share
        if lead is None or share <= 0:
            return points
        chosen = [lead, *points]
        held = set().union(*(set(tokenize(strip_markers(c.quote))) for c in chosen))
        wanted = [{t} for t in dict.fromkeys(tokenize(read.clean.text))
                  if t not in read.request_tokens and t not in self.words.framing and self.idf.get(t, 0.0) >= _RARE_IDF]
        # An everyday word stands for the corpus's words for it ("complain" for "difficulty"): any of them answers that part.
        wanted += [rare for words in read.expansions
                   if (rare := {t for t in tokenize(words) if self.idf.get(t, 0.0) >= _RARE_IDF}) and rare not in wanted]
        cited = {r for c in chosen for r in (c.refs or (0,))}
        # From the sources already cited: a part left out is most often in the same study's abstract.
        candidates = [(c, set(tokenize(strip_markers(c.quote)))) for c in claims[:40]
                      if c not in chosen and c.score >= floor * share and set(c.refs or (0,)) <= cited]
        added: list[Claim] = []
        for words in wanted:
            if words & held:
                continue
            found = next(((c, tokens) for c, tokens in candidates if words & tokens and c not in added), None)
            if found is not None:
                added.append(found[0])
                held |= found[1]
            if len(added) >= 2:
                break
        return [*points, *added]

    def _both_sides(self, read: ReadQuestion, claims: Sequence[Claim], chosen: list[Claim], floor: float) -> list[Claim]:
        """A question comparing two things ("tai chi or walking?", "group classes vs home") opens
        with a sentence speaking of both when one scores nearly as well as the best, and its points
        speak of each side: an answer about one side only does not compare."""
        share = self.settings.answer.comparison_share
        sides = comparison_sides(read.clean.text)
        if sides is None or share <= 0 or not chosen:
            return chosen
        pool = list(dict.fromkeys(c.passage_id for c in claims[:60]))
        texts = [self._tokens_of(self.retriever.passages[i]) for i in
                 (self.retriever.position.get(pid) for pid in pool) if i is not None]
        # Words in most of the passages at hand are the question's topic ("exercise" in a review
        # of exercise), not what tells one side from the other.
        common = {t for tokens in texts for t in tokens if sum(t in other for other in texts) > len(texts) / 2}
        # What a side names stands next to the comparison, before its qualifiers ("MBSR" of "MBSR
        # for trainee therapists"). Framing words count there: "short vs long programmes".
        # An author's name says which study, not which side ("Van Hoorn group vs home").
        known = lambda text: {t for w in _WORD.findall(text) if fold(w) not in self._label_words  # noqa: E731
                              and not self._names_a_reference(w) for t in tokenize(w) if t in self.known_words}
        # The left side ends with what it names ("what did the trial find for group"), the right begins with it.
        heads = [known(_QUALIFIER.split(sides[0])[-1]), known(_QUALIFIER.split(sides[1])[0])]
        if all(head <= common for head in heads):
            left, right = heads  # passages all about both sides ("MSC" and "MBSR" in one trial's)
        else:
            # A side named by the question's topic ("doing exercise at home") by its other words.
            left, right = (head - common or known(side) - common - self.words.framing - _LIST_FRAME or head
                           for head, side in zip(heads, sides))
        left, right = left - right, right - left
        if not left or not right:
            return chosen
        covers = lambda claim, side: bool(side & set(tokenize(claim.text)))  # noqa: E731
        # A sentence setting the two sides against each other answers the question, even when words
        # elsewhere in the question score other sentences higher.
        setting_against = [c for c in claims[:60] if covers(c, left) and covers(c, right) and _COMPARES.search(c.text)
                           and _FINDING_CUE.search(c.text) and not self._is_background(read, c)
                           and c.score >= chosen[0].score * share]
        both = next(iter(setting_against), None)
        ordered = [both, *(c for c in chosen if c is not both)] if both is not None else list(chosen)
        # A study that compared the two head to head ("group vs home in one trial") follows a
        # sentence about the evidence as a whole: it is the most direct evidence there is.
        if both is not None and len(both.refs) != 1 and (
                direct := next((c for c in setting_against if len(c.refs) == 1 and self._is_study(c.refs[0])), None)):
            ordered = [both, direct, *(c for c in ordered[1:] if c.quote != direct.quote)]
        for side in (left, right):
            if any(covers(c, side) for c in ordered[:3]):
                continue
            best = next((c for c in claims[:60] if covers(c, side) and c.score >= floor * 0.8
                         and not any(c.quote == o.quote for o in ordered[:3])), None)
            if best is not None:
                ordered = [ordered[0], best, *(c for c in ordered[1:] if c is not best)]
        return ordered

    def _plain_first(self, read: ReadQuestion, chosen: list[Claim]) -> list[Claim]:
        """A therapist's answer opens with the shortest of the sentences that answer nearly as
        well as the best: a plain reader takes in a short sentence, and the longer ones follow."""
        margin = self.settings.answer.plain_lead_margin
        if read.persona != "therapist" or margin <= 0 or len(chosen) < 2:
            return chosen
        # Never a background (finding first), nor the review's own words for a study's, nor a cited
        # work that is no included study (a scale's validation paper speaks of its own sample).
        close = [chosen[0], *(c for c in chosen[1:] if c.score >= chosen[0].score - margin
                              and (c.refs or not chosen[0].refs) and not self._is_background(read, c)
                              and all(self._is_study(r) for r in c.refs))]
        shortest = min(close, key=lambda c: len(c.text.split()))
        return [shortest, *(c for c in chosen if c is not shortest)]

    def _finding_first(self, read: ReadQuestion, chosen: list[Claim]) -> list[Claim]:
        """An abstract opens with its background and aim, and what a study found comes later: an
        answer opens with a finding that scores nearly as well rather than with that background,
        which stays among the points. Not when the question asks for a definition or an aim."""
        penalty = self.settings.answer.background_penalty
        if (not chosen or penalty <= 0 or not self._is_background(read, chosen[0])
                or read.route == "definition" or _ASKS_AIM.search(read.clean.text)):
            return chosen
        close = [c for c in chosen[1:] if c.score >= chosen[0].score - penalty]
        # A finding if one is close; else at least a study's own description over an abstract's
        # background; else, when all that is close says what was done, a finding scoring well enough.
        finding = next((c for c in close if not self._is_background(read, c)), None) or next(
            (c for c in close if c.passage_id not in self._abstract_openings and chosen[0].passage_id in self._abstract_openings), None)
        if finding is None and all(self._is_background(read, c) for c in close):
            finding = next((c for c in chosen[1:] if not self._is_background(read, c)
                            and c.score >= chosen[0].score * self.settings.answer.finding_share), None)
        return chosen if finding is None else [finding, *(c for c in chosen if c is not finding)]

    def _is_background(self, read: ReadQuestion, claim: Claim) -> bool:
        """An abstract's background and aim, or a table row's description of a study (country,
        sample, programme) when the question asks what came of it rather than how it was done."""
        if claim.passage_id in self._abstract_openings:
            return True
        if (self._fact_kinds.get(claim.quote) in _NOT_FINDINGS and not _ASKS_AIM.search(read.clean.text)
                and (read.route in ("effect", "overview", "contrast") or comparison_sides(read.clean.text))):
            # The review's own background, aims, search or methods do not say what was found.
            return True
        return (claim.passage_id.startswith("table:") and bool(_TABLE_DESCRIPTION.match(claim.text))
                and read.route != "numeric" and not _ASKS_STUDY_FACTS.search(read.clean.text))

    def _review_section(self, read: ReadQuestion, claims: Sequence[Claim], most: int = 6):
        """A question about the review's own limitations, future research, conclusions or methods
        is answered from the evidence model's facts of those kinds: the ones that best match the
        question, shown in the review's order. None when the question asks for none of them."""
        kinds = self._asked_review_part(read)
        if kinds is None and self._asks_whole_review(read):
            kinds = ("conclusions",)  # "what's the bottom line?": the review's own conclusions
        if kinds is None or self.model is None or not self.settings.answer.review_section_plans:
            return None
        facts = [f for f in self.model.facts if f.kind in kinds and f.text in self._sentence_at]
        if len(facts) < 2:
            return None
        scored = {c.quote: c.score for c in claims}
        candidates = []
        for order, fact in enumerate(facts):
            sentence, passage = self._sentence_at[fact.text]
            claim = claim_from_sentence(sentence, passage, 0.0)
            candidates.append((order, replace(claim, score=scored.get(claim.quote, 0.0))))
        pattern = dict(_ASKS_KIND)[kinds]
        own = [item for item, fact in zip(candidates, facts) if pattern.search(fact.section)]
        # The review's own section on them, where it has one; a sentence elsewhere only when it
        # speaks of what the question names beyond the review's topic ("the limitations of the
        # cross-sectional studies"), not when it only uses the word ("acceptance of one's own
        # limitations", of what a study found).
        asked = pattern.sub(" ", without_summary_request(read.clean.text))  # what it asks of them
        beyond = {t for t in tokenize(asked) if t in self.known_words and t not in self.words.framing and t not in self._topic_tokens}
        pool = candidates if len(own) < 2 else [item for item in candidates if item in own or beyond & set(tokenize(item[1].quote))]
        best = sorted(pool, key=lambda item: (-item[1].score, item[0]))[:most]
        if len(own) > most and (asks_summary(read.clean.text) or not self._has_topic(asked)):
            # "Summarize the limitations", "what are the limitations?": the review's own section on them, read through,
            # not the few sentences that share the question's words. The section in `most` stretches
            # in reading order, the sentence of each whose passage is closest to the question.
            close = dict(self.retriever.dense(read.clean.text, len(self.retriever.passages)))
            nearness = {order: close.get(self.retriever.position.get(claim.passage_id, -1), 0.0) for order, claim in own}
            stretch = math.ceil(len(own) / most)
            best = [max(own[i:i + stretch], key=lambda item: (nearness[item[0]], -item[0])) for i in range(0, len(own), stretch)]
            best = sorted(best, key=lambda item: (-item[1].score, item[0]))
        lead = best[0][1]
        rest = [claim for _, claim in sorted(best[1:], key=lambda item: item[0])]
        return lead, rest

    def _asked_review_part(self, read: ReadQuestion) -> tuple[str, ...] | None:
        """The kinds of the review's own facts the question asks for (its limitations, future
        research, conclusions or methods), when the evidence model holds some of them."""
        kinds = next((k for k, pattern in _ASKS_KIND if pattern.search(read.clean.text)), None)
        if kinds is None or self.model is None or not any(f.kind in kinds for f in self.model.facts):
            return None
        return kinds

    def _goes_on_about(self, claim: Claim, focus: Sequence[int]) -> bool:
        """A review sentence without a marker that follows one citing these studies in its
        paragraph: it goes on about them ("… nursing homes [25] is the most important caution.
        Frail residents … may experience a demanding programme as tiring …")."""
        found = self._sentence_of(claim) if claim.source == "review" else None
        if found is None or found[1] == 0:
            return False
        passage, at = found
        return bool(set(passage.sentences[at - 1].refs) & set(focus))

    def _sentence_of(self, claim: Claim):
        """The passage a claim's sentence stands in and its place there, or None (a table cell,
        a digest line). Each passage's quotes are made once and remembered (bounded)."""
        position = self.retriever.position.get(claim.passage_id)
        if position is None:
            return None
        passage = self.retriever.passages[position]
        quotes = _remembered(self._passage_quotes, passage.passage_id, 20_000,
                             lambda: [claim_from_sentence(s, passage, 0.0).quote for s in passage.sentences])
        return (passage, quotes.index(claim.quote)) if claim.quote in quotes else None

    def _study_per_side(self, question: str) -> tuple[int, ...]:
        """The one study each side of a comparison points at, by name or description; () unless
        the question has two sides."""
        # "Two home-based programmes: the Brazilian RCT vs the Dutch trial": what comes before the
        # colon frames both sides and is part of neither.
        first, *rest = [p for p in _SIDES.split(question) if p] or [""]
        sides = [side for side in (first.rsplit(":", 1)[-1], *rest) if len(side.split()) >= 3]
        if len(sides) < 2:
            # "Contrast the Scottish walking cohort with the South African one": sides that no
            # clause boundary parts, as the question reader finds them.
            sides = [side for side in comparison_sides(question) or () if len(side.split()) >= 3]
        if len(sides) < 2:
            return ()
        found: list[int] = []
        unresolved = []
        for side in sides:
            by_name, _ = named_studies(side, self.authors)
            if len(by_name) > 1:
                study = self._one_namesake(side, by_name, side=True)
            else:
                study = by_name or described_study(side, self.model.studies, side=True, samples=self._samples)
            if (not by_name and found and not points_at_one_study(side) and not by_first_author(side, self.model.studies)
                    and self._within(found, side)):
                continue  # "how did the psychiatrists differ from the non-medical staff": groups of one study
            found += [r for r in study if r not in found]
            if not study:
                unresolved.append(side)
        # "The CCT pilot with health-care workers differed from the original CCT trial": the other
        # side is another study, so one that fits it as well as the study already found is taken.
        for side in unresolved if found else ():
            others = [s for s in self.model.studies if s.ref not in found]
            found += [r for r in described_study(side, others, side=True, samples=self._samples) if r not in found]
        return tuple(found)

    def _within(self, refs: Sequence[int], side: str) -> bool:
        """Most content words of a comparison's side stand in the passages of a study already
        found: the side is a group within that study ("the non-medical staff" of a study of
        psychiatrists and non-medical MHPs), not another study."""
        words = {t for t in tokenize(side) if t not in self.words.framing}
        return bool(words) and any(len(words & {t for p in self._by_study.get(ref, []) for t in self._tokens_of(p)}) > len(words) / 2
                                   for ref in refs)

    def _each_named(self, text: str, mentions: Sequence[Mention]) -> list[tuple[int, ...]]:
        """The refs of each mention, a possessive only when it names an included study; papers named
        alike ("Beaumont et al. 2016") narrowed to the one the text describes, with the whole text
        when it names one study and with the words up to the next name when it names several
        ("Beaumont et al.'s 2016 survey … and Fulton's 2018 study")."""
        found = []
        for i, mention in enumerate(mentions):
            refs = mention.refs
            if mention.possessive and not any(self._is_included(r) for r in refs):
                continue  # "Stamm's ProQOL", "Neff's definition": the work behind a measure or an idea
            if self.model is not None and len(refs) >= 2 and len({self.library.label(r) for r in refs}) == 1:
                own = text if len(mentions) == 1 else text[mention.start:mentions[i + 1].start if i + 1 < len(mentions) else len(text)]
                refs = self._one_namesake(own, refs)
            found.append(refs)
        return found

    def _one_namesake(self, text: str, refs: Sequence[int], *, side: bool = False) -> tuple[int, ...]:
        """Of papers named alike ("Beaumont et al. (2016)" is a survey and a workshop evaluation),
        the one the rest of the text describes ("the quantitative survey"); all of them otherwise."""
        alike = [s for s in self.model.studies if s.ref in refs]
        return described_study(text, alike, side=side, samples=self._samples) or tuple(refs)

    def _with_enumerations(self, lead: Claim | None, points: list[Claim]) -> list[Claim]:
        """A sentence that announces a list ("This review has several limitations.") is followed
        by the sentences that enumerate it ("First, …", "Second, …", "Finally, …"): they are what
        it means, so they come right after it."""
        chosen = ([lead] if lead else []) + points
        shown = {c.quote for c in chosen}
        expanded: list[Claim] = []
        for claim in points:
            expanded.append(claim)
            for item in self._enumerated_after(claim):
                if item.quote not in shown:
                    expanded.append(item)
                    shown.add(item.quote)
        if lead is not None:
            expanded = [c for c in self._enumerated_after(lead) if c.quote not in {p.quote for p in points}] + expanded
        return expanded

    def _with_explanation(self, read: ReadQuestion, ordered: list[Claim]) -> list[Claim]:
        """A question asking why, or whether findings conflict, gets the sentence that follows the
        leading one in the review when it goes on about the same studies: a sentence stating a
        contrast is followed by its explanation ("The two need not conflict: ..."). A leading sentence
        citing nothing that is followed by an example gets that example ("For example, the idea that
        being self-compassionate is selfish [15]"): it carries what a general sentence only announces.
        So does a sentence pointing back at the lead ("However, this suggestion is yet to be tested")."""
        if not ordered:
            return ordered
        # Each case puts the sentence after the lead right after it; the lead itself stays first.
        following = self._following(ordered[0])
        if _ASKS_WHY.search(read.clean.text) and ordered[0].source == "review":
            if (following is not None and not set(following.refs) - set(ordered[0].refs)
                    and not any(c.quote == following.quote for c in ordered)):
                ordered = [ordered[0], following, *ordered[1:]]
        # "This effect is not seen as necessarily negative": a sentence opening with a word pointing
        # back says what the finding before it means, and reads wrongly without it; it goes right
        # after the lead or the point it follows. After a sentence of the review's own citing nothing,
        # it may cite the work it rests on.
        for index in range(min(len(ordered), 4) - 1, -1, -1):
            claim = ordered[index]
            after = following if index == 0 else self._following(claim)
            if after is not None and _REFERS_BACK.match(after.quote) and (set(after.refs) <= set(claim.refs) or not claim.refs) \
                    and not any(c.quote == after.quote for c in ordered):
                ordered = [*ordered[:index + 1], after, *ordered[index + 1:]]
        if not ordered[0].refs and following is not None and _EXAMPLE.match(following.quote):
            # A general lead citing nothing is followed by the example that gives its evidence.
            if not any(c.quote == following.quote for c in ordered):
                ordered = [ordered[0], following, *ordered[1:]]
        return ordered

    def _following(self, claim: Claim) -> Claim | None:
        """The sentence after a claim's own where it stands, the paragraph going on in the next passage."""
        found = self._sentence_of(claim)
        if found is None:
            return None
        passage, at = found
        if at + 1 < len(passage.sentences):
            sentence, source = passage.sentences[at + 1], passage
        elif passage.kind == "prose" and (source := self._next_prose.get(passage.order)) is not None and source.sentences:
            sentence = source.sentences[0]
        else:
            return None
        return claim_from_sentence(sentence, source, claim.score * 0.99)

    def _enumerated_after(self, claim: Claim) -> list[Claim]:
        found = self._sentence_of(claim)
        if found is None:
            return []
        passage, at = found
        following = self._next_prose.get(passage.order) if passage.kind == "prose" else None
        after = [(s, passage) for s in passage.sentences[at + 1:]]
        if following is not None:
            after += [(s, following) for s in following.sentences]
        items = []
        for sentence, source in after:
            if not _ENUMERATED.match(sentence.text.strip()):
                break
            items.append(claim_from_sentence(sentence, source, claim.score * 0.99))
            if re.match(r"(finally|lastly)\b", sentence.text.strip(), re.IGNORECASE):
                break
        return items if len(items) >= 2 else []

    def _names_each(self, question: str, refs: Sequence[int]) -> bool:
        """The question names each of these studies apart (two surnames, or one author's two years),
        rather than one ambiguous name ("Shapiro et al.") that fits several."""
        if self.model is not None and set(self._study_per_side(question)) == set(refs):
            return True  # each side of the comparison names or describes one of them
        surnames = {fold(self.library.label(r).split(" ")[0]) for r in refs}
        if not all(name in fold(question) for name in surnames):
            return False  # studies carried over from an earlier answer, not named in this question
        years = set(re.findall(r"\b(?:19|20)\d{2}\b", question))
        return len(surnames) >= len(refs) or len(years) >= len(refs)

    def _with_study_facts(self, ref: int, markdown: str, citations: list):
        """A question about one study's size, design or instruments opens with the evidence
        model's record of them, saying so where its sources disagree on N."""
        study = self.model.study(ref) if self.model else None
        record = self.library.records.get(ref)
        if study is None or record is None:
            return markdown, citations
        parts = [study.design and f"design: {design_as_printed(study.design, record)}", study.n_statement()]
        if study.instruments:
            parts.append("measures: " + ", ".join(
                i.abbreviation if i.name == i.abbreviation else f"{i.abbreviation} ({i.name})" for i in study.instruments))
        facts = "; ".join(p for p in parts if p)
        if not facts:
            return markdown, citations
        line = f"**{self.library.label(ref)}** [{ref}] — {facts}."
        if not any(c.ref == ref for c in citations):
            citations = [self.library.citation(ref, table_quote(record, "n"), "review"), *citations]
        return f"{line}\n\n{markdown}", citations

    def _with_reference_entries(self, refs: Sequence[int], markdown: str, citations: list,
                                citing: Mapping[int, Claim] | None = None):
        """A question for a study's DOI or full reference opens with its entry in the review's
        reference list, as printed there, for a reference manager or a slide. A reference the
        answer does not cite yet is quoted by its table row or, given one, the review's sentence citing it."""
        cited = {c.ref for c in citations}
        shown = []
        for ref in refs:
            reference = self.library.references.get(ref)
            if reference is None:
                continue
            if ref not in cited:
                record = self.library.records.get(ref)
                if record is not None:
                    citations = [*citations, self.library.citation(ref, table_quote(record, "n"), "review")]
                elif citing and ref in citing:
                    citations = [*citations, self.library.citation(ref, citing[ref].quote, "review")]
                else:
                    continue  # no sentence of the corpus to quote for it
            printed = reference.doi is None or reference.doi in reference.text
            shown.append(f"[{ref}] {reference.text}" + ("" if printed else f" https://doi.org/{reference.doi}"))
        if not shown:
            return markdown, citations
        heading = "**Reference:**" if len(shown) == 1 else "**References:**"
        return "\n".join([heading, *shown]) + f"\n\n{markdown}", citations

    def _origin_refs(self, read: ReadQuestion) -> dict[int, Claim]:
        """The work the review cites for an instrument or programme the question names, where its
        name closes a clause: "the Center for Epidemiologic Studies Depression Scale (CES-D).[14]",
        "the MBSR program[47]". Its full name first (where the review introduces it), then its
        abbreviation; the first such clause of the review, and only one citing a work or two."""
        asked = read.clean.text.lower()
        named = [*read.entities, *(a for a, name in self.library.glossary.items() if len(name) > 8 and name.lower() in asked),
                 # An abbreviation the review prints without defining it ("MBCT training[52]").
                 *(a for a in written_acronyms(read.clean.text) if a not in read.entities and a.lower() in self.known_words)]
        full_names = [self.library.glossary[a] for a in named if a in self.library.glossary]
        # Naming nothing found so ("which methods paper is cited for thematic analysis?"): its
        # phrases of two or more corpus words, the rarest first.
        phrases = sorted(self._content_phrases(read.clean.text), key=lambda p: -min(self.idf.get(t, 0.0) for t in tokenize(p)))
        for group in (full_names, named, *([p] for p in phrases)):
            if not group:
                continue
            closing = re.compile(r"(?:" + "|".join(re.escape(n) for n in group) + r")\W*(?:\w+\W*){0,2}$", re.IGNORECASE)
            for passage in self._review_prose:
                for sentence in passage.sentences:
                    if not sentence.refs:
                        continue
                    claim = claim_from_sentence(sentence, passage, 0.0)
                    for clause, refs in cited_groups(claim.text):
                        found = [r for r in refs if r in self.library.references]
                        if found and len(found) <= 2 and closing.search(clause.strip()):
                            return {r: claim for r in found}
        return {}

    def _content_phrases(self, text: str) -> list[str]:
        """Runs of two or more words of the text that the corpus uses and that frame nothing
        ("thematic analysis", "methods paper"), as written."""
        phrases, run = [], []
        for word in [*re.findall(r"[\w'’-]+|[^\w\s]", text), "."]:
            tokens = tokenize(word)
            if tokens and all(t in self.known_words and t not in self.words.framing for t in tokens):
                run.append(word)
                continue
            if len(run) >= 2:
                phrases.append(" ".join(run))
            run = []
        return phrases

    def _study_profile(self, read: ReadQuestion, ref: int, claims: Sequence[Claim]):
        """'Tell me about study X': how it was done, then everything it found, from the review's
        table row and text and from its abstract, best-matching first."""
        own = [c for c in claims if c.refs == (ref,)]
        rows = [c for c in own if c.passage_id.startswith("table:")]
        if rows:
            # The table row in its printed order: design first, then each finding.
            record = self.library.records[ref]
            printed = table_claims(record, self.library.label(ref))
            rows = [next(c for c in rows if c.quote == p.quote) for p in printed if any(c.quote == p.quote for c in rows)]
        others = pick_claims([c for c in own if not c.passage_id.startswith("table:")], 3, per_passage=2)
        chosen = (rows + others)[:9]
        lead = chosen[0] if chosen else None
        return compose(read, lead, chosen[1:], [], self.library)

    def _with_continuations(self, hits: Sequence[Hit], top: int = 8) -> list[Hit]:
        """The best prose passages bring the next passage of their paragraph along: the review
        often names a study in one sentence and gives its result in the next."""
        pool = list(hits)
        present = {h.passage.passage_id for h in pool}
        for hit in hits[:top]:
            following = self._next_prose.get(hit.passage.order) if hit.passage.kind == "prose" else None
            if following is not None and following.passage_id not in present:
                pool.append(Hit(following, hit.score * 0.9, hit.dense * 0.95, 0.0))
                present.add(following.passage_id)
        return pool

    def _with_study_passages(self, pool: list[Hit], focus: Sequence[int], query: str) -> list[Hit]:
        """Every passage about the studies asked about competes, scored by its own similarity:
        a detail such as an effect size may sit in a passage the ranking left out."""
        present = {h.passage.passage_id for h in pool}
        floor = min((h.score for h in pool), default=0.0)
        query_vector = np.asarray(self._embed(query), dtype=np.float32)
        # A passage found by its words alone came without a similarity (0): it gets its own too.
        unscored = {h.passage.passage_id for h in pool if h.dense == 0.0}
        # Only these studies' vectors, asked of Chroma: none is held in memory.
        wanted = dict.fromkeys(p.passage_id for ref in focus for p in self._by_study.get(ref, [])
                               if p.passage_id not in present or p.passage_id in unscored)
        vector_of = passage_vectors(self.index, list(wanted))
        pool = [replace(h, dense=float(vector_of[h.passage.passage_id] @ query_vector))
                if h.passage.passage_id in unscored and h.passage.passage_id in vector_of else h for h in pool]
        extra = []
        for ref in focus:
            for passage in self._by_study.get(ref, []):
                vector = vector_of.get(passage.passage_id)
                if passage.passage_id in present or vector is None:
                    continue
                extra.append(Hit(passage, floor, float(vector @ query_vector), 0.0))
        return pool + extra

    def _listed_refs(self, read: ReadQuestion, claims: Sequence[Claim], focus: Sequence[int],
                     previous: Sequence[int] = ()) -> list[tuple[int, str]]:
        """The studies a list question (or a question about a named group of studies) asks for:
        table rows when the question names what the tables record, narrowed or completed by the
        studies behind the strongest claims. A follow-up to a list ("which of those…", "how long
        did each last?") keeps to the studies the earlier answer listed."""
        earlier = [r for r in dict.fromkeys(previous) if self._is_study(r)] if read.is_followup and read.route == "list" else []
        if len(earlier) >= 2:
            match = structured_matches(read, self.study_records, self.library.glossary)
            narrowed = [r.ref for r in match.records if r.ref in earlier] if match.strength else earlier
            return [(r, match.focus) for r in (narrowed or earlier)[:10]]
        if read.route != "list" and (focus or read.route not in ("overview", "effect", "contrast")):
            return []
        if not focus and _ABOUT_REVIEW.search(read.clean.text) and not points_at_several_studies(read.clean.text) \
                and not points_at_one_study(read.clean.text):
            # "Which depression scales did the review accept?": things the review itself names, not studies.
            return []
        if len(focus) == 1 and not read.is_followup:
            # "Smith's study: which questionnaires?" asks about that study, not for a list (a
            # follow-up's "did any of them" may still mean the earlier list).
            return []
        match = structured_matches(read, self.study_records, self.library.glossary)
        table = [r.ref for r in match.records]
        strong = _refs_of_claims(claims, focus)
        # The review's own sentence naming the group asked for ("three were at high risk of bias [20, 28, 30]").
        enumerated = self._citing_clause(read, claims) if self.settings.answer.citing_clause_lists else []
        whole = match.strength == "group" and not self._asks_beyond_design(read.clean.text)
        # A condition only the evidence model reads ("came out null", "no follow-up") picks from
        # the group every study meeting it: the model is complete where one review sentence is not.
        # The evidence model's facet match, asked at most once per question.
        facets = lru_cache(maxsize=1)(lambda: self._facet_match(read))
        conditioned = [r for r in table if r in set(facets().satisfying)] if match.strength == "group" and not whole else []
        if conditioned:
            refs = conditioned
        elif match.strength == "exact" or whole:
            refs = table  # "List all 14 randomised controlled trials": a group named by its design alone is all of it
        elif match.strength == "group" and len(within := [r for r in table if r in enumerated]) >= min(2, len(table)):
            # A clause citing one study of the group describes that study, not the group.
            refs = within
        elif match.strength != "group" and enumerated:
            refs = enumerated
        elif match.strength == "group":
            # A large group narrowed by other words ("intervention studies that used usual activities
            # as the comparison"): the evidence model's facets pick within it before the first claims do.
            faceted = [] if len(table) <= 6 else [r for r in facets().refs if r in table]
            refs = table if len(table) <= 6 else ((faceted if len(faceted) >= 2 else []) or [r for r in table if r in strong] or table)
            if match.programme:
                # Studies only the text covers, when their own sentence names the same programme.
                best = _refs_of_claims([c for c in claims if re.search(match.programme, c.text, re.IGNORECASE)], focus, ratio=0.85)
                refs += [r for r in best if r not in self.library.records and r not in refs]
        elif read.route == "list" and facets().refs:
            # Outcome or sample words only: the evidence model's facets decide, not the first claims.
            refs = list(facets().refs)
        elif match.strength == "loose":
            refs = [r for r in table if r in strong] or strong
        else:  # the evidence model's facets (asked above) found nothing either
            refs = strong if read.route == "list" else []
        if read.route != "list" and not (match.strength == "group" and len(refs) <= 8):
            return []
        # A list the tables give exactly (every study with that instrument), or the review's own
        # sentence does, is shown whole.
        shown = refs if match.strength == "exact" or whole or (enumerated and set(refs) <= set(enumerated)) else refs[:10]
        return [(r, match.focus) for r in shown if 1 <= r <= self.reference_count and self._is_study(r)]

    def _facet_match(self, read: ReadQuestion) -> FacetMatch:
        """The studies the evidence model's facets pick for a list question (`match_studies`), with
        those meeting the conditions it reads (direction of findings, sample size, follow-up,
        region, duration); nothing without a model."""
        if self.model is None:
            return FacetMatch((), False, False)
        return match_studies(read.clean.text, read.expansions, self.model.studies, self.digests, topic=self._topic,
                             documents=self._study_tokens)

    def _asks_beyond_design(self, question: str) -> bool:
        """The list question names something besides a design ("cross-sectional studies of burnout")."""
        rest = question
        for pattern, _ in DESIGN_FILTERS:
            rest = re.sub(pattern, " ", rest, flags=re.IGNORECASE)
        return any(t not in self.words.framing and t not in _LIST_FRAME and not t.isdigit() for t in tokenize(rest))

    def _citing_clause(self, read: ReadQuestion, claims: Sequence[Claim]) -> list[int]:
        """The studies the review itself names for what a list question asks: the best review
        sentence holding most of the question's words whose clause closest to them ends in a
        group of refs. () when no sentence singles out one group."""
        # A bare number ("RoB 2", "the 14 RCTs") names no part of what is listed.
        asked = {t for t in tokenize(read.clean.text) if t not in self.words.framing and t not in _LIST_FRAME and not t.isdigit()}
        if len(asked) < 2:
            return []
        found: list[list[int]] = []
        for claim in claims[:40]:
            if claim.source != "review" or claim.passage_id.startswith("table:"):
                continue
            cited = cited_groups(claim.text)
            clauses = [(tokenize(clause), refs) for clause, refs in cited]
            groups = [(set(tokens), refs) for tokens, refs in clauses]
            if not groups or len(asked & set(tokenize(claim.text))) < 0.6 * len(asked):
                continue
            # The clause the question's words single out: the only one holding some of them that
            # no other clause holds; or, in a parallel enumeration ("five were at low risk of bias
            # [..], ... three were at high risk [..]"), the one repeating the question's own
            # qualifier of the word the clauses share ("high risk").
            own = [asked & (tokens - set().union(*(other for j, (other, _) in enumerate(groups) if j != i)))
                   for i, (tokens, _) in enumerate(groups)]
            singled = [i for i, words in enumerate(own) if words]
            if len(singled) != 1:
                singled = _qualified_clause(tokenize(read.clean.text), clauses)
            if len(singled) != 1:
                continue
            refs = [r for r in groups[singled[0]][1] if self._is_study(r)]
            if len(refs) < 2:
                continue
            # A clause that counts its group ("five were judged at low risk of bias [18, 19, 22,
            # 23, 29]") is the review's own classification: it wins over a sentence that only
            # speaks of some of that group ("the low-risk trials either relied on … [19, 22, 23]").
            if str(len(refs)) in re.findall(r"\b\d+\b", numbers_as_digits(cited[singled[0]][0])):
                return refs
            found.append(refs)
        return found[0] if found else []

    def _is_included(self, ref: int) -> bool:
        """One of the studies the review includes: a row of its tables, or when it has no tables of
        studies, a study of the evidence model."""
        study = self.model.study(ref) if self.model is not None else None
        return study is not None and (study.in_tables or not any(s.in_tables for s in self.model.studies))

    def _is_study(self, ref: int) -> bool:
        from assistant.compose import _design_group

        return ref in self.library.records or _design_group(self.library.design(ref)) is not None

    def _study_line(self, ref: int, claims: Sequence[Claim], record_focus: str, question: str = "", every: bool = False) -> Claim:
        record = self.library.records.get(ref)
        if record is not None:
            place = ", ".join(self._study_places()[0].get(ref, []))
            study = self.model.study(ref) if self.model is not None else None
            return study_line(record, self.library, record_focus, question, every=every, place=place,
                              length=study.duration if study is not None else "")
        best = next((c for c in claims if ref in c.refs and len(c.refs) == 1), None) or next((c for c in claims if ref in c.refs), None)
        if best is None:
            best = self._digest_claim(ref)
        design = self.library.design(ref) or ""
        n = self.library.sample_size(ref)
        head = "; ".join(x for x in (design, f"N = {n}" if n else "") if x)
        text = f"**{self.library.label(ref)}** [{ref}]" + (f" — {head}" if head else "") + f". {best.text}"
        return Claim(text=text, refs=(ref,), quote=best.quote, source=best.source, score=best.score, passage_id=best.passage_id)

    def _digest_claim(self, ref: int) -> Claim:
        """A study's first key finding (or first digest sentence) as a claim, for a listed study
        that no retrieved sentence speaks about."""
        digest = self.digests.get(ref)
        text = (digest.key_findings[0] if digest and digest.key_findings else
                (digest.digest.split(". ")[0].rstrip(".") + "." if digest and digest.digest else self.library.label(ref)))
        return Claim(text=text, refs=(ref,), quote=text, source="abstract" if digest else "review", score=0.0,
                     passage_id=f"digest:{ref}")

    def _previous_refs(self, history: Sequence[str]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The refs the previous answer cited, and those of its lead claim (what "it" points at)."""
        if not history:
            return (), ()
        earlier = self.ask(history[-1], history[:-1][-1:], "researcher")
        refs = tuple(c.ref for c in earlier.citations if c.ref)
        if not earlier.citations:
            return refs, ()
        # A study the earlier question named or described is what "the sample" now points at.
        named, _ = named_studies(earlier.question, self.authors)
        asks_part = any(pattern.search(earlier.question) for _, pattern in _ASKS_KIND)
        if not named and earlier.citations[0].source == "review" and (
                (earlier.citations[0].ref == 0 and (asks_part or _ABOUT_REVIEW.search(earlier.question) or not refs))
                or (asks_part and not points_at_one_study(earlier.question))):
            # "Which database did the authors search?", then "how many records did that search
            # give?"; "what limitations did they see?", then "what do they say should be done
            # next?": answered by the review's own words, "they" are its authors, not those of a
            # study its sentence also cited.
            return refs, ()
        if not named and self.model is not None:
            by_words, by_meaning = self._described(earlier.question)
            named = by_words or by_meaning or tuple(
                # "Is nordic walking any good?", then "how long were the sessions?": pointing back
                # makes one distinctive facet enough, for a study the earlier answer cited.
                r for r in described_study(earlier.question, self.model.studies, side=True, samples=self._samples) if r in refs)
        if 1 <= len(named) <= 4:
            return refs, tuple(named)
        # "They"/"that study" point at the earlier answer's study only when it was about one study;
        # after a definition, "it" is the thing defined ("Who developed it?"), not a study.
        return refs, (refs if len(set(refs)) <= 2 and earlier.route != "definition" else ())

    def _continued_study(self, history: Sequence[str], hits) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """The study the conversation was about, when this question names none and that study is one
        of the first two the search finds for it (among its first passages): the question goes on about it.
        Returns (focus, refs the previous answer cited), or None."""
        studies = list(dict.fromkeys(h.passage.study_ref or h.passage.refs[0] for h in hits[:_CONTINUED_WITHIN]
                                     if h.passage.study_ref or len(h.passage.refs) == 1))[:2]
        if not studies:
            return None
        refs, focus = self._previous_refs(history)
        return (focus, refs) if len(focus) == 1 and focus[0] in studies else None

    def _abstain_reason(self, read: ReadQuestion, hits, unknown_named: Sequence[str], named: Sequence[int] = (),
                        by_name: Sequence[int] = ()) -> str | None:
        if unknown_named:
            return (f"The review does not cite any study by {', '.join(unknown_named)}, so I cannot say what it found; "
                    "I will not guess.")
        if reason := self._unreported_statistic(read, named, by_name):
            return reason
        if self._asks_whole_review(read):
            return None  # "what's the bottom line?" is answered from the review's conclusions
        best = max((h.dense for h in hits), default=0.0)
        if best < self.settings.answer.abstain_below and not named:
            return "The review and the abstracts it cites do not answer this question."
        if self._mostly_foreign(read.clean.text):
            # Another language, not an unknown topic: the embedding still matches its technical
            # terms, and the similarity threshold above decides.
            return None
        unknown = [w for w in self.unknown_terms(read) if not self._names_a_reference(w)]
        # Words the corpus never uses name a topic it lacks when they carry meaning and either make
        # up much of the question ("born", "PhD") or pull it away from the corpus; a few such words
        # that pull towards it are other words for something it covers ("inter-rater" for the
        # review's agreement between reviewers, a parent's "mum" in a question about walking) unless
        # they carry so much of its meaning that they are its topic ("postnatal" depression).
        # "Physiotherapists" where the corpus knows therapists: a kind of something it covers,
        # named by a word it never uses, is a kind it has no evidence on, however close in meaning.
        # So is an abbreviation it never uses ("BMI", "HRV"): a measure or method it has nothing on.
        # So is a group of people it never names, asked about as the people studied ("in veterinarians").
        # So is a measure named by a word it never uses ("the Beck Depression Inventory").
        measures = {word.lower(): name for name in map(_measure_name, _NAMED_MEASURE.findall(read.clean.text) if unknown else ())
                    for word in re.findall(r"[\w'’-]+", name)}
        if named_measure := next((measures[w] for w in unknown if w in measures), None):
            # Its abbreviation too, as the asker gave it: "the Beck Depression Inventory (BDI-II)".
            given = re.search(re.escape(named_measure) + r"\s*(\([^()]{1,15}\))", read.clean.text)
            shown = f"{named_measure} {given.group(1)}" if given else named_measure
            return f"The review and the abstracts it cites never mention the {shown}, so I cannot answer this from them."
        if kinds := [w for w in unknown if self._names_a_kind(w) or _studied_people(w, read.clean.text) or
                     (w in {a.lower() for a in written_acronyms(read.clean.text)} and w not in self._spelled_out_initials())]:
            written = {w.lower(): w for w in re.findall(r"[\w'’-]+", read.clean.text)}
            return (f"The review and the abstracts it cites say nothing about {', '.join(written.get(w, w) for w in kinds[:3])}, "
                    "so I cannot answer this from them.")
        # "The full citation: journal, volume, page range, corresponding author?": the words of a
        # bibliographic entry are what the reference list answers, not topics the corpus lacks.
        bibliographic = bool(_ASKS_REFERENCE.search(read.clean.text))
        carried = self.meaning_carried(read.context, unknown) if unknown and not bibliographic else 0.0
        # A question naming a study the review cites is about the corpus: unknown words in it are
        # what it asks of that study ("could baseline imbalance explain that?") unless they are its topic.
        # One word carrying a fifth of the question alone is its topic ("studies on pilates", "which
        # trials measured cortisol"), though its kin stand in the corpus and pull the question there;
        # several colloquial words that share as much ("wiped", "fluff") are only the asker's voice.
        # A place is left to the check of where the studies were done, which names theirs.
        # (A word rarely carries more alone than all of them together: each is weighed only then.)
        heaviest = 0.0
        if carried >= self.settings.answer.unknown_meaning_topic:
            topical = [w for w in unknown if not places_named(w)]
            heaviest = carried if topical == unknown and len(unknown) == 1 else \
                max((self.meaning_carried(read.context, [w]) for w in topical), default=0.0)
        if (carried > self.settings.answer.unknown_meaning_max
                and (heaviest >= self.settings.answer.unknown_meaning_topic
                     or (not named and (len(unknown) >= _UNKNOWN_SHARE * self._content_words(read.clean.text)
                                        or self.evidence_gain(read.context, unknown) > 0)))):
            if len(unknown) > 1:  # named by the meaning each carries: "postnatal" before "ease"
                unknown = sorted(unknown, key=lambda w: -self.meaning_carried(read.context, [w]))
            return (f"The review and the abstracts it cites say nothing about {', '.join(unknown[:3])}, "
                    "so I cannot answer this from them.")
        if not by_name and self.settings.answer.scope_from_review and (reason := self._outside_places(read.clean.text)):
            return reason  # a study described by a place none comes from is no study of the review
        if not named and self.settings.answer.scope_from_review and (
                reason := self._outside_period(read.clean.text) or self._outside_ages(read.clean.text) or self._excluded_topic(read)):
            return reason
        if named and not by_name and self.settings.answer.scope_from_review and (reason := self._outside_period(read.clean.text)):
            return reason  # "a 2023 RCT of the online programme": a year no cited work is from names no study described
        # A question naming a study by its authors is about the corpus: its other words are what
        # it asks of that study ("what Cohen's d did they report?" of a study whose passages print
        # only "d = 0.6"), not a topic the corpus lacks. A study found from a description ("after
        # the Mindful Self-Compassion programme") is only the closest one: what the question asks
        # of it must still stand near it ("heart-rate variability").
        # "The limitations the authors acknowledge": a part of the review it asks about is what the
        # question is about, as a named study is; its other words are what it asks of that part.
        asks_part = self._asked_review_part(read) is not None
        uncovered = self.uncovered_terms(read, hits, named) if not by_name and not bibliographic and not asks_part else []
        if uncovered and self.evidence_gain(read.context, uncovered) >= self.settings.answer.uncovered_gain_max:
            # Named rarest first: "sleep" says what is missing, "problems" does not.
            rarest = sorted(uncovered, key=lambda w: -min((self.idf.get(t, 99.0) for t in tokenize(w)), default=0.0))
            return (f"The review and the abstracts it cites say nothing that answers this about {', '.join(rarest[:2])}, "
                    "so I cannot answer it from them.")
        return None

    def _unreported_statistic(self, read: ReadQuestion, named: Sequence[int], by_name: Sequence[int] = ()) -> str | None:
        """A statistic the question asks for by name ("what number needed to treat did they
        report?", "Cronbach's alpha"), or a follow-up at a time ("the 12-month follow-up"), that its
        sources never print: the passages on the studies it names; the review's own text for a
        question about all its studies; or else the whole corpus. Any other wording stays answerable."""
        asked = [(name, printed) for name, asks, printed in self.words.statistics if asks.search(read.clean.text)]
        spans = follow_up_spans(read.clean.text)
        if not asked and not spans:
            return None
        places: frozenset[str] = frozenset()
        sources = "The review and the abstracts it cites report"
        if named:
            texts = [p.text for p in self.retriever.passages if set(p.refs) & set(named) or p.study_ref in named]
        elif _ABOUT_ALL_STUDIES.search(read.clean.text) or _REVIEWS_OWN.search(read.clean.text):
            sources = "The review itself reports"
            # "the pooled correlation across all the studies": the review's own synthesis, not a cited meta-analysis.
            texts = [p.text for p in self.retriever.passages if p.source == "review" and p.kind != "reference"]
        elif places := countries_named(read.clean.text):
            # "The burnout prevalence among UK psychologists": what the studies done there print.
            known = self._study_places()[0]
            there = {r for r, found in known.items() if set(found) & places}
            texts = [p.text for p in self.retriever.passages if set(p.refs) & there or p.study_ref in there]
        else:
            texts = [self._corpus_text()]
        # Only a study the asker named is named back; one found by its description may be a near miss.
        shown = [r for r in named if r in by_name]
        whom = f" for {' or '.join(self.library.label(r) for r in shown[:3])}" if shown else \
            f" for {' or '.join(sorted(places))}" if not named and places else ""
        for name, printed in asked:
            if not any(printed.search(text) for text in texts):
                return f"{sources} no {name}{whom}, so I cannot give one."
        if spans and not any(
                abs(asked - stated) <= max(1, 0.1 * asked) for stated in {w for text in texts for w in spans_in_weeks(text)} for asked in spans):
            # "The 12-month follow-up of the Zhou trial": a time the sources never state was never
            # measured there. Within a tenth, "a 12-week follow-up" is how one asker says "3-month".
            return (f"{sources} no follow-up at {' or '.join(spans.values())}{whom}, "
                    "so I cannot say what it showed.")
        return None

    def _outside_ages(self, question: str) -> str | None:
        """Ages the question asks about ("people in their 40s and 50s", "a 45-year-old") that
        the review's eligibility criteria leave out ("participants aged 60 years or over")."""
        asked = _asked_ages(question)
        if not asked:
            return None
        if self._age_limits is None:
            self._age_limits = _eligible_ages(s.text for p in self.retriever.passages
                                              if p.kind == "prose" and p.source == "review" for s in p.sentences)
        floor, ceiling, criterion = self._age_limits
        # "Does it help teenagers as much as it helps older adults?": one side is ages the review
        # leaves out, so the comparison asked for has no evidence, whatever it says of the other.
        if floor is not None and any(high < floor for _, high in asked):
            limit = f"aged {floor} and over"
        elif ceiling is not None and any(low > ceiling for low, _ in asked):
            limit = f"aged {ceiling} or under"
        else:
            return None
        return (f"The review includes only people {limit} (“{criterion}”), so it has no evidence on the ages you ask about.")

    def _outside_period(self, question: str) -> str | None:
        """A period the question asks about ("the 1990s", "before 2005") in which none of the
        included studies was published."""
        years = sorted({s.year for s in (self.model.studies if self.model else ()) if s.year and (s.in_tables or s.design)})
        if not years:
            return None
        asked = None
        if decade := re.search(r"\b((?:19|20)\d)0['’]?s\b|['’](\d)0s\b", question):
            start = int(decade.group(1)) * 10 if decade.group(1) else (1900 if int(decade.group(2)) >= 3 else 2000) + int(decade.group(2)) * 10
            asked, period = range(start, start + 10), f"the {start}s"
        elif bound := re.search(r"\b(before|prior to|earlier than|after|since|later than)\s+((?:19|20)\d{2})\b", question, re.I):
            year = int(bound.group(2))
            word = bound.group(1).lower()
            asked = range(0, year) if word in ("before", "prior to", "earlier than") else range(year + (word != "since"), 10_000)
            period = f"{word} {year}"
        elif (single := re.search(r"\b(?:in|from|during|of)\s+((?:19|20)\d{2})\b|\b((?:19|20)\d{2})\s+(?:studies|study|trials?|rcts?|papers?|articles?|surveys?|cohorts?|pilots?|experiments?|research)\b",
                                  question, re.I)) and not any(r.year == int(single.group(1) or single.group(2)) for r in self.references):
            # "the trials published in 2024": a year no work of the reference list comes from
            # (a year some cited work has may name that work, "the 2013 trial").
            year = int(single.group(1) or single.group(2))
            asked, period = range(year, year + 1), str(year)
        if asked is None or any(y in asked for y in years):
            return None
        return (f"None of the studies this review includes is from {period}: they were published between "
                f"{years[0]} and {years[-1]}, so I cannot say what studies from then found.")

    def _outside_places(self, question: str) -> str | None:
        """A place the question names as where research was done ("the Nigerian trial", "studies
        from South America") that none of the included studies comes from. Said only when the
        evidence model knows where nearly every included study was done (`answer.places_known_share`):
        a study of unknown place might have been done anywhere."""
        asked = places_asked_of_studies(question)
        if not asked:
            return None
        known, text = self._study_places()
        if not known:
            return None
        where = [place for places in known.values() for place in places]
        if sum(bool(places) for places in known.values()) < self.settings.answer.places_known_share * len(known):
            # Where most studies were done is unknown; a place the corpus never names is still
            # no place any of them can be shown to come from.
            unnamed = dict.fromkeys(place for word, pattern in asked
                                    if not pattern.search(text) and not any(pattern.search(p) for p in where)
                                    for place in (sorted(countries_named(word)) or [word]))
            return (f"Neither the review nor the abstracts it cites name {' or '.join(unnamed)} as a place any study "
                    "was done, so I cannot say what research from there found.") if unnamed else None
        missing = [word for word, pattern in asked if not any(pattern.search(place) for place in where)]
        if not missing:
            return None
        named = dict.fromkeys(place for word in missing for place in (sorted(countries_named(word)) or [word]))
        return (f"None of the studies this review includes was done in {' or '.join(named)}: they come from "
                f"{', '.join(sorted(set(where)))}, so I cannot say what research from there found.")

    def _names_studied_place(self, word: str) -> bool:
        """The word names a country where some included study was done ("Swedish" for a study
        in Sweden): it picks out studies the review has, whether or not the corpus prints that
        form of the name. Places none comes from are `_outside_places`' to decline."""
        asked = countries_named(word)
        return bool(asked) and any(asked & set(places) for places in self._study_places()[0].values())

    def _corpus_text(self) -> str:
        """Every passage's text, joined once per opened index."""
        if self._all_text is None:
            self._all_text = "\n".join(p.text for p in self.retriever.passages)
        return self._all_text

    def _study_places(self) -> tuple[dict[int, list[str]], str]:
        """Where each included study was done, as far as its country, sample and abstract say, and
        every text that could name a place (passages, abstracts' samples, references' titles);
        read once per opened index."""
        if self._places is None:
            studies = [s for s in (self.model.studies if self.model else ()) if s.in_tables or s.design]
            known = {s.ref: sorted(countries_named(f"{s.country} {s.population} {self._samples.get(s.ref, '')}")) for s in studies}
            named = "\n".join([self._corpus_text(), *self._samples.values(), *(r.title for r in self.references if r.title)])
            self._places = (known, named)
        return self._places

    def _by_country(self) -> tuple[str, list[int]] | None:
        """The countries of the included studies, as their sources name them: a line counting
        the studies of each, and the studies in that order; None when no source names one."""
        known = self._study_places()[0]
        included = [r for r in known if self._is_included(r)]
        named = Counter(place for r in included for place in known[r])
        # A study whose sources name two places ("Scotland", "United Kingdom") counts under the one
        # the other studies share, so each study counts once.
        country = {r: max(known[r], key=lambda place: (named[place], place)) for r in included if known[r]}
        placed = sorted(country, key=lambda r: (country[r], self.library.label(r)))
        if not placed:
            return None
        counts = Counter(country[r] for r in placed)
        shown = "; ".join(f"{country} ({n})" for country, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        unnamed = len(included) - len(placed)
        rest = f" Their sources name no country for the other {unnamed}." if unnamed else ""
        return (f"**{len(placed)} of the {len(included)} included studies name their country, {len(counts)} in all:** "
                f"{shown}.{rest}", placed)

    def _excluded_topic(self, read: ReadQuestion) -> str | None:
        """A topic of the question that the review names only to exclude it ("studies were
        excluded if they focused on people with dementia"): the review has no evidence on it by design."""
        if _ASKS_SELECTION.search(read.context or read.clean.text):
            return None  # a question about the selection itself (or following one) is answered from those sentences
        understood = self._understood(read.clean.text)
        for word in dict.fromkeys(_WORD.findall(read.clean.text)):
            tokens = [t for t in tokenize(word) if t not in self.words.framing and t in self.known_words]
            if not tokens or word.lower() in understood or self._names_a_reference(word):
                continue
            token = tokens[0]
            found = self.retriever.lexical(token, _EXCLUDED_MOST + 1)
            if len(found) > _EXCLUDED_MOST:
                continue  # a word of many passages is no topic the criteria shut out
            holding = [text for index, _ in found for sentence in self.retriever.passages[index].sentences
                       if token in tokenize(text := strip_markers(sentence.text))]
            if holding and all(_EXCLUDES.search(sentence) for sentence in holding) and \
                    self.meaning_carried(read.clean.text, [word]) >= self.settings.answer.excluded_meaning_min:
                # The clause that names it, not a whole list of criteria.
                clause = next(c for c in re.split(r";\s*", holding[0]) if token in tokenize(c)).strip()
                shown = clause if clause == holding[0].strip() else f"…{clause}…"
                return f"The review excluded studies of {word} by design (“{shown}”), so it has no evidence to answer this."
        return None

    def _content_words(self, text: str) -> int:
        """How many words of the text name something: neither function nor framing words."""
        words = dict.fromkeys(_WORD.findall(text))
        return sum(1 for w in words if not _CONTRACTION.search(w) and any(t not in self.words.framing for t in tokenize(w)))

    def uncovered_terms(self, read: ReadQuestion, hits: Sequence[Hit], named: Sequence[int] = ()) -> list[str]:
        """Words of the question that stand in none of the passages close to it: the corpus may
        use the word elsewhere ("sleep" in a scale's validation), but not where it meets the question.
        The studies the question names or describes ("the Australian one") are close by definition."""
        best = max((h.dense for h in hits), default=0.0)
        near = [self._tokens_of(h.passage) for h in hits if h.dense >= best - self.settings.answer.uncovered_margin]
        near += [self._tokens_of(p) for ref in named for p in self._by_study.get(ref, [])]
        # A description names a study's facets in its own forms ("Australian" for Australia).
        facets = sorted({t for ref in named if self.model is not None and (s := self.model.study(ref)) is not None
                         for t in tokenize(" ".join((s.country, s.population, s.intervention, s.duration, s.design)))})
        understood = self._understood(read.clean.text) | self._printed_statistic_words(read.clean.text)
        acronyms = set(written_acronyms(read.clean.text))
        uncovered = []
        for word in dict.fromkeys(_WORD.findall(read.clean.text)):
            # An abbreviation is no stop word by its stem ("HADS" is not "had"s).
            tokens = [t for t in tokenize(word) if t not in self.words.framing or word in acronyms]
            if (not tokens or word.lower() in understood or self._names_a_reference(word) or _CONTRACTION.search(word)
                    or self._names_studied_place(word)):
                continue
            if any(lexicon_words(base, self._lexicon_here) for base in _bases(word)):
                continue  # "safer": the lexicon reads "safe"
            if word.lower() in _GREEK and self._knows_word(word):
                continue  # "kappa" where the corpus prints "κ = 0.81": the tokenizer reads no Greek letters
            forms = [tokens, *([t for t in tokenize(base) if t not in self.words.framing] for base in _bases(word))]
            # An abbreviation the corpus spells out but never prints ("MDD") stands where its name does.
            name = tokenize(self._spelled_out_initials().get(word.lower(), "")) if word in acronyms else []
            if name and any(all(t in passage for t in name) for passage in near):
                continue
            if not any(t in passage for ts in forms for t in ts for passage in near) and not any(_shares_start(t, facets) for t in tokens):
                uncovered.append(word)
        return uncovered

    def _printed_statistic_words(self, text: str) -> set[str]:
        """The words naming a statistic the question asks for that the corpus prints ("inter-rater
        agreement" where the review prints "κ = 0.81"): what it asks for, in the words of its kind."""
        words: set[str] = set()
        for name, asks, printed in self.words.statistics:
            for match in asks.finditer(text):
                if _remembered(self._corpus_prints, name, 64, lambda: bool(printed.search(self._corpus_text()))):
                    words.update(w.lower() for w in _WORD.findall(match.group(0)))
        return words

    def _understood(self, text: str) -> frozenset[str]:
        """The words of a question the everyday lexicon reads here, that ask for a summary or that
        name a region where some included study was done, read once per question: the scope,
        coverage and unknown-word checks all ask for them."""
        return _remembered(self._understood_words, text, 1024,
                           lambda: frozenset(lexicon_words(text, self._lexicon_here) | summary_request_words(text)
                                             | region_words(text, self.model.studies if self.model else (), self.digests)
                                             | direction_words(text) | doubt_words(text) | asker_doing_words(text)))

    def _tokens_of(self, passage) -> frozenset[str]:
        """A passage's tokens, remembered (bounded): the same passages come back question after question."""
        return _remembered(self._passage_tokens, passage.passage_id, 20_000, lambda: frozenset(tokenize(passage.text)))

    def evidence_gain(self, text: str, words: Sequence[str]) -> float:
        """How much closer the question comes to the corpus without those words: the best dense
        similarity of the reduced question minus that of the whole. Words the corpus speaks to in
        other terms (a colloquial "going easier on myself") pull towards it, words naming what it
        lacks ("insomnia") pull away."""
        reduced = _without(text, words)
        if not reduced.strip():
            return 0.0
        return self._best_dense(reduced) - self._best_dense(text)

    def _best_dense(self, text: str) -> float:
        """The best dense similarity of a text to the corpus, remembered (bounded): a question's
        own is asked once for the unknown words and once for the uncovered ones."""
        return _remembered(self._dense_best, text, 1024, lambda: max((s for _, s in self.retriever.dense(text, 5)), default=0.0))

    def _mostly_foreign(self, text: str) -> bool:
        """Most words are neither corpus words nor English words: a question in another language."""
        words = [w for w in re.findall(r"[^\W\d_]{3,}", text)]
        # A word with a letter English does not write ("más", "ayudaría") is foreign though its
        # folded form stands in the tokenizer's word list ("mas").
        foreign = [w for w in words if not self.speller.knows(w) and (not self.speller.is_english(w) or not w.isascii())]
        return len(words) >= 4 and len(foreign) > len(words) / 2

    def _compounds(self, text: str) -> list[str]:
        """Two words of the question the corpus writes as one ("dropped out" where it writes
        "dropout", "cut off" for "cutoff"): the one word, to search and weigh beside them."""
        # Words with an apostrophe are no halves of a compound ("review's" is no "review" + "s").
        words = re.findall(r"[a-z]+(?:['’][a-z]+)?", text.lower())
        asked = set(tokenize(text))
        found = []
        for first, second in zip(words, words[1:]):
            if len(first) < 3 or len(second) < 2 or not (first + second).isalpha():
                continue
            for head in dict.fromkeys((first, stem_of(first))):
                joined = tokenize(head + second)
                if len(head + second) >= 6 and joined and joined[0] in self.retriever.vocabulary and joined[0] not in asked:
                    found.append(head + second)
                    break
        return list(dict.fromkeys(found))

    def _capitalised_surnames(self, text: str) -> str:
        """"the van hoorn trial", "finlay-jones's course": a first author's surname written in lower
        case is written as the reference list writes it, so it names the study as it would
        capitalised; only surnames that are no English word ("park", "young" stay words)."""
        if self._lower_surnames is None:
            forms = {}
            for reference in self.references:
                surname = first_author_surname(reference.label)
                longest = max(re.findall(r"[^\W\d_]+", surname), key=len, default="")
                if len(longest) >= 4 and not self.speller.is_english(longest) and surname.lower() != surname:
                    forms[surname.lower()] = surname
            self._lower_surnames = (re.compile(r"(?<![\w'’-])(" + "|".join(map(re.escape, sorted(forms, key=len, reverse=True))) + r")(?![\w-])"),
                                    forms) if forms else (None, {})
        pattern, forms = self._lower_surnames
        return pattern.sub(lambda m: forms[m.group(1)], text) if pattern is not None else text

    def _says_first_author(self, text: str, ref: int) -> bool:
        """The text writes the surname of the study's first author as it stands in its label."""
        surname = first_author_surname(self.library.label(ref))
        return len(surname) >= 3 and bool(re.search(rf"(?<![\w-]){re.escape(fold(surname))}(?![\w-])", fold(text)))

    def _names_a_reference(self, word: str) -> bool:
        """A word that is (or is one typo from) an author's surname in the reference list."""
        from rapidfuzz.distance import OSA

        # A double-barrelled name is its parts ("jimenez-gomez" of "Jiménez-Gómez"), in any accents.
        parts = [p for p in re.split(r"[-'’]", fold(word)) if p] or [fold(word)]
        return all(len(part) >= 4 and any(OSA.distance(part, name) <= (1 if len(part) >= 5 else 0) for name in self._surnames)
                   for part in parts)

    def unknown_terms(self, read: ReadQuestion) -> list[str]:
        """Words of the question that stand nowhere in the corpus (nor in the everyday lexicon),
        read once per question: the scope check and the partly-covered note both ask."""
        return list(_remembered(self._unknown_words, read.clean.text, 1024, lambda: tuple(self._unknown_in(read))))

    def _unknown_in(self, read: ReadQuestion) -> list[str]:
        understood = self._understood(read.clean.text)
        words = re.findall(r"[a-z0-9][a-z0-9'’-]*[a-z0-9]", read.clean.text.lower())
        acronyms = {w.lower() for w in written_acronyms(read.clean.text)}
        unknown = []
        for word in dict.fromkeys(words):
            if _CONTRACTION.search(word):
                continue  # "won't", "she'll": function words, whatever the corpus says
            # A short word that is no English word is a typo of a function word ("wich"), not a
            # topic; short acronyms ("BMI") and short words ("twin") are topics.
            parts = [p for p in re.split(r"['’]s\b|['’-]", word) if len(p) > 2 and not re.fullmatch(r"\d+(s|st|nd|rd|th)?", p)
                     and (len(p) > 4 or word in acronyms or p in acronyms or self.speller.is_english(p))]
            if (word in understood or not parts or (word in acronyms and word in self._spelled_out_initials())
                    or (word in acronyms and self._prints_abbreviation(word)) or self._names_studied_place(word)):
                continue  # an abbreviation the corpus never prints, but whose name it spells out ("BMI")
            # An abbreviation is no stop word by its stem ("HADS" is not "had"s, "IFS" not "if"s).
            missing = [p for p in parts if not self._knows_word(p, framing=p not in acronyms and word not in acronyms)]
            if missing:
                unknown.append(word)
        return unknown

    def _prints_abbreviation(self, word: str) -> bool:
        """An abbreviation the corpus prints in capitals, or its plural ("ORs" where it prints
        "OR 0.58"): the tokenizer drops short words such as "or" and "as", so the word lists miss them."""
        if self._capital_words is None:
            self._capital_words = frozenset(w.lower() for w in re.findall(r"\b[A-Z][A-Z0-9-]+\b", self._corpus_text()))
        return word in self._capital_words or (word.endswith("s") and word[:-1] in self._capital_words)

    def _spelled_out_initials(self) -> Mapping[str, str]:
        """The initials of every name the corpus spells out in capitals ("Maslach Burnout
        Inventory" gives "mbi"), with the name, so an abbreviation it never prints is still known by its name."""
        if self._initials is None:
            text = self._corpus_text()
            initials: dict[str, str] = {}
            for name in _TITLE_RUN.findall(text):
                initials.setdefault("".join(w[0] for w in re.findall(r"[A-Z][\w'’]*", name)).lower(), name)
            # A name written in lower case, if the corpus uses it more than once: "major depressive
            # disorder" gives "mdd" (a run of content words; a one-off run names nothing).
            words = re.findall(r"[A-Za-z]+", text)
            runs: dict[tuple[str, ...], int] = {}
            for k in range(2, 6):
                for i in range(len(words) - k + 1):
                    run = tuple(w.lower() for w in words[i:i + k])
                    if all(len(w) >= 3 and w not in STOPWORDS for w in run):
                        runs[run] = runs.get(run, 0) + 1
            for run, count in runs.items():
                if count >= 2:
                    initials.setdefault("".join(w[0] for w in run), " ".join(run))
            # A measure led by a number, in any case: "six-minute walk test" gives "6mwt".
            for match in _NUMBER_LED.finditer(numbers_as_digits(text)):
                words = re.split(r"[\s-]+", match.group(2))
                for k in range(2, len(words) + 1):
                    initials.setdefault(match.group(1) + "".join(w[0] for w in words[:k]).lower(),
                                        f"{match.group(1)} {' '.join(words[:k])}")
            self._initials = MappingProxyType(initials)
        return self._initials

    def _glossary_for(self, question: str) -> dict[str, str]:
        """The corpus's glossary, with the name of each abbreviation of the question that the
        corpus never prints but spells out ("6MWT": "6 minute walk test"), so the search finds it by name."""
        names = {w: self._spelled_out_initials().get(w.lower()) for w in written_acronyms(question)
                 if w not in self.library.glossary and w.lower() not in self.known_words}
        added = {w: name for w, name in names.items() if name}
        return {**self.library.glossary, **added} if added else self.library.glossary

    def _names_a_kind(self, word: str) -> bool:
        """An unknown word made of a word-forming part and a content word of the corpus
        ("physio" + "therapists", "neuro" + "psychologists"), not a grammatical prefix ("non",
        "over") that keeps the topic."""
        word = word.lower()
        if self.speller.is_english(word):
            return False  # a word of the dictionary ("composition") is a word, not "com" + "position"
        for cut in range(3, len(word) - 5):
            head, rest = word[:cut], word[cut:]
            if head in _GRAMMATICAL_PREFIXES or not head.isalpha() or not rest.isalpha():
                continue
            tokens = tokenize(rest)
            if tokens and all(t in self.known_words and t not in self.words.framing for t in tokens):
                return True
        return False

    def _knows_word(self, word: str, framing: bool = True) -> bool:
        tokens = tokenize(word)
        # "Quit" shares its stem with the framing word "quite" but frames no question.
        framing = framing and (len(tokens) != 1 or self.words.frames(word))
        if not tokens or all(self._knows(t, framing) for t in tokens):
            return True
        if (symbol := _GREEK.get(word.lower())) is not None:
            # "kappa" where the corpus prints "κ = 0.81" (the tokenizer reads no Greek letters).
            if self._greek_printed is None:
                self._greek_printed = frozenset(s for s in _GREEK.values() if s in self._corpus_text())
            return symbol in self._greek_printed
        return any((found := tokenize(base)) and all(self._knows(t, framing) for t in found) for base in _bases(word))

    def _knows(self, token: str, framing: bool = True) -> bool:
        """A token the corpus knows: the word, its stem, a word sharing its stem's beginning
        ('trauma' ~ 'traumatic'), every part of a compound, or (with `framing`) a framing word."""
        if token in self.known_words or _stem(token) in self.known_stems or (framing and token in self.words.framing):
            return True
        return _shares_start(token, self._sorted_words)

    def meaning_carried(self, text: str, words: Sequence[str]) -> float:
        """How much of the question's meaning those words carry: 1 - cos(question, question without them)."""
        reduced = _without(text, words)
        full, rest = self._embed(text), self._embed(reduced)  # remembered: the question's own is usually known
        return 1.0 - float(sum(a * b for a, b in zip(full, rest)))

    def _described(self, text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The one study a text describes: (by its facets' words, ()) or else ((), by meaning),
        the latter only when the text points at one study."""
        if classify_route(text) == "definition":
            return (), ()  # "What is the Mindful Self-Compassion programme?" asks what it is, not about one study of it
        by_words = described_study(text, self.model.studies, samples=self._samples)
        # "Beaumont 2016 CFT workshop" is one of that author's studies; "the Beaumont studies" all of them.
        authors = {s.ref for s in by_first_author(text, self.model.studies)} if not points_at_several_studies(text) else set()
        if by_words or not (points_at_one_study(text) or len(authors) >= 2):
            return by_words, ()
        # "An MBCT course" is matched by meaning with its name spelled out, as titles and samples write it.
        names = [name for abbreviation, name in self.library.glossary.items() if _names_abbreviation(text, abbreviation)]
        names += [name for w in written_acronyms(text) if w not in self.library.glossary
                  and (name := self._spelled_out_initials().get(w.lower()))]
        closeness = self._study_closeness(f"{text} ({'; '.join(names)})" if names else text)
        if len(authors) >= 2:
            # "Beaumont 2016 CFT workshop": one of the named author's studies, whichever is clearly
            # closest in meaning, or else all of them; never another author's.
            closeness = {ref: value for ref, value in closeness.items() if ref in authors}
            return (), closest_study(closeness, self.settings.answer.describe_margin) or tuple(sorted(authors))
        return (), closest_study(closeness, self.settings.answer.describe_margin)

    def _study_closeness(self, text: str) -> dict[int, float]:
        """Each study's similarity in meaning to the text: its title, design, sample, intervention
        and country, embedded once per opened index (on first use)."""
        import numpy as np

        if self._profile_vectors is None:
            titles = {r.ref: r.title for r in self.references}
            studies = [s for s in self.model.studies if s.in_tables or s.design]
            profiles = [" ".join(p for p in (titles.get(s.ref, ""), s.design, s.population, s.intervention, s.country,
                                             self._samples.get(s.ref, "")) if p)
                        for s in studies]
            vectors = np.asarray(self._embeddings.embed_documents(profiles), dtype=np.float32) if profiles else np.zeros((0, 1))
            self._profile_vectors = ([s.ref for s in studies], vectors)
        refs, vectors = self._profile_vectors
        if not refs:
            return {}
        similarity = vectors @ np.asarray(self._embed(text), dtype=np.float32)
        return {ref: float(value) for ref, value in zip(refs, similarity)}

    def _embed(self, text: str) -> list[float]:
        """A query embedding; the embedder remembers recent ones (a chat embeds its earlier questions again)."""
        return self._embeddings.embed_query(text)


_ASKS_STUDY_FACTS = re.compile(r"\b(how many|sample|participants|\bn\b|size|design|kind of (study|trial)|randomi[sz]ed|rct|"
                               r"instruments?|measures?|measured|scales?|questionnaires?|tools?)\b", re.IGNORECASE)
# Who made an instrument or programme, and when: the work the review cites for it.
_ASKS_ORIGIN = re.compile(r"\b(who (?:originally |first )?(?:developed|created|designed|devised|wrote|made|invented|authored|came up with)|"
                          r"(?:originally|first) (?:developed|designed|created|described|published|proposed)|"
                          r"original (?:paper|source|reference|article|version|authors?)|where (?:does|did) (?:it|that|this|the \S+) come from|"
                          # "Which source does the review cite for MBCT?", "which methods paper is cited for it?"
                          r"(?:which|what) (?:\w+ )?(?:source|paper|reference|work|article|book)s? (?:(?:does|do|did) (?:the (?:review|authors?)|they) cite|"
                          r"(?:is|are|was|were) cited))\b",
                          re.IGNORECASE)
# A study's bibliographic entry: its DOI, full reference, or where it was published.
_ASKS_REFERENCE = re.compile(r"\b(dois?|full (reference|citation)|(reference|citation) (for|to|of)|how (do|should|would|can) i cite|"
                             r"bibliograph\w*|(which|what) journal|published (in|where)|where was (it|that|this) published)\b", re.IGNORECASE)
# What a question asks of the review itself, by the evidence model's kinds of review facts it is answered from.
_ASKS_KIND = (
    (("limitations",), re.compile(r"\b(limitations?|weakness(es)?|weakest|weak (points?|spots?)|shortcomings?)\b", re.IGNORECASE)),
    (("future research",), re.compile(r"\b(future (research|studies|work|trials)|further research|research gaps?|next steps|"
                                      r"(studies|research|trials)\b.{0,40}\b(done|carried out|run|conducted) next|next (studies|research|trials))\b",
                                      re.IGNORECASE)),
    # The review's own conclusions, not what a study or an earlier review concluded.
    (("conclusions",), re.compile(r"\b((the|this) review('s)? conclu\w*|(the )?authors'? conclu\w*|"
                               r"conclusions? of (the|this) review|take-?home (messages?|points?))\b", re.IGNORECASE)),
    # How the review chose and combined its studies (its methods and search facts).
    (("methods", "search"), re.compile(r"\b(eligibility|(inclusion|exclusion|selection) criteria|criteria for (inclusion|exclusion)|age limit|"
                           r"search (strategy|string|terms)|how (did|were) (they|the (authors|reviewers)) (search|screen|select|synthesi[sz]|combin|pool)\w*|"
                           r"(narrative|statistical) synthesis|screening (process|agreement|disagreements?))\b", re.IGNORECASE)),
)
# A number and the words it leads ("6-minute walk test" as the corpus may spell "six-minute walk test").
_NUMBER_LED = re.compile(r"\b(\d{1,3})[\s-]+([a-z]+(?:[\s-]+[a-z]+){1,3})", re.IGNORECASE)
# A measure named in title case: capitalised words ending in what a questionnaire is called.
_NAMED_MEASURE = re.compile(r"\b(?:[A-Z][\w'’-]*\s+){1,5}(?:Inventory|Scale|Questionnaire|Index|Checklist|Test|Interview|Schedule)\b")
# A name in title case: two to six capitalised words, "of", "and", "for", "the" or "&" between them.
_TITLE_RUN = re.compile(r"\b[A-Z][\w'’]*(?:[\s-]+(?:(?:of|and|for|the|in|on|&)\s+)?[A-Z][\w'’]*){1,5}")


# A noun for people by what they do or are ("veterinarians", "pharmacists", "firefighters",
# "retirees"), after a word saying they are the ones studied ("in", "among", "for" …).
_PEOPLE_NOUN = re.compile(r"[a-z]{3,}(?:ians|ists|ers|ors|ees|ants|ents)")
# A group of people a question names: a plural of someone by what they do, or people in general.
# ("Participants" and "respondents" are those of a study: of the one spoken of.)
_GROUP_NAMED = re.compile(rf"\b(?!participants\b|respondents\b)(?:{_PEOPLE_NOUN.pattern}|people|adults|men|women|folks?|children|kids)\b", re.IGNORECASE)


def _studied_people(word: str, text: str) -> bool:
    if not _PEOPLE_NOUN.fullmatch(word):
        return False
    return bool(re.search(rf"(?i)\b(?:in|among|amongst|for|on)\s+(?:[\w-]+\s+)?{re.escape(word)}\b", text))


def written_acronyms(text: str) -> list[str]:
    """Abbreviations as the question writes them ("BMI", "GAD-7", "6MWT", "BDI-II", "RoB"): words
    of 2 to 12 characters, capitals at least two and half their letters ("McDonald", "PsycInfo"
    are names); none in a question typed in capitals, where every word would be one."""
    words = re.findall(r"[A-Za-z0-9][\w-]*", text)
    found = [w for w in words if 2 <= len(w) <= 12 and (capitals := sum(c.isupper() for c in w)) >= 2
             and 2 * capitals >= sum(c.isalpha() for c in w)]
    typed_in_capitals = 5 * sum(c.islower() for c in text) < sum(c.isalpha() for c in text)
    return [] if typed_in_capitals else list(dict.fromkeys(found))


_ELIGIBILITY = re.compile(r"\b(eligib\w*|inclusion criteri\w*|were included if|included studies? (of|with|that))\b", re.IGNORECASE)
_AGE_FLOOR = re.compile(r"\baged (\d{1,3})(?: years)? (?:or|and) (?:over|older|above)\b|(?:≥|>=) ?(\d{1,3})\b", re.IGNORECASE)
_AGE_CEILING = re.compile(r"\baged (\d{1,3})(?: years)? (?:or|and) (?:under|younger|below)\b|\b(?:under|younger than) (?:the age of )?(\d{1,2})\b",
                          re.IGNORECASE)


def _eligible_ages(sentences: Iterable[str]) -> tuple[int | None, int | None, str]:
    """The lowest and highest ages the review's eligibility criteria admit, and the clause saying so."""
    for sentence in sentences:
        if not _ELIGIBILITY.search(sentence):
            continue
        for pattern, which in ((_AGE_FLOOR, "floor"), (_AGE_CEILING, "ceiling")):
            if match := pattern.search(sentence):
                age = int(next(g for g in match.groups() if g))
                clause = next(c for c in re.split(r"[;:]\s*", sentence) if match.group(0) in c).strip(" .")
                return (age, None, clause) if which == "floor" else (None, age, clause)
    return None, None, ""


# "in their 40s and 50s", "a 45-year-old", "aged 45", "my 50 yo client": the ages a question names.
_DECADE = re.compile(r"\b(?:in (?:their|his|her|my|your|our) )?([1-9])0['’]?s\b")
_AGE = re.compile(r"\b(\d{1,3})[- ]?(?:years?[- ]old|year olds?|yo|y/o)\b|\baged (\d{1,3})\b", re.IGNORECASE)


def _asked_ages(question: str) -> list[tuple[int, int]]:
    ages = [(int(d) * 10, int(d) * 10 + 9) for d in _DECADE.findall(question)]
    ages += [(int(a or b), int(a or b)) for a, b in _AGE.findall(question)]
    # "teenagers", "kids": a stage of life is its ages (assistant/data/life_stages.json).
    ages += [span for pattern, span in life_stages() if pattern.search(question)]
    return ages


# Words of a list question that ask for the list rather than say what its studies share.
_LIST_FRAME = frozenset(tokenize("which what list name studies study trials trial papers paper works articles did were "
                                 "was have has had any all ones controlled design designs"))
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ", "kappa": "κ",
          "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "chi": "χ", "omega": "ω"}
_NEGATING_PREFIXES = ("un", "non-", "non", "in", "im", "ir", "il", "dis")


def _qualified_clause(question: Sequence[str], clauses: Sequence[tuple[Sequence[str], tuple[int, ...]]]) -> list[int]:
    """The clauses holding the question's word pair (qualifier, word) for a word that several
    clauses share: "high risk" singles out "three were at high risk" from "five at low risk"."""
    pairs = [set(zip(tokens, tokens[1:])) for tokens, _ in clauses]
    found: set[int] = set()
    for qualifier, word in zip(question, question[1:]):
        if sum(word in tokens for tokens, _ in clauses) >= 2:
            found |= {i for i, held in enumerate(pairs) if (qualifier, word) in held}
    return sorted(found)


def _bases(word: str) -> list[str]:
    """The words a word negates or grades ("unsupervised" -> "supervised", "safer" -> "safe",
    "bigger" -> "big") or the abbreviation it is the plural of ("HRs" -> "hr"): the corpus speaks of
    its topic in those words."""
    lowered = word.lower()
    bases = [lowered[len(prefix):] for prefix in _NEGATING_PREFIXES if lowered.startswith(prefix)]
    if grade := re.fullmatch(r"([a-z]{2,}?)([b-df-hj-np-tv-z])?\2?(?:er|est)", lowered):
        stem = grade.group(1) + (grade.group(2) or "")
        bases += [stem, stem + "e"]
    plural = [lowered[:-1]] if re.fullmatch(r"[a-z]{2,4}s", lowered) else []
    return [b for b in bases if len(b) >= 3] + plural


# English prefixes that make a word of the same topic ("nonclinical", "overcommitted"), not a kind of it.
_GRAMMATICAL_PREFIXES = frozenset("non pre post anti sub semi multi inter intra over under self mis dis out counter super "
                                  "hyper hypo micro macro mid pro trans ultra extra auto re un in im ir il co de".split())
# A topic the eligibility criteria shut out stands in a few passages at most (the criteria, the flow of records).
_EXCLUDED_MOST = 6
# Passages found by a comparison's two sides alone, read for claims beside the question's own.
_SIDE_PASSAGES = 8
# Unknown words making up this share of a question's content words decline it, wherever they pull.
_UNKNOWN_SHARE = 0.4
# A word of the question rare enough in the corpus to name a part of it ("handgrip", "attendance").
_RARE_IDF = 2.5
# A sentence opening with a word that points back at the one before ("This effect…", "These results…").
_REFERS_BACK = re.compile(r"\s*(?:(?:however|moreover|thus|therefore|indeed|nevertheless),?\s+)?(?:this|these|such|that|those)\b(?!\s+(?:is|was|were|are)\s+(?:why|because|what|how))", re.IGNORECASE)
# A sentence giving an example of the one before it, which carries what that one only announces.
_EXAMPLE = re.compile(r"\s*(for (example|instance)|e\.g\.|specifically|in particular|namely)\b", re.IGNORECASE)
# Where a comparison turns from one side to the other.
_SIDES = re.compile(r"\b(?:but|whereas|while|when|compared (?:with|to)|versus|vs\.?|than|and yet|differ(?:s|ed)? from|"
                    r"different from)\b|[—–;]", re.IGNORECASE)
# A sentence that compares: "higher attendance than home-based ones", "group vs home (+)".
# Not "compared": "only one study has compared MBSR with MSC" says what was done, not found.
_COMPARES = re.compile(r"\b(than|versus|vs\.?|whereas|while|unlike|favou?ring|outperform\w*|compared (?:with|to)|"
                       r"differ\w*|(?:more|less|higher|lower|better|worse|larger|smaller|greater)\b)", re.IGNORECASE)
# Where the name of a compared thing ends and its qualifiers begin.
_QUALIFIER = re.compile(r"\s(?:for|in|among|on|at|with|of|to|from|by|during|after|over|when|among)\s", re.IGNORECASE)
# Words and signs with which a sentence reports a result, not how a study was run.
_FINDING_CUE = re.compile(
    r"\b(improv\w*|reduc\w*|decreas\w*|increas\w*|lower\w*|higher|greater|fewer|(?:more|less) than|smaller|larger|"
    r"no (?:significant )?(?:difference|change|effect|association|link)s?|not (?:significant\w*|differ\w*)|did not|"
    r"associat\w*|correlat\w*|predict\w*|effects?|significant\w*|benefit\w*|worse\w*|better|beat|rose|fell|dropped|"
    r"gain\w*|declin\w*|remission|mediat\w*|themes?|found|showed|described|experienced|valued|helped|ns)\b|"
    r"\b[dgrp]\s*[=<>]|\b(?:OR|HR|RR|SMD|MD)\b|\([+-]\)|%")
# Kinds of the review's own sentences (evidence model facts) that say what was done, not found.
# Nor does what the review says research should do next ("direct comparisons … would answer").
_NOT_FINDINGS = frozenset({"background", "aims", "search", "methods", "future research"})
# A table row's descriptive cells as one claim: "**Smith et al. (2019)** [12] (Table 1): country: ...".
_TABLE_DESCRIPTION = re.compile(r"\*\*[^*]+\*\* \[\d+\] \([^)]*\): ")
# A question for a reason, or whether findings disagree.
_ASKS_WHY = re.compile(r"\b(why|how come|conflict\w*|contradict\w*|disagree\w*|inconsisten\w*|explain\w*|reasons?)\b", re.IGNORECASE)
# The items of a list the review spells out sentence by sentence.
_ENUMERATED = re.compile(r"(first|second|third|fourth|fifth|sixth|seventh)(ly)?\b,?\s|(finally|lastly)\b,?\s", re.IGNORECASE)
# A word of a question as its coverage checks read it (letters first and last, hyphens and apostrophes inside).
_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]")
# Contractions, also as typed without the apostrophe ("Im", "dont", "whats"): function words.
_CONTRACTION = re.compile(r"(?:n['’]t|['’](?:ll|re|ve|d|m))$|^(?:im|ive|id|ill|youre|youve|theyre|weve|were|thats|whats|"
                          r"hows|whos|wheres|theres|heres|lets|(?:do|does|did|is|are|was|were|has|have|had|ca|wo|could|"
                          r"would|should|must|need)nt)$", re.IGNORECASE)
# How reviews word their exclusion criteria and the records they excluded.
# "A summary of the whole review": whatever else the request names (its audience, a leaflet).
_WHOLE_REVIEW = re.compile(r"\b(whole|entire|full) (review|paper|article)\b|\b(review|paper) as a whole\b|"
                           r"\b(the|this) (review|paper)['’]s (results|findings|conclusions)\b", re.IGNORECASE)
# A criterion that shut studies out, not a limitation's guess that the search "may have excluded" some.
_EXCLUDES = re.compile(r"(?<!may have )(?<!might have )(?<!could have )\bexclu(?:ded|sion|ding|de)\b|\bnot eligible\b|\bineligible\b|"
                       r"\bwere not included\b", re.IGNORECASE)
_ASKS_SELECTION = re.compile(r"\bexclu|\beligib|\bcriteri|\bscreen|\bselect|\binclusion\b|\b(allow|permit|accept)(s|ed)?\b|\bwhy (were|was)\b.*\b(left out|dropped|removed)", re.IGNORECASE)
_ABOUT_REVIEW = re.compile(r"\b(the|this) review\b|\bthe (review's )?authors\b|\breview(ers)? (conclude|recommend|say|call)", re.IGNORECASE)
_ASKS_AIM = re.compile(r"\b(aims?|aimed|purpose|goals?|why (did|was|were)|rationale|background|motivat\w*|set out)\b", re.IGNORECASE)
# The included studies taken together: their totals are the review's own numbers.
_ABOUT_ALL_STUDIES = re.compile(r"\b(in total|overall|altogether|in all|combined|all (the )?(included )?(studies|trials) together|"
                                r"across (all )?(the |their |its )?([\w-]+ ){0,2}(studies|trials)|how many (\w+ ){0,2}(studies|trials|papers|participants|people|patients))\b",
                                re.IGNORECASE)
# "The review's meta-analysis", "this review's own pooled estimate": what the review itself computed.
_REVIEWS_OWN = re.compile(r"\b(?:the|this) review['’]s\b|\bthe authors['’] own\b", re.IGNORECASE)
_THE_REVIEW_ITSELF = re.compile(r"\b(the|this) review(?! of)\b(?!\s+(?:cites?|cited|says?|finds?|found|includes?|included))", re.IGNORECASE)
_SPANNING = re.compile(r"\b(rang(ed|ing|es?) (from|between)|median|on average|averag(e|ed) (of|across))\b", re.IGNORECASE)
_TOTALLING = re.compile(r"\b(in total|in all|altogether|together|combined|overall)\b", re.IGNORECASE)
_POINTING = re.compile(r"\b(it|its|they|them|their|that (one|study|trial|paper|programme|program)|this (one|study|trial)|"
                       r"the same (study|trial)|she|he|her|his|the (sample|participants|intervention|course|programme|program|trial|study))\b",
                       re.IGNORECASE)


def _remembered(cache: dict, key, most: int, make):
    """The cached value for `key`, made and kept if missing; a full cache starts afresh (bounded memory)."""
    if key not in cache:
        if len(cache) >= most:
            cache.clear()
        cache[key] = make()
    return cache[key]


def scope_statement(review) -> str:
    """What the review covers, in its own words: its title and keywords."""
    if not review.title:
        return "Ask about what the review and the studies it cites report."
    keywords = "; ".join(review.keywords)
    return f"The review, “{review.title}”, covers" + (f": {keywords}." if keywords else " only what its title says.")


def _in_english_use(zipf: float):
    """Whether a word is common enough in English (wordfreq's Zipf scale, offline word lists in
    its wheel) to be written on purpose; None (no such check) when the setting is off (0)."""
    if zipf <= 0:
        return None

    def in_use(word: str) -> bool:
        # Imported on first need (a question with a word the corpus lacks), not at start: its
        # word lists take a few hundred milliseconds to read.
        from wordfreq import zipf_frequency

        return zipf_frequency(word, "en") >= zipf

    return in_use


def _tokenizer_words(settings: Settings) -> list[str]:
    """Whole words of the embedding model's tokenizer: a list of English words spelt right."""
    from pathlib import Path

    from ingest.index import _model_path as model_path  # the bundled model, or a local path

    vocab = Path(model_path(settings)) / "vocab.txt"
    try:
        return [w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha()]
    except OSError:
        return []


def _list_intro(count: int) -> str:
    return f"**{count} {'study' if count == 1 else 'studies'} in the review match:**"


_CONTINUED_WITHIN = 6  # passages of the search read for the studies it finds first


def _measure_name(found: str) -> str:
    """A measure's name without the question's words before it ("Did Beck Depression Inventory")."""
    words = found.split()
    while len(words) > 2 and words[0].lower() in STOPWORDS:
        words = words[1:]
    return " ".join(words)


def _first_found(refs: Sequence[int], hits) -> tuple[int, ...]:
    """Of several papers one name fits, the one whose passage the search ranks first, counting
    only passages on one of them; all of them when the search finds none apart."""
    for hit in hits:
        alone = set(hit.passage.refs) & set(refs)
        if len(alone) == 1:
            return tuple(alone)
    return tuple(refs)


def _dominant_study(hits, least: int = 3) -> tuple[int, ...]:
    """The one study most of the best passages are about, if there is one: at least `least` of
    them. (A comparison asks for less, when the best passage itself is about that study and the
    study speaks of both sides: "is MSC better than MBSR?" of the one trial of both.)"""
    counts: dict[int, int] = {}
    for hit in hits:
        if len(hit.passage.refs) == 1:
            counts[hit.passage.refs[0]] = counts.get(hit.passage.refs[0], 0) + 1
    best = max(counts.items(), key=lambda kv: kv[1], default=(0, 0))
    leads = bool(hits) and hits[0].passage.refs == (best[0],)
    return (best[0],) if best[1] >= 3 or (best[1] >= least and leads) else ()


_PROFILE = re.compile(r"\b(summar\w*|tell me about|describe|overview of|what did .{0,80} (find|show|report|say|describe|experience)|main (findings|results)|what (?:was|is) (?:the|that) .{0,60}\b(?:study|trial|paper|programme|program|intervention))\b", re.IGNORECASE)
_GLUE = "of|the|a|an|and|or|to|in|on|at|for|with|from|by|after|before|during|is|are|was|were|do|does|did|have|has|help|helps"


def _shares_start(token: str, words: Sequence[str]) -> bool:
    """The token is among the sorted words, or (5 letters or more) a word sharing its beginning
    is: "australian" ~ "australia", "trauma" ~ "traumatic". One binary search, no scan."""
    prefix = token if len(token) < 5 else token[: max(5, len(token) - 2)]
    index = bisect.bisect_left(words, prefix)
    if index == len(words):
        return False
    return words[index] == token if len(token) < 5 else words[index].startswith(prefix)


def _without(text: str, words: Sequence[str]) -> str:
    """The text without those words; each goes with the noun it qualifies ("airline pilots", "blood pressure")."""
    pattern = re.compile(r"(?i)\b(" + "|".join(re.escape(w) for w in words) + r")\w*('s|s')?(\s+(?!(?:" + _GLUE + r")\b)[a-z]+)?")
    return pattern.sub(" ", text)


def _dense_query(read: ReadQuestion) -> str:
    """A follow-up with words of its own is embedded on its own (plus expansions); a bare
    "and anxiety?" borrows the earlier question's meaning."""
    if read.is_followup and len(tokenize(read.clean.text)) >= 3:
        return " ".join([read.clean.text, *read.expansions])
    return read.search_text


def _points_back(question: str) -> bool:
    """The question points at what was said before ("how many were in it?", "that trial"). "They"
    after a group it names without "the" ("do counsellors … get help for their own…") is that
    group, anyone's, and points nowhere."""
    for match in _POINTING.finditer(question):
        before = question[:match.start()]
        if match.group(1).lower() in ("they", "them", "their") and any(
                not re.search(r"\b(the|those|these|that|this)\s+(?:[\w-]+\s+)?$", before[:group.start()], re.IGNORECASE)
                for group in _GROUP_NAMED.finditer(before)):
            continue
        return True
    return False


def _stem(word: str) -> str:
    for suffix in ("ingly", "edly", "ing", "ers", "ed", "er", "est", "ly", "ness", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _is_caveat(claim: Claim) -> bool:
    return bool(CONTRAST_CUE.search(claim.text))


def _refs_of_claims(claims: Sequence[Claim], named: Sequence[int], ratio: float = 0.75, most: int = 8) -> list[int]:
    """The studies behind the strongest claims, for list questions the tables cannot filter."""
    refs: list[int] = list(named)
    top = claims[0].score if claims else 0.0
    for claim in claims:
        if claim.score < top * ratio:
            break
        refs.extend(claim.refs)
    return list(dict.fromkeys(refs))[:most]


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


@lru_cache(maxsize=2)
def _cached(settings: Settings) -> Assistant:
    return Assistant(settings)


def get_assistant(settings: Settings | None = None) -> Assistant:
    """The process's assistant, loaded on first use."""
    return _cached(settings or get_settings())


def answer_batch(assistant: Assistant, rows: Iterable[dict]) -> Iterator[Answer]:
    """The batch path: one answer per question-format row (id, question, history, persona);
    an unknown persona is an error naming the row's line."""
    for line, row in enumerate(rows, start=1):
        # Other keys of the question format (gold refs, ...) are ignored, as DESIGN.md says.
        try:
            persona = check_persona(row.get("persona"))
        except EvidenceError as error:
            raise EvidenceError(f"line {line} (id {row.get('id')!r}): {error}") from None
        yield assistant.ask(row.get("question", ""), row.get("history") or (), persona, id=row.get("id"))
