"""Deterministic fault injection: the mirror as a hostile server, for robustness tests.

A ``FaultPlan`` decides, per request, from (fault seed, path, attempt number for that path)
whether and how the server misbehaves. The path is the URL path without its query string;
the attempt number counts the GET requests the server has seen for that path (1, 2, ...),
so retries can eventually succeed. Each path draws one scenario from
``Random(f"{seed}:{path}")``: with probability ``rate`` it is faulty, with one fault kind
among those enabled that apply to the page (articles, listings, feeds; robots.txt, the admin
endpoints and HEAD requests are never faulted), for a number of attempts. With probability
``hostile_rate`` a faulty article path is **permanently hostile**: the fault repeats forever.

Fault kinds (``KINDS``), with the pages they hit and the attempts they cover:

- ``http500`` (all pages; 2-4 attempts on articles, 1-2 elsewhere): 500, small HTML body.
- ``http503`` (same): 503 Service Temporarily Unavailable.
- ``http429`` (all; 1-2): 429 Too Many Requests with ``Retry-After: 1``.
- ``slow`` (all; 1): the normal answer, after ``slow_seconds`` (meant to outlast the
  client's timeout).
- ``reset`` (all; 1-2): headers with the full Content-Length, half the body, then an
  abortive close (SO_LINGER 0): the client gets a TCP RST.
- ``truncated`` (all; 1-2): the same, closed with a plain FIN: a short body.
- ``redirect_loop`` (articles; every attempt): 302 to ``{path}?mirror-loop=1``, which
  302s back to ``{path}``: A -> B -> A -> ... (B's requests are not attempts of A).
- ``redirect_offsite`` (articles; 1): 302 to ``http://evil.invalid{path}`` (``.invalid``
  never resolves: it must not be followed).
- ``cp1251_header`` (articles; every attempt) [*]: the page as windows-1251 bytes,
  ``charset=windows-1251`` in the Content-Type and in ``<meta charset>``. Characters that
  windows-1251 lacks become character references, so the text is unchanged once decoded.
- ``cp1251_meta`` (articles; every attempt) [*]: the same bytes as plain ``text/html``
  with no charset: only the meta tells.
- ``wrong_charset`` (articles; every attempt) [*]: a charset header that lies: the
  windows-1251 page labelled ``charset=utf-8``, or the UTF-8 page labelled
  ``charset=windows-1251`` (the ``<meta charset>`` tells the truth).
- ``wrong_type`` (articles; every attempt) [*]: the HTML as ``application/octet-stream`` or
  ``text/plain``; a client that sniffs mislabelled HTML, as browsers do, still reads it.
- ``huge`` (articles; 1): the page padded to 20 MB (an HTML comment before ``</body>``).
- ``gzip_bomb`` (articles, feeds; 1): ``Content-Encoding: gzip``, about 2 MB that inflate
  to 2 GiB of zeros (a valid gzip member, built once and cached).
- ``empty`` (articles, feeds; 1): 200 with an empty body.
- ``login_wall``, ``cookie_wall`` (articles; 1), ``captcha`` (articles; 1-2): a 200 HTML
  page that is not the article (sign-in form, consent dialog, "verify you are human").
- ``malformed_html`` (articles; every attempt) [*]: the article with its ``</p>`` and
  ``</li>`` dropped, stray ``</div>``/``</span>``/``</em>``, an unclosed ``<b>``, ``<div>``
  and ``<table>``. The structure around the content is kept, so lenient parsers read it.
- ``broken_jsonld`` (articles; every attempt) [*]: the page-metadata JSON-LD cut short
  (invalid); the meta tags are intact.
- ``xml_bomb`` (feeds; 1): RSS or sitemap that is a billion-laughs entity bomb.

[*] Served correctly (``CORRECT_KINDS``): all the article's text and metadata are there for
a client that decodes per HTTP/HTML rules and parses leniently. Every other kind is not
served correctly on the attempts it covers.

Listings (sections, load-more fragments, tags, authors) only get the transport kinds
(http500, http503, http429, slow, reset, truncated), never permanently, so that a crawl that
retries can always discover every article; feeds get those plus gzip_bomb, empty, xml_bomb.

``FaultPlan.servable_within(path)`` is the first attempt at which the page is served
correctly (None: never), also written into the ground truth as ``servable_within``.

The server counts every GET of a path as an attempt, whatever the answer (a conditional
request gets a 304 only when no fault other than ``slow`` applies);
``POST /__mirror__/attempts/reset`` forgets the counts, so a new crawl meets the same faults.
"""

from __future__ import annotations

import re
import struct
import threading
import zlib
from dataclasses import dataclass, field, replace
from random import Random
from typing import TYPE_CHECKING, Any

from newsarchive.mirror.pages import HTML, Page
from newsarchive.mirror.registry import DEFAULT_SITE, site_kind

if TYPE_CHECKING:
    from collections.abc import Callable

    from newsarchive.mirror.site import MirrorSite

TRANSPORT = ("http500", "http503", "http429", "slow", "reset", "truncated")
KINDS = (
    *TRANSPORT,
    "redirect_loop",
    "redirect_offsite",
    "cp1251_header",
    "cp1251_meta",
    "wrong_charset",
    "wrong_type",
    "huge",
    "gzip_bomb",
    "empty",
    "login_wall",
    "cookie_wall",
    "captcha",
    "malformed_html",
    "broken_jsonld",
    "xml_bomb",
)
TARGETS: dict[str, tuple[str, ...]] = {
    "article": tuple(k for k in KINDS if k != "xml_bomb"),
    "listing": TRANSPORT,
    "feed": (*TRANSPORT, "gzip_bomb", "empty", "xml_bomb"),
}
CORRECT_KINDS = frozenset(
    {
        "cp1251_header",
        "cp1251_meta",
        "wrong_charset",
        "wrong_type",
        "malformed_html",
        "broken_jsonld",
    }
)
"""Faults after which the page still counts as served correctly."""
ALWAYS = frozenset({"redirect_loop", *CORRECT_KINDS})
"""Kinds that repeat on every attempt for their path."""
HOSTILE = frozenset(KINDS) - CORRECT_KINDS - {"xml_bomb"}
"""Kinds that a permanently hostile article path may get."""
LOOP_MARK = "mirror-loop=1"
OFFSITE = "http://evil.invalid"
HUGE_SIZE = 20 * 1024 * 1024
BOMB_SIZE = 2 * 1024**3


def default_page_class(path: str) -> str | None:
    """How a plan bound to no site classifies a path: as the default site (the Moscow Times)
    does. ``MirrorServer`` binds its plan to its own site (``FaultPlan.for_site``)."""
    return site_kind(DEFAULT_SITE).pages.page_class(path)


@dataclass(frozen=True)
class Scenario:
    """How a path misbehaves: ``kind`` on attempts 1..``attempts`` (None: on every one)."""

    kind: str
    attempts: int | None


@dataclass(frozen=True)
class FaultPlan:
    """Which request fails how; deterministic for (seed, path, attempt)."""

    seed: int = 0
    rate: float = 0.3
    kinds: frozenset[str] = frozenset(KINDS)
    slow_seconds: float = 5.0
    hostile_rate: float = 0.1
    classify: Callable[[str], str | None] | None = field(default=None, compare=False, repr=False)
    """Path -> article, listing, feed or None; None: ``default_page_class``."""

    def for_site(self, site: MirrorSite[Any]) -> FaultPlan:
        """This plan, targeting the pages of ``site``: the site says itself which of its paths
        are articles, listings or feeds (``page_class``). The draws stay those of (seed, path).
        """
        if site.page_class == self.classify:
            return self
        return replace(self, classify=site.page_class)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {', '.join(sorted(unknown))}")

    @classmethod
    def parse(
        cls,
        spec: str,
        *,
        seed: int = 0,
        rate: float = 0.3,
        slow_seconds: float = 5.0,
        hostile_rate: float = 0.1,
    ) -> FaultPlan:
        """From the CLI: ``all`` or ``name,name,...``."""
        names = KINDS if spec.strip() == "all" else [s.strip() for s in spec.split(",") if s]
        return cls(seed, rate, frozenset(names), slow_seconds, hostile_rate)

    def scenario(self, path: str) -> Scenario | None:
        """The path's one scenario, or None when it is always served normally."""
        target = (self.classify or default_page_class)(path)
        if target is None:
            return None
        rng = Random(f"{self.seed}:{path}")
        if rng.random() >= self.rate:
            return None
        hostile = target == "article" and rng.random() < self.hostile_rate
        allowed = [k for k in TARGETS[target] if k in self.kinds and (k in HOSTILE or not hostile)]
        if not allowed:
            return None
        kind = rng.choice(allowed)
        if hostile or kind in ALWAYS:
            return Scenario(kind, None)
        if kind in ("http500", "http503"):
            count = rng.randint(2, 4) if target == "article" else rng.randint(1, 2)
        elif kind in ("http429", "reset", "truncated", "captcha"):
            count = rng.randint(1, 2)
        else:
            count = 1
        return Scenario(kind, count)

    def fault_for(self, path: str, attempt: int) -> str | None:
        """The fault of the ``attempt``-th request (counted from 1) for ``path``."""
        scenario = self.scenario(path)
        if scenario is None:
            return None
        if scenario.attempts is None or attempt <= scenario.attempts:
            return scenario.kind
        return None

    def schedule(self, path: str, attempts: int) -> list[str | None]:
        """The faults of attempts 1..attempts."""
        return [self.fault_for(path, n) for n in range(1, attempts + 1)]

    def servable_within(self, path: str) -> int | None:
        """First attempt at which the page is served correctly; None if never."""
        scenario = self.scenario(path)
        if scenario is None or scenario.kind in CORRECT_KINDS:
            return 1
        return None if scenario.attempts is None else scenario.attempts + 1

    def served_correctly(self, path: str, max_attempts: int) -> bool:
        """Whether a client making up to ``max_attempts`` requests gets the page right."""
        first = self.servable_within(path)
        return first is not None and first <= max_attempts


# --- payloads --------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[str, bytes] = {}


def _cached(name: str, build: Callable[[], bytes]) -> bytes:
    with _cache_lock:
        if name not in _cache:
            _cache[name] = build()
        return _cache[name]


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A+B from the CRCs of A and B (zlib's algorithm; Python lacks it)."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def _build_bomb(size: int = BOMB_SIZE, chunk_size: int = 1 << 20) -> bytes:
    """A valid gzip member of ``size`` zero bytes, without compressing them all.

    After a full flush deflate forgets its history, so every further chunk of zeros
    compresses to the same bytes: compress one, repeat it. The CRC is combined likewise.
    """
    chunk = bytes(chunk_size)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    repeat = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.flush(zlib.Z_FINISH)
    count = size // chunk_size
    # CRC of ``count`` chunks from the bits of ``count`` (zeros: block order is irrelevant).
    total, crc, crc_len, n = 0, zlib.crc32(chunk), chunk_size, count
    while n:
        if n & 1:
            total = crc32_combine(total, crc, crc_len)
        crc, crc_len, n = crc32_combine(crc, crc, crc_len), 2 * crc_len, n >> 1
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"
    trailer = struct.pack("<II", total, (count * chunk_size) & 0xFFFFFFFF)
    return header + first + repeat * (count - 1) + tail + trailer


def gzip_bomb() -> bytes:
    """The bomb, built once (about 2 MB; a few tens of milliseconds)."""
    return _cached("bomb", _build_bomb)


def huge_padding() -> bytes:
    return _cached("huge", lambda: b"<!-- " + b"cache-fill " * (HUGE_SIZE // 11) + b" -->\n")


def pad_huge(body: bytes) -> bytes:
    """The page with 20 MB of comment before ``</body>``."""
    return body.replace(b"</body>", huge_padding() + b"</body>", 1)


def to_cp1251(body: bytes) -> bytes:
    """The page re-encoded as windows-1251 (characters it lacks become character references)."""
    html = body.decode("utf-8").replace('<meta charset="utf-8">', '<meta charset="windows-1251">')
    return html.encode("cp1251", errors="xmlcharrefreplace")


def malformed(body: bytes) -> bytes:
    """Tag soup a lenient parser still reads: unclosed and stray tags."""
    html = body.decode("utf-8")
    html = html.replace("</p>", "").replace("</li>", "")
    html = re.sub(r"(<body[^>]*>)", r"\1</div></div></span>", html, count=1)
    html = html.replace("</h1>", "</h1></span></em>").replace("<footer", "<b><footer", 1)
    html = html.replace("</body>", '<div class="unclosed"><table><tr><td>\n</body>', 1)
    return html.encode("utf-8")


def broken_jsonld(body: bytes) -> bytes:
    """The page-metadata JSON-LD cut short, as a failed template render leaves it.

    On a page without the Moscow Times' page-metadata block (another site's mirror), the
    first ``application/ld+json`` script is cut (on WordPress: Yoast's schema graph).
    """
    html = body.decode("utf-8")
    marker = "data-json-ld-for-pagemetadata>"
    if marker not in html:
        opening = html.index('<script type="application/ld+json"')
        marker = html[opening : html.index(">", opening) + 1]
    start = html.index(marker) + len(marker)
    end = html.index("</script>", start)
    block = html[start:end]
    cut = block[: len(block) * 2 // 3].rstrip("\\") + ',\n  "headline": "unterminated'
    return (html[:start] + cut + html[end:]).encode("utf-8")


def xml_bomb(kind: str) -> bytes:
    """Billion laughs: a few hundred bytes that expand to 3 GB of 'lol' if entities resolve."""
    root = "urlset" if kind == "sitemap" else "rss"
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    dtd = "\n ".join(entities)
    inner = (
        "<url><loc>&lol9;</loc></url>"
        if kind == "sitemap"
        else "<channel><title>&lol9;</title><item><title>&lol9;</title></item></channel>"
    )
    xmlns = ' xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"' if kind == "sitemap" else ""
    version = ' version="2.0"' if kind != "sitemap" else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE {root} [\n {dtd}\n]>\n'
        f"<{root}{xmlns}{version}>{inner}</{root}>\n"
    ).encode()


WALLS = {
    "login_wall": (
        "Sign in - The Moscow Times",
        '<div class="auth"><h1>Sign in to continue reading</h1>'
        "<p>This article is available to registered readers only.</p>"
        '<form method="post" action="/login"><label>Email <input type="email" name="email">'
        '</label><label>Password <input type="password" name="password"></label>'
        '<button type="submit">Sign in</button></form><p>No account? '
        '<a href="/register">Create one</a></p></div>',
    ),
    "cookie_wall": (
        "The Moscow Times",
        '<div class="consent-wall" role="dialog"><h2>We value your privacy</h2>'
        "<p>We and our 143 partners store and access information on your device, such as "
        "cookies, to show personalised content and to measure audiences. You can accept or "
        "refuse, and change your choice at any time.</p>"
        '<button class="consent-wall__accept">Accept all</button>'
        '<button class="consent-wall__reject">Reject all</button>'
        '<a href="#" class="consent-wall__manage">Manage preferences</a></div>',
    ),
    "captcha": (
        "Just a moment...",
        '<div class="challenge"><h1>Checking your browser before accessing the site</h1>'
        "<p>Please verify you are a human.</p>"
        '<div class="g-recaptcha" data-sitekey="6LcX-mirror-not-a-real-key"></div>'
        "<noscript>Please enable JavaScript and cookies to continue.</noscript>"
        "<p>Ray ID: 8a1f2c3d4e5f6789</p></div>",
    ),
}


def wall(kind: str) -> bytes:
    title, body = WALLS[kind]
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="robots" content="noindex"></head><body>{body}</body></html>\n'
    ).encode()


def error_page(status: int, reason: str) -> Page:
    body = f"<html><head><title>{status} {reason}</title></head><body><center><h1>{status} "
    body += f"{reason}</h1></center><hr><center>nginx</center></body></html>\n"
    return Page(status, body.encode(), HTML, kind="error")


def transform(kind: str, page: Page, rng: Random, base: str, path: str) -> Page | None:
    """The page a fault serves instead of ``page``; None when the fault does not apply.

    Transport faults (slow, reset, truncated) act on the connection: the server does them.
    """
    if kind == "http500":
        return error_page(500, "Internal Server Error")
    if kind == "http503":
        return error_page(503, "Service Temporarily Unavailable")
    if kind == "http429":
        page = error_page(429, "Too Many Requests")
        page.headers["Retry-After"] = "1"
        return page
    if kind == "redirect_offsite":
        return Page(302, b"", HTML, {"Location": OFFSITE + path}, kind="redirect")
    if kind == "redirect_loop":
        return Page(302, b"", HTML, {"Location": f"{base}{path}?{LOOP_MARK}"}, kind="redirect")
    if kind in ("login_wall", "cookie_wall", "captcha"):
        return Page(200, wall(kind), HTML, kind="wall")
    if kind == "empty":
        return Page(200, b"", page.content_type, kind="empty")
    if kind == "gzip_bomb":
        return Page(
            200, gzip_bomb(), page.content_type, {"Content-Encoding": "gzip"}, kind=page.kind
        )
    if kind == "xml_bomb":
        if page.kind not in ("feed", "sitemap") or page.status != 200:
            return None
        return Page(200, xml_bomb(page.kind), page.content_type, kind=page.kind)
    if page.kind != "article" or page.status != 200:
        return None  # the rest rewrite an article page
    headers = dict(page.headers)
    if kind == "cp1251_header":
        cp1251 = "text/html; charset=windows-1251"
        return Page(200, to_cp1251(page.body), cp1251, headers, "article")
    if kind == "cp1251_meta":
        return Page(200, to_cp1251(page.body), "text/html", headers, "article")
    if kind == "wrong_charset":
        if rng.random() < 0.5:
            return Page(200, to_cp1251(page.body), "text/html; charset=utf-8", headers, "article")
        return Page(200, page.body, "text/html; charset=windows-1251", headers, "article")
    if kind == "wrong_type":
        content_type = rng.choice(("application/octet-stream", "text/plain; charset=utf-8"))
        return Page(200, page.body, content_type, headers, "article")
    if kind == "huge":
        return Page(200, pad_huge(page.body), page.content_type, headers, "article")
    if kind == "malformed_html":
        return Page(200, malformed(page.body), page.content_type, headers, "article")
    if kind == "broken_jsonld":
        return Page(200, broken_jsonld(page.body), page.content_type, headers, "article")
    raise ValueError(kind)
