"""Optional online enrichment: the published abstracts of a review's references, fetched from
Crossref, then Europe PMC, then OpenAlex, with every HTTP response cached on disk.

Nothing here touches the network unless a caller asks (`python -m ingest --fetch-abstracts`);
importing the module makes no request. A rerun reads its answers from the cache, so an
interrupted run resumes where it stopped and a finished one can be replayed offline.
The HTTP layer is the standard library's urllib, so enrichment adds no dependency.
"""
from __future__ import annotations

import errno
import hashlib
import html
import json
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from pathlib import Path
from typing import Any, Literal

from rapidfuzz import fuzz, utils
from tqdm import tqdm

from common.errors import EvidenceError
from ingest.records import Digest, Reference

AbstractSource = Literal["crossref", "europepmc", "openalex"]
SOURCE_NAMES: dict[str, str] = {"crossref": "Crossref", "europepmc": "Europe PMC", "openalex": "OpenAlex"}
USER_AGENT = "evidence-assistant/0.1"
# A bibliographic search always returns something; only a near-identical title is the same work.
TITLE_MATCH_MIN = 90.0
# Shorter "abstracts" are placeholders (a lone heading, a copyright line), not the work's summary.
MIN_ABSTRACT_WORDS = 20
# Answers worth keeping: 429 and 5xx are transient and asked again on the next run.
_CACHEABLE = frozenset({200, 404, 410})


@dataclass(frozen=True)
class EnrichEndpoints:
    """Base URLs of the three services; tests point them at a local server."""

    crossref: str = "https://api.crossref.org"
    europepmc: str = "https://www.ebi.ac.uk"
    openalex: str = "https://api.openalex.org"


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how patiently requests are made."""

    requests_per_second: float = 5.0  # per host
    timeout: float = 20.0  # seconds per request
    max_retries: int = 4  # on 429, 5xx, timeouts and dropped connections
    backoff: float = 1.0  # first wait between tries; doubles each time unless Retry-After says otherwise
    max_wait: float = 60.0  # no single wait is longer
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class FetchedAbstract:
    """One reference's published abstract and where it came from (the cited work, not the review)."""

    ref: int
    text: str
    source: AbstractSource
    source_url: str  # a page a reader can open: the DOI link, the Europe PMC article, the OpenAlex work
    doi: str
    fetched_at: str  # ISO 8601, UTC: when the service answered (the cached response's time)
    api_url: str = ""  # the exact request the text was taken from (without the contact address)
    doi_from_title: bool = False  # the review printed no usable DOI; Crossref matched the title

    @property
    def provenance(self) -> str:
        return f"abstract of the cited work from {SOURCE_NAMES[self.source]} ({self.source_url}), not the review"


@dataclass(frozen=True)
class EnrichProblem:
    """A reference without an abstract, and why; ref None concerns the whole run."""

    ref: int | None
    reason: str


@dataclass(frozen=True)
class EnrichResult:
    abstracts: tuple[FetchedAbstract, ...]
    problems: tuple[EnrichProblem, ...]
    requests: int = 0  # HTTP requests sent in this run (retries included)
    cache_hits: int = 0

    @property
    def offline(self) -> bool:
        return any(p.ref is None and p.reason.startswith("offline") for p in self.problems)

    def describe(self) -> str:
        """One line for the CLI: how many abstracts from where, and what it cost."""
        counts = Counter(a.source for a in self.abstracts)
        sources = ", ".join(f"{SOURCE_NAMES[s]} {n}" for s, n in counts.items())
        return (f"Abstracts: {len(self.abstracts)} found ({sources or 'none'}), {len(self.problems)} problems; "
                f"{self.requests} requests, {self.cache_hits} answered from the cache.")


# --- HTTP with a disk cache -------------------------------------------------------------------

@dataclass(frozen=True)
class _Response:
    url: str
    status: int
    body: str
    fetched_at: str

    def json(self) -> Any:
        if self.status != 200:
            return None
        try:
            return json.loads(self.body)
        except json.JSONDecodeError:
            return None


class _Offline(Exception):
    """The host is unreachable and the answer is not cached."""


class _FetchFailed(Exception):
    """The host answered, but not usefully, even after retries."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


def _unreachable(error: BaseException) -> bool:
    """Refused, unresolvable or unroutable: retrying now will not help."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror)) or (
        getattr(reason, "errno", None) in (errno.ENETUNREACH, errno.EHOSTUNREACH))


@dataclass
class CachedHttp:
    """GET with one cache file per URL, a per-host rate limit, retries and offline detection.

    `online`: False reads the cache only; None (detect) stops asking a host after it could not be
    reached; True keeps asking and reports each failure."""

    cache_dir: Path
    contact: str | None = None
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    online: bool | None = None
    requests: int = 0
    cache_hits: int = 0
    unreachable: set[str] = field(default_factory=set)
    skipped: int = 0
    _last_request: dict[str, float] = field(default_factory=dict)
    _answered: set[str] = field(default_factory=set)

    @property
    def user_agent(self) -> str:
        return f"{USER_AGENT} (mailto:{self.contact})" if self.contact else USER_AGENT

    def cache_path(self, url: str) -> Path:
        return self.cache_dir / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()[:32]}.json"

    def get(self, url: str, *, mailto: bool = False) -> _Response:
        """The answer for `url`, from the cache when there; `mailto` adds the contact as a query
        parameter (Crossref's and OpenAlex's polite pool) without making it part of the cache key."""
        path = self.cache_path(url)
        if path.exists():
            try:
                cached = json.loads(path.read_text(encoding="utf-8"))
                self.cache_hits += 1
                return _Response(cached["url"], cached["status"], cached["body"], cached["fetched_at"])
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache file is fetched again
        host = urllib.parse.urlsplit(url).netloc
        if self.online is False or host in self.unreachable:
            self.skipped += 1
            raise _Offline(host)
        sent = url
        if mailto and self.contact:
            sent += ("&" if "?" in url else "?") + urllib.parse.urlencode({"mailto": self.contact})
        status, body = self._send(sent, host)
        response = _Response(url, status, body, _now())
        if status in _CACHEABLE:
            self._store(path, response)
        return response

    def _store(self, path: Path, response: _Response) -> None:
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            partial.write_text(json.dumps(asdict(response), ensure_ascii=False), encoding="utf-8")
            partial.replace(path)  # atomic: an interrupted run never leaves half a file
        except OSError as error:
            raise EvidenceError(f"Cannot write the abstract cache at {self.cache_dir} ({error.strerror}); "
                                "choose a writable cache directory.") from None

    def _wait_turn(self, host: str) -> None:
        interval = 1.0 / self.policy.requests_per_second if self.policy.requests_per_second > 0 else 0.0
        last = self._last_request.get(host)
        if last is not None:
            wait = last + interval - time.monotonic()
            if wait > 0:
                self.policy.sleep(wait)
        self._last_request[host] = time.monotonic()

    def _open(self, url: str) -> tuple[int, str, float | None]:
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.policy.timeout) as response:
                return response.status, response.read().decode("utf-8", "replace"), None
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace") if error.fp else ""
            return error.code, body, _retry_after(error.headers.get("Retry-After") if error.headers else None)

    def _send(self, url: str, host: str) -> tuple[int, str]:
        failure = ""
        answered = False
        for attempt in range(self.policy.max_retries + 1):
            self._wait_turn(host)
            self.requests += 1
            retry_after = None
            try:
                status, body, retry_after = self._open(url)
            except (urllib.error.URLError, OSError, HTTPException) as error:
                # In detect mode the first contact is the probe: a host that never answered is not retried.
                if self.online is None and (_unreachable(error) or host not in self._answered):
                    self.unreachable.add(host)
                    raise _Offline(host) from None
                failure = f"no answer from {host} ({getattr(error, 'reason', None) or error or type(error).__name__})"
            else:
                self._answered.add(host)
                if status != 429 and status < 500:
                    return status, body
                answered, failure = True, f"HTTP {status} from {host}"
            if attempt < self.policy.max_retries:
                backoff = self.policy.backoff * 2 ** attempt
                self.policy.sleep(min(self.policy.max_wait, retry_after if retry_after is not None else backoff))
        if not answered and self.online is None:
            self.unreachable.add(host)
            raise _Offline(host)
        raise _FetchFailed(f"{failure} after {self.policy.max_retries + 1} tries")


# --- Parsing the services' answers (pure) -----------------------------------------------------

_HEADING_CLOSE = re.compile(r"</(?:jats:)?(?:title|h\d)\s*>", re.I)
_BLOCK_TAG = re.compile(r"</?(?:jats:)?(?:p|sec|list|list-item|li|ul|ol|div|br|h\d|title)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_ABSTRACT_HEADING = re.compile(r"^\s*<(?:jats:)?(?:title|h\d)[^>]*>\s*abstract\s*</(?:jats:)?(?:title|h\d)\s*>", re.I)


def plain_text(markup: str) -> str:
    """Abstract markup (Crossref's JATS XML, Europe PMC's HTML) as one line of plain text; section
    headings run into their paragraph as `Background: …`."""
    text = _ABSTRACT_HEADING.sub("", markup)
    text = _HEADING_CLOSE.sub(": ", text)
    text = _BLOCK_TAG.sub(" ", text)
    while _ANY_TAG.search(text):  # removing one tag may join the halves of another
        text = _ANY_TAG.sub("", text)
    text = html.unescape(text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([:;,.])", r"\1", text)
    return re.sub(r"([:.?!]):", r"\1", text)


def text_from_inverted_index(index: dict[str, Sequence[int]] | None) -> str:
    """OpenAlex's `abstract_inverted_index` (word -> positions) back to running text."""
    if not index:
        return ""
    words = {position: word for word, positions in index.items() for position in positions}
    text = " ".join(words[position] for position in sorted(words))
    return plain_text(re.sub(r"^Abstract\s+", "", text))


def title_similarity(a: str, b: str) -> float:
    """0..100; case, punctuation and spacing do not count."""
    return fuzz.ratio(a, b, processor=utils.default_process)


def _is_abstract(text: str) -> bool:
    return len(text.split()) >= MIN_ABSTRACT_WORDS


def _quoted(doi: str) -> str:
    return urllib.parse.quote(doi, safe="/")


def _same_doi(a: str | None, b: str | None) -> bool:
    def bare(doi: str | None) -> str:
        return re.sub(r"^https?://(?:dx\.)?doi\.org/", "", (doi or "").strip(), flags=re.I).lower()
    return bool(a and b) and bare(a) == bare(b)


# --- The three services -----------------------------------------------------------------------

@dataclass
class _Enricher:
    http: CachedHttp
    endpoints: EnrichEndpoints
    problems: list[EnrichProblem] = field(default_factory=list)

    def resolve_doi(self, reference: Reference) -> str | None:
        """The DOI of the Crossref work whose title is near-identical to the reference's, else None
        (with a problem saying why)."""
        if not reference.title:
            self.problems.append(EnrichProblem(reference.ref, "no usable DOI and no title to search Crossref by"))
            return None
        query = " ".join(str(part) for part in (reference.title, reference.first_author_surname, reference.year or "") if part)
        url = f"{self.endpoints.crossref.rstrip('/')}/works?" + urllib.parse.urlencode(
            {"query.bibliographic": query, "rows": 1})
        message = (self.http.get(url, mailto=True).json() or {}).get("message") or {}
        items = message.get("items") or []
        if not items:
            self.problems.append(EnrichProblem(reference.ref, "no usable DOI, and Crossref found no work for its title"))
            return None
        top = items[0]
        titles = [t for t in top.get("title") or [] if t]
        candidates = titles + [f"{t}: {s}" for t in titles for s in top.get("subtitle") or [] if s]
        score = max((title_similarity(reference.title, c) for c in candidates), default=0.0)
        found = top.get("DOI") or ""
        prefix_ok = not (reference.doi and reference.doi_truncated) or found.lower().startswith(reference.doi.lower())
        if score < TITLE_MATCH_MIN or not found or not prefix_ok:
            shown = (titles or ["(untitled)"])[0][:80]
            self.problems.append(EnrichProblem(
                reference.ref, f"no usable DOI; Crossref's best title match '{shown}' (similarity {score:.0f}) is not this work"))
            return None
        return found

    def from_crossref(self, doi: str) -> tuple[str, str, _Response] | None:
        url = f"{self.endpoints.crossref.rstrip('/')}/works/{_quoted(doi)}"
        response = self.http.get(url, mailto=True)
        work = (response.json() or {}).get("message") or {}
        text = plain_text(work.get("abstract") or "")
        return (text, f"https://doi.org/{doi}", response) if _is_abstract(text) else None

    def from_europepmc(self, doi: str) -> tuple[str, str, _Response] | None:
        url = f"{self.endpoints.europepmc.rstrip('/')}/europepmc/webservices/rest/search?" + urllib.parse.urlencode(
            {"query": f'DOI:"{doi}"', "resultType": "core", "format": "json"})
        response = self.http.get(url)
        results = (((response.json() or {}).get("resultList") or {}).get("result")) or []
        for hit in results:
            text = plain_text(hit.get("abstractText") or "")
            if _same_doi(hit.get("doi"), doi) and _is_abstract(text):
                page = f"https://europepmc.org/article/{hit.get('source', 'MED')}/{hit.get('id', '')}"
                return text, page, response
        return None

    def from_openalex(self, doi: str) -> tuple[str, str, _Response] | None:
        url = f"{self.endpoints.openalex.rstrip('/')}/works/https://doi.org/{_quoted(doi)}"
        response = self.http.get(url, mailto=True)
        work = response.json() or {}
        text = text_from_inverted_index(work.get("abstract_inverted_index"))
        if not _is_abstract(text):
            return None
        return text, work.get("id") or f"https://doi.org/{doi}", response

    def enrich(self, reference: Reference) -> FetchedAbstract | None:
        """The first abstract found for one reference; a problem is recorded when there is none,
        except when the only reason is being offline (the run reports that once)."""
        usable = reference.doi if reference.doi and not reference.doi_truncated else None
        try:
            doi = usable or self.resolve_doi(reference)
        except _Offline:
            return None
        except _FetchFailed as error:
            self.problems.append(EnrichProblem(reference.ref, f"no usable DOI; the title search failed: {error}"))
            return None
        if not doi:
            return None
        failures: list[str] = []
        offline = False
        fetchers: tuple[tuple[AbstractSource, Callable[[str], tuple[str, str, _Response] | None]], ...] = (
            ("crossref", self.from_crossref), ("europepmc", self.from_europepmc), ("openalex", self.from_openalex))
        for source, fetch in fetchers:
            try:
                found = fetch(doi)
            except _Offline:
                offline = True
                continue
            except _FetchFailed as error:
                failures.append(f"{SOURCE_NAMES[source]}: {error}")
                continue
            if found:
                text, page, response = found
                return FetchedAbstract(ref=reference.ref, text=text, source=source, source_url=page, doi=doi,
                                       fetched_at=response.fetched_at, api_url=response.url,
                                       doi_from_title=usable is None)
        if offline and not failures:
            return None
        reason = f"no abstract for doi:{doi} at Crossref, Europe PMC or OpenAlex"
        self.problems.append(EnrichProblem(reference.ref, reason + (f" ({'; '.join(failures)})" if failures else "")))
        return None


def fetch_abstracts(
    references: Iterable[Reference],
    *,
    cache_dir: Path,
    contact: str | None,
    base_urls: EnrichEndpoints | None = None,
    progress: bool = True,
    online: bool | None = None,
    policy: FetchPolicy | None = None,
) -> EnrichResult:
    """The published abstract of each reference that has one, looked up by DOI (or by title where
    the review printed none) at Crossref, Europe PMC, then OpenAlex. Never raises for network
    trouble: an unreachable service becomes the problem "offline: nothing fetched …" and the cache
    keeps whatever was answered. `online=False` answers from the cache only."""
    http = CachedHttp(Path(cache_dir), contact=contact, policy=policy or FetchPolicy(), online=online)
    enricher = _Enricher(http, base_urls or EnrichEndpoints())
    abstracts: list[FetchedAbstract] = []
    references = list(references)
    for reference in tqdm(references, desc="Fetching abstracts", unit="ref", disable=not progress, file=sys.stderr):
        found = enricher.enrich(reference)
        if found:
            abstracts.append(found)
    problems = list(enricher.problems)
    if http.skipped:
        where = ", ".join(sorted(http.unreachable)) or "the network (online=False)"
        problems.insert(0, EnrichProblem(None, (
            f"offline: nothing fetched from {where} ({http.skipped} lookups skipped); "
            "rerun with network access to resume — answers already cached are kept")))
    return EnrichResult(tuple(abstracts), tuple(problems), requests=http.requests, cache_hits=http.cache_hits)


# --- Provenance: into the corpus's digest records ---------------------------------------------

def as_digests(result: EnrichResult) -> tuple[Digest, ...]:
    """One `Digest` per fetched abstract (digest = the abstract's text, source_url = where it
    came from), in reference order, for `ingest.chunking.digest_passages`."""
    return tuple(
        Digest(ref=a.ref, found=True, source_url=a.source_url, study_type=None, participants=None, n=None,
               digest=a.text, key_findings=())
        for a in sorted(result.abstracts, key=lambda a: a.ref)
    )


def abstract_records(result: EnrichResult) -> list[dict[str, Any]]:
    """JSONL-ready records in the digests format, plus provenance fields that the digest reader ignores."""
    return [
        {"ref": a.ref, "found": True, "source_url": a.source_url, "study_type": None, "participants": None,
         "n": None, "digest": a.text, "key_findings": [], "source": a.source, "provenance": a.provenance,
         "doi": a.doi, "doi_from_title": a.doi_from_title, "api_url": a.api_url, "fetched_at": a.fetched_at}
        for a in sorted(result.abstracts, key=lambda a: a.ref)
    ]


def write_abstracts(result: EnrichResult, path: Path) -> Path:
    """Writes the fetched abstracts as a digests JSONL file that `python -m ingest` reads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record, ensure_ascii=False) for record in abstract_records(result)]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path
