"""Scrapy settings for newsarchive: polite defaults for real news sites, grouped by component.

Every project setting starts with ``NEWSARCHIVE_``. Override any of them on the command line
with ``-s NAME=value``, e.g. ``-s NEWSARCHIVE_OUTPUT=/data/archive``.
"""

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["newsarchive.spiders"]
NEWSPIDER_MODULE = "newsarchive.spiders"
COMMANDS_MODULE = "newsarchive.commands"

# --- Politeness (the real site). The bundled mirror may be crawled at full speed with -s. ---------
# Who to contact about this crawler; put your e-mail or URL here before crawling a real site.
NEWSARCHIVE_CONTACT = "https://github.com/newsarchive/newsarchive"
USER_AGENT = f"newsarchive/0.1 (+{NEWSARCHIVE_CONTACT})"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- Faults: bounded downloads, retries --------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5

# --- Items ---------------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "newsarchive.pipelines.boilerplate.BoilerplatePipeline": 100,
    "newsarchive.pipelines.text.TextCleaningPipeline": 200,
    "newsarchive.pipelines.dates.DatesPipeline": 300,
    "newsarchive.pipelines.validation.ValidationPipeline": 400,
    "newsarchive.pipelines.fingerprint.FingerprintPipeline": 500,
}

EXTENSIONS = {
    "newsarchive.extensions.parquet.PartitionedParquetWriter": 500,
}

# --- Archive -----------------------------------------------------------------------------------
# Root folder of the archive: site=<site>/date=<YYYY-MM-DD>/part-*.parquet
NEWSARCHIVE_OUTPUT = "output"
NEWSARCHIVE_PARQUET_ENABLED = True
# Flush a partition's buffer to a new file once it holds this many rows...
NEWSARCHIVE_PARQUET_MAX_ROWS = 10_000
# ...and flush the largest buffer whenever all buffers together exceed this many bytes.
NEWSARCHIVE_PARQUET_MAX_BYTES = 64 * 1024 * 1024
NEWSARCHIVE_PARQUET_COMPRESSION = "zstd"

# --- Cleaning ------------------------------------------------------------------------------------
# A paragraph seen verbatim in at least this many different articles is boilerplate.
NEWSARCHIVE_REPEATED_BLOCK_MIN_ARTICLES = 5

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
