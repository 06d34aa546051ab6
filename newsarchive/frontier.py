"""A shared frontier in Redis: several ``scrapy crawl`` workers split one crawl.

``-s REDIS_URL=redis://host:port/db`` turns it on (the ``RedisFrontier`` add-on); without it
nothing here is loaded and nothing needs Redis. It is built on scrapy-redis, whose scheduler
and duplicate filter Scrapy users know; what this module adds is what a scheduled archive
needs on top:

* **One crawl.** The first worker of a site *opens* a crawl (``SET ... NX``), and is its
  *leader*; workers that start while it lives *join* it. The crawl's ID is shared (the
  manifests' ``crawl_id``), each worker has its own run ID (files, manifests, state).
* **Who does what.** The leader reads the section listings, the feeds and the retry queue
  (its start requests and every listing-like page stay in its own memory queue, so one
  process sees each listing from top to bottom, as the incremental horizon needs); the
  article requests go to the shared Redis queue, which every worker pops from. An article ID
  is requested once per crawl, whichever worker finds it (a Redis set).
* **Workers finish.** scrapy-redis workers wait for requests for ever; these do not. A
  worker is *busy* from the moment it pops a request until its engine is idle again. When
  its engine is idle, a worker leaves if the shared queue is empty and no other live worker
  is busy (only a busy worker can add requests). The leader waits, in addition, until the
  others have left, because the listing sweeps it records at the end vouch only for
  articles whose rows are committed. A worker whose heartbeat is older than
  ``NEWSARCHIVE_WORKER_TIMEOUT`` seconds (killed, say) no longer counts: what it held is
  fetched again by the next run (its articles are missing, so the sweeps are not vouched).
"""

from __future__ import annotations

import heapq
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy.settings import BaseSettings

from newsarchive.redaction import redact

logger = logging.getLogger(__name__)

LOCAL_KINDS = frozenset({"listing", "feed", "sitemap", "robots", "home", "discovery"})
"""``newsarchive_kind`` of the requests a worker keeps for itself (everything but articles;
a request without a kind stays local too)."""
SHARED_KINDS = frozenset({"article"})
DEFAULT_WORKER_TIMEOUT = 30.0
HEARTBEAT_SECONDS = 2.0
POLL_SECONDS = 0.2
"""How often a starved worker asks the shared queue again (Scrapy's engine would wait for
its 5-s heartbeat: a second worker would spend its time waiting)."""
KEY_PREFIX = "newsarchive"
CRAWL_KEYS = ("requests", "dupefilter", "articles", "workers", "busy")
KEYS_TTL = 7 * 86400
"""A crawl's keys expire a week after its last heartbeat (the leader deletes them at once)."""


def redis_url(settings: BaseSettings) -> str | None:
    return settings.get("REDIS_URL") or None


def redacted(url: str) -> str:
    """``url`` with any password in it replaced by ``***`` (for logs and messages)."""
    return redact(url)


def redis_unreachable(url: str, timeout: float = 5.0) -> str | None:
    """Why the Redis at ``url`` cannot be used, or None (checked before a crawl starts)."""
    try:
        import redis
    except ImportError:  # pragma: no cover - requirements.txt installs it
        return "the redis package is not installed"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        client.ping()
    except (redis.RedisError, ValueError, OSError) as exc:
        return str(exc).replace(url, redacted(url)) or type(exc).__name__
    return None


class RedisFrontier:
    """Scrapy add-on: with ``REDIS_URL`` set, the shared scheduler and duplicate filter."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not redis_url(settings):
            return
        settings.set("SCHEDULER", "newsarchive.frontier.SharedScheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "newsarchive.frontier.SharedDupeFilter", "addon")
        # The queue outlives a worker: the others (or the next run) go on with it.
        settings.set("SCHEDULER_PERSIST", True, "addon")


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def new_crawl_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


@dataclass
class Membership:
    """This worker's place in a shared crawl."""

    site: str
    crawl_id: str
    worker_id: str
    leader: bool

    @property
    def run_id(self) -> str:
        """This worker's own run ID: the crawl's, and the worker's for a follower."""
        return self.crawl_id if self.leader else f"{self.crawl_id}-{self.worker_id[-6:]}"

    def key(self, name: str) -> str:
        return f"{KEY_PREFIX}:{self.site}:{self.crawl_id}:{name}"


def crawl_key(site: str) -> str:
    return f"{KEY_PREFIX}:{site}:crawl"


class Coordinator:
    """The Redis side of a shared crawl: joining, heartbeats, busy flags, leaving."""

    def __init__(self, server: Any, site: str, timeout: float = DEFAULT_WORKER_TIMEOUT):
        self.server = server
        self.site = site
        self.timeout = timeout
        self.membership: Membership | None = None
        self._busy = False
        self.round_trips = 0

    def join(self, worker_id: str | None = None) -> Membership:
        """Open the site's crawl, or join the one that is running."""
        worker_id = worker_id or new_worker_id()
        key = crawl_key(self.site)
        ttl = max(int(self.timeout * 2), 2)
        while True:
            crawl_id = new_crawl_id()
            if self.server.set(key, crawl_id, nx=True, ex=ttl):
                leader = True
                break
            current = self.server.get(key)
            if current is not None:
                crawl_id, leader = current.decode(), False
                break
        self.membership = Membership(self.site, crawl_id, worker_id, leader)
        # The leader has its start requests to make: busy from the start, so that a worker
        # joining before the first article is queued does not find nothing to do and leave.
        self._busy = leader
        self.heartbeat()
        return self.membership

    @property
    def me(self) -> Membership:
        assert self.membership is not None, "join() first"
        return self.membership

    def heartbeat(self) -> None:
        """Say this worker is alive (and, for the leader, that its crawl is)."""
        me = self.me
        pipe = self.server.pipeline()
        pipe.hset(me.key("workers"), me.worker_id, time.time())
        pipe.hset(me.key("busy"), me.worker_id, int(self._busy))
        if me.leader:
            pipe.expire(crawl_key(self.site), max(int(self.timeout * 2), 2))
        for name in CRAWL_KEYS:  # a crawl whose leader was killed leaves no keys for ever
            pipe.expire(me.key(name), KEYS_TTL)
        pipe.execute()

    def busy(self) -> None:
        """This worker popped a request (written only when that changes)."""
        if not self._busy:
            self._busy = True
            self.round_trips += 1
            self.server.hset(self.me.key("busy"), self.me.worker_id, 1)

    def idle(self) -> None:
        if self._busy:
            self._busy = False
            self.round_trips += 1
            self.server.hset(self.me.key("busy"), self.me.worker_id, 0)

    def live_workers(self) -> dict[str, bool]:
        """Other live workers (heartbeat within the timeout) -> busy."""
        me = self.me
        seen = self.server.hgetall(me.key("workers"))
        busy = self.server.hgetall(me.key("busy"))
        self.round_trips += 2
        now = time.time()
        return {
            worker.decode(): busy.get(worker, b"0") == b"1"
            for worker, beat in seen.items()
            if worker.decode() != me.worker_id and now - float(beat) <= self.timeout
        }

    def may_leave(self, queued: int) -> tuple[bool, str]:
        """Whether this (idle) worker may finish, and if not, why not."""
        self.idle()
        if queued:
            return False, f"{queued} request(s) in the shared queue"
        others = self.live_workers()
        busy = sorted(w for w, is_busy in others.items() if is_busy)
        if busy:
            return False, f"worker(s) {', '.join(busy)} still busy"
        if self.me.leader and others:
            return False, f"waiting for worker(s) {', '.join(sorted(others))} to finish"
        return True, ""

    def leave(self) -> None:
        """Deregister; the leader also closes the crawl and drops its keys."""
        me = self.me
        self.server.hdel(me.key("workers"), me.worker_id)
        self.server.hdel(me.key("busy"), me.worker_id)
        if me.leader:
            if self.server.get(crawl_key(self.site)) == me.crawl_id.encode():
                self.server.delete(crawl_key(self.site))
            self.server.delete(*(me.key(name) for name in CRAWL_KEYS))

    def claim_article(self, article_id: str) -> bool:
        """True the first time any worker of this crawl asks for ``article_id``."""
        self.round_trips += 1
        return bool(self.server.sadd(self.me.key("articles"), article_id))


class SharedArticleIds:
    """``spider.seen_article_ids`` shared by the workers of a crawl (a Redis set).

    ``in`` *claims* the ID: it is False only for the first worker that asks, which then
    requests the article (``SectionSpider.article_request`` asks exactly once per ID).
    """

    def __init__(self, coordinator: Coordinator) -> None:
        self.coordinator = coordinator
        self.local: set[str] = set()

    def __contains__(self, article_id: object) -> bool:
        if article_id in self.local:
            return True
        return not self.coordinator.claim_article(str(article_id))

    def add(self, article_id: str) -> None:
        self.local.add(article_id)

    def __len__(self) -> int:
        return len(self.local)


try:  # scrapy-redis is needed only when REDIS_URL is set
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.scheduler import Scheduler as RedisScheduler
except ImportError:  # pragma: no cover - requirements.txt installs it
    RFPDupeFilter = RedisScheduler = object  # type: ignore[assignment,misc]


class SharedDupeFilter(RFPDupeFilter):  # type: ignore[misc,valid-type]
    """scrapy-redis's filter, keyed by crawl, with Scrapy's own request fingerprints."""

    fingerprinter: Any = None

    def request_fingerprint(self, request: Any) -> str:
        if self.fingerprinter is not None:
            return self.fingerprinter.fingerprint(request).hex()
        return super().request_fingerprint(request)


class SharedScheduler(RedisScheduler):  # type: ignore[misc,valid-type]
    """scrapy-redis's scheduler: article requests shared in Redis, the rest kept locally.

    Also: keys per site and crawl, and no deprecated ``spider=`` in the stats calls.
    """

    crawler: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedScheduler:
        instance = cls.from_settings(crawler.settings)
        instance.stats = crawler.stats
        instance.crawler = crawler
        return instance

    def open(self, spider: Any) -> None:
        coordinator: Coordinator | None = getattr(self.crawler, "newsarchive_frontier", None)
        if coordinator is None:
            raise RuntimeError(
                "REDIS_URL is set but the SharedCrawl extension did not start: "
                "is newsarchive.extensions.frontier.SharedCrawl in EXTENSIONS?"
            )
        self.coordinator = coordinator
        self.queue_key = coordinator.me.key("requests")
        self.dupefilter_key = coordinator.me.key("dupefilter")
        self.local: list[tuple[int, int, Any]] = []
        self._sequence = 0
        self.starved = False
        """The last pop found nothing: another worker may queue something any moment, and
        the engine only asks again on its next event (or its 5-s heartbeat)."""
        self.df = SharedDupeFilter(self.server, key=self.dupefilter_key, debug=False)
        self.df.fingerprinter = getattr(self.crawler, "request_fingerprinter", None)
        super().open(spider)

    def __len__(self) -> int:
        return len(self.local) + len(self.queue)

    def enqueue_request(self, request: Any) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if request.meta.get("newsarchive_kind") in SHARED_KINDS:
            self.stats.inc_value("scheduler/enqueued/redis")
            self.queue.push(request)
        else:
            self._sequence += 1
            heapq.heappush(self.local, (-request.priority, self._sequence, request))
            self.stats.inc_value("scheduler/enqueued/memory")
        return True

    def next_request(self) -> Any:
        if self.local:
            self.coordinator.busy()
            self.stats.inc_value("scheduler/dequeued/memory")
            return heapq.heappop(self.local)[2]
        request = self.queue.pop(0)
        self.starved = request is None
        if request is not None:
            self.coordinator.busy()
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return bool(self.local) or len(self.queue) > 0
