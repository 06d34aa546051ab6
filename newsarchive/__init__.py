"""newsarchive: a Scrapy project that keeps a faithful, queryable archive of news sites."""

from newsarchive import redaction

__version__ = "0.1.0"
"""The release; ``pyproject.toml`` says the same (a test holds them together)."""

# Before anything logs: a password given in a URL setting (REDIS_URL=redis://:pw@...) must
# never reach a log line, and Scrapy prints the overridden settings at start.
redaction.install()
