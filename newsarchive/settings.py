"""Scrapy settings for newsarchive: polite defaults for real news sites, grouped by component.

Every project setting starts with ``NEWSARCHIVE_``. Override any of them on the command line
with ``-s NAME=value``, e.g. ``-s NEWSARCHIVE_OUTPUT=/data/archive``.
"""

import os

# pyarrow's allocator. Arrow's own (mimalloc) keeps the memory of the end-of-run Parquet
# flush; the C library's gives it back (2,000-article crawl: peak RSS 271 MB vs 203 MB).
# Arrow reads this once, when pyarrow loads, so it is set here: Scrapy loads the settings
# before anything that imports pyarrow. An ARROW_DEFAULT_MEMORY_POOL of your own wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["newsarchive.spiders"]
NEWSPIDER_MODULE = "newsarchive.spiders"
COMMANDS_MODULE = "newsarchive.commands"

# --- Politeness (the real site). The bundled mirror may be crawled at full speed with -s. ---------
# Who to contact about this crawler: set your e-mail or URL before crawling a real site
# (-s NEWSARCHIVE_CONTACT=mailto:you@example.org). It goes into the User-Agent.
NEWSARCHIVE_CONTACT = ""
NEWSARCHIVE_USER_AGENT = "newsarchive/0.1 (+{contact})"
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsarchive.middlewares.robotstxt.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "newsarchive.middlewares.offsite.StrictOffsiteMiddleware": 50,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "newsarchive.middlewares.useragent.ContactUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsarchive.middlewares.retry.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": None,
    # just after the retry middleware: sees an answer it is about to wait for (see below)
    "newsarchive.middlewares.prefetch.ListingPrefetchMiddleware": 555,
    "newsarchive.middlewares.timeout.AdaptiveTimeoutMiddleware": 560,
    # NEWSARCHIVE_WARC only: last before the downloader, so it records each response as the
    # site sent it (still content-encoded, every redirect hop and retried error answer)
    "newsarchive.middlewares.warc.WarcCaptureMiddleware": 950,
}
ROBOTSTXT_OBEY = True
# A robots.txt that cannot be read (5xx, 429, network errors after the retries): "disallow"
# fetches nothing from the site, as RFC 9309 asks, and fails the run; "allow" crawls it as if
# it had no rules, as Scrapy does (newsarchive/middlewares/robotstxt.py).
NEWSARCHIVE_ROBOTSTXT_UNREACHABLE = "disallow"
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
COOKIES_ENABLED = False
# Unattended runs need no control servers listening on a port.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Faults: bounded downloads, retries --------------------------------------------------------
# The most a download may take. A page's first attempt gets less when the site answers much
# faster: NEWSARCHIVE_TIMEOUT_FACTOR x the time within which it gave 95% of its recent
# answers, at least NEWSARCHIVE_TIMEOUT_MIN; a retry gets all of DOWNLOAD_TIMEOUT
# (middlewares/timeout.py). An answer that hangs then costs seconds, not half a minute.
DOWNLOAD_TIMEOUT = 30
NEWSARCHIVE_TIMEOUT_ADAPTIVE = True
NEWSARCHIVE_TIMEOUT_MIN = 1.0
NEWSARCHIVE_TIMEOUT_FACTOR = 3.0
# A first attempt still unanswered at that timeout is hedged rather than cut: a second
# request goes out beside it (at the site's next turn), the first answer wins and the other
# is cancelled; at most NEWSARCHIVE_HEDGE_MAX such second requests in flight per site, else
# the first attempt is cut and retried (handlers.py).
NEWSARCHIVE_HEDGE = True
NEWSARCHIVE_HEDGE_MAX = 2
DOWNLOAD_HANDLERS = {
    "http": "newsarchive.handlers.HedgingDownloadHandler",
    "https": "newsarchive.handlers.HedgingDownloadHandler",
}
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# A retry has waited its backoff (a Retry-After: exactly that) already; it then goes ahead of
# the queue, not behind it (Scrapy: -1), where it would wait for every page queued meanwhile:
# many times what the site asked for, and a listing page's retry holds up its whole section.
RETRY_PRIORITY_ADJUST = 10
# "Gave up retrying" is a counted failure (newsarchive/failed/<reason>), not an error.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
# Backoff before a retry: this many seconds, doubled per retry, jittered, capped; a 429/503's
# Retry-After is honoured (exactly) up to the cap. Short (0.1, 0.2, 0.4 s for the three
# retries, where Scrapy and urllib3 retry at once): a failure now and then is retried soon; a
# site that keeps failing is slowed down as a whole (middlewares/retry.py).
NEWSARCHIVE_RETRY_BACKOFF_BASE = 0.1
NEWSARCHIVE_RETRY_BACKOFF_MAX = 60.0
# While a listing page waits for its retry (a 429's Retry-After, a backoff), fetch this many
# of the section's next pages ahead, where their addresses are known (load-more offsets), so
# one slow page does not hold up the rest of its section; 0: never (middlewares/prefetch.py).
NEWSARCHIVE_LISTING_PREFETCH = 3
REDIRECT_MAX_TIMES = 5
# The spider re-requests pages that came back as walls or empty: their retry count is meant
# to travel with them.
META_COPY_WARN_SKIP_KEYS = ["retry_times"]
# Never follow a redirect out of the spider's allowed domains (Scrapy's OffsiteMiddleware
# checks redirected requests too); the page is retried at its own URL instead.

# --- Items ---------------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "newsarchive.pipelines.boilerplate.BoilerplatePipeline": 100,
    "newsarchive.pipelines.text.TextCleaningPipeline": 200,
    "newsarchive.pipelines.dates.DatesPipeline": 300,
    "newsarchive.pipelines.validation.ValidationPipeline": 400,
    "newsarchive.pipelines.fingerprint.FingerprintPipeline": 500,
    "newsarchive.pipelines.versioning.VersioningPipeline": 600,
}

# Items processed in parallel per response. Scrapy starts this many asyncio tasks for every
# response (default 100); our callbacks yield at most one item (or a listing's ~19 requests)
# and the pipelines are synchronous, so one is all the parallelism there is to have.
CONCURRENT_ITEMS = 1

SPIDER_MIDDLEWARES = {
    # first: in a shared crawl (REDIS_URL) only the leader sends the start requests
    "newsarchive.middlewares.frontier.LeaderStartsMiddleware": 10,
    "newsarchive.middlewares.incremental.IncrementalMiddleware": 950,
    # NEWSARCHIVE_WARC only: a row's warc_file/warc_offset name its response's record
    "newsarchive.middlewares.warc.WarcPointerMiddleware": 960,
}

# -s REDIS_URL=redis://host:port/db: several workers share one crawl (see newsarchive.frontier).
ADDONS = {"newsarchive.frontier.RedisFrontier": 0}
# A worker whose heartbeat is older than this many seconds counts as gone.
NEWSARCHIVE_WORKER_TIMEOUT = 30

# `scrapy crawl` refuses to run when a -s override has left any of the components above or
# below out (a dict given with -s replaces the project's): False allows a partial run.
NEWSARCHIVE_CHECK_COMPONENTS = True

# Order matters: the run extension writes its manifest on spider_closed after the writer has
# flushed its last files, so it comes last.
EXTENSIONS = {
    # first: an unusable NEWSARCHIVE_OUTPUT (a scheme other than s3://, an S3 archive without
    # NEWSARCHIVE_STATE) stops the crawl before any other extension makes a folder
    "newsarchive.extensions.run.ArchiveLocationCheck": 100,
    # REDIS_URL only: joins the shared crawl before the writer names its files after it
    "newsarchive.extensions.frontier.SharedCrawl": 300,
    "newsarchive.extensions.state.ArchiveStateExtension": 400,
    "newsarchive.extensions.parquet.PartitionedParquetWriter": 500,
    # before ArchiveRun: its spider_closed judgement is part of the run's verdict
    "newsarchive.extensions.drift.LayoutDriftMonitor": 800,
    "newsarchive.extensions.run.ArchiveRun": 900,
}

# --- Archive -----------------------------------------------------------------------------------
# Root folder of the archive: site=<site>/date=<YYYY-MM-DD>/part-*.parquet. Or s3://bucket/prefix
# (S3 or an S3-compatible store; see newsarchive.archive_fs): then NEWSARCHIVE_STATE must be set.
NEWSARCHIVE_OUTPUT = "output"
# S3 only: the endpoint (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS) and the
# region (default: the AWS chain). Credentials come from the AWS chain only, never settings.
NEWSARCHIVE_S3_ENDPOINT = None
NEWSARCHIVE_S3_REGION = None
NEWSARCHIVE_PARQUET_ENABLED = True
# Flush a partition's buffer to a new file once it holds this many rows...
NEWSARCHIVE_PARQUET_MAX_ROWS = 10_000
# ...and whenever all buffers together hold more than this many rows, or their texts more
# than this many characters, flush the biggest buffers until half of each is left (in one
# go: one state transaction). The rows bound keeps what a crawl holds, and what its
# end-of-run flush writes, the same whatever the size of the run (a news article's row
# takes ~8 KB).
# Rows written before the run learns a repeated block keep it: stay well above 150 (the
# articles learning needs).
NEWSARCHIVE_PARQUET_MAX_BUFFERED_ROWS = 2_000
NEWSARCHIVE_PARQUET_MAX_BYTES = 64 * 1024 * 1024
NEWSARCHIVE_PARQUET_COMPRESSION = "zstd"
# How long a crawl waits at start for a running `scrapy compact` to finish, in seconds.
NEWSARCHIVE_LOCK_TIMEOUT = 60

# --- Scheduled runs ----------------------------------------------------------------------------
# Cross-run state (SQLite); default <NEWSARCHIVE_OUTPUT>/_state/state.sqlite.
NEWSARCHIVE_STATE_ENABLED = True
NEWSARCHIVE_STATE = None
NEWSARCHIVE_INCREMENTAL_ENABLED = True
# Known articles published less than this many days ago are fetched again (conditionally).
NEWSARCHIVE_REVISIT_DAYS = 2
# Force a full re-crawl (same as -a full=1).
NEWSARCHIVE_FULL = False
# An article that failed for good (or could not be archived) is retried by this many later
# runs; then it is given up, with an error that fails that run (-a full=1 tries again).
NEWSARCHIVE_FAILED_RETRY_RUNS = 10
# The run fails (non-zero exit) when more than this share of items is dropped...
NEWSARCHIVE_MAX_DROP_RATIO = 0.05
# ...or more than this share of the pages requested failed for good (after retries)...
NEWSARCHIVE_MAX_FAILED_RATIO = 0.05
# ...or more than this many errors were logged.
NEWSARCHIVE_MAX_ERRORS = 0
# ...or the layout-drift alarm went off: a field (or the body's median word count) that fills
# far less often than in the site's last NEWSARCHIVE_DRIFT_HISTORY runs (see newsarchive.drift),
# or a section whose first listing page failed or listed nothing.
NEWSARCHIVE_DRIFT_ENABLED = True
NEWSARCHIVE_DRIFT_FIELDS = [
    "title", "authors", "published_at", "lead", "section", "tags", "image", "body", "words"
]  # fmt: skip
NEWSARCHIVE_DRIFT_HISTORY = 10
# How unlikely by chance a fall must be to raise the alarm (small runs need a deeper fall).
NEWSARCHIVE_DRIFT_ALPHA = 1e-4
# This run's fill rates become the site's new baseline (after an intended change).
NEWSARCHIVE_DRIFT_ACCEPT = False
# Run manifests: <NEWSARCHIVE_OUTPUT>/_manifests/<run_id>.json
NEWSARCHIVE_MANIFESTS_ENABLED = True

# --- WARC capture (newsarchive.middlewares.warc, newsarchive.warc) ------------------------------
# Every response the crawl receives (articles, listings, feeds, sitemaps, robots.txt, redirects,
# error answers) also written as WARC 1.1 records: 1 (or True) for <NEWSARCHIVE_OUTPUT>/_warc,
# a path or s3:// URL for another root (inside the archive only under a folder named _...).
# Files: <root>/site=<site>/date=<UTC crawl day>/newsarchive-<run_id>-<seq>.warc.gz, each
# written as a hidden .open file and renamed (uploaded) into place when closed. Rows name
# their record in warc_file/warc_offset. Off by default.
NEWSARCHIVE_WARC = False
# A WARC file is closed (and a new one started) before it outgrows this many bytes (as
# Heritrix and Browsertrix: 1 GB), at the crawl day's change and at every Parquet flush.
NEWSARCHIVE_WARC_MAX_BYTES = 1_000_000_000
# How each record's gzip member is made: "isal" (ISA-L, levels 0-3) or "zlib" (0-9; warcio's
# own writer uses 9). Any gzip reader reads either. Measured (benchmarks/warc_cost.py, 300
# articles): capture costs +11% crawl CPU per page with isal 1, +18-20% with zlib 1, 6 or 9,
# for 8.9 kB per article (zlib 9: 8.4 kB, zlib 1: 9.1 kB).
NEWSARCHIVE_WARC_GZIP_LIBRARY = "isal"
NEWSARCHIVE_WARC_GZIP_LEVEL = 1

# --- Cleaning ------------------------------------------------------------------------------------
# A paragraph seen verbatim in at least this many different articles, and in a fifth of the
# articles seen (counted as at least 100), is boilerplate (0 turns the learning off).
NEWSARCHIVE_REPEATED_BLOCK_MIN_ARTICLES = 5

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# --- Feeds: -O articles.jsonl, -O articles.parquet ---------------------------------------------
# A feed gets what the archive gets in the same run (the state is used as always: a repeat
# run's feed holds only new and changed articles). It exports the archive's columns: the
# items also carry working fields (the body's parsed HTML, date candidates) that no feed
# format can serialize. (The import comes after the allocator line at the top: it loads pyarrow.)
from newsarchive.items import exported_fields  # noqa: E402

FEED_EXPORT_FIELDS = [f.name for f in exported_fields()]
# -O articles.parquet: one file, the archive's columns (site too) and date (newsarchive.exporters).
FEED_EXPORTERS = {"parquet": "newsarchive.exporters.ParquetItemExporter"}
# Rows per row group of a Parquet feed, which is all the exporter holds in memory: at ~8 KB an
# article, ~8 MB of text (a few MB compressed), a size readers skip and read in parallel well.
# A first crawl of the mirror peaks 12 MiB higher with the feed than without at 2,000 articles
# (2,000-row groups: 17 MiB), 23 MiB at 20,000. The codec is NEWSARCHIVE_PARQUET_COMPRESSION.
NEWSARCHIVE_FEED_PARQUET_ROW_GROUP = 1_000
