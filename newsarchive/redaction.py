"""No credential in any log line: passwords inside URLs are replaced by ``***``.

``-s REDIS_URL=redis://:secret@host/0`` (or an S3 or proxy URL with a password) would
otherwise be printed by Scrapy itself, in its "Overridden settings" line, and by any error
that quotes the URL. ``install()`` wraps the logging record factory, so every record of
every logger is redacted once, when it is made, whichever handler prints it later.
``hide(...)`` adds values to hide the same way (the AWS credentials of the environment, which
an SDK error may quote).
"""

from __future__ import annotations

import logging
import re
from typing import Any

_PASSWORD_IN_URL = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@'\"]*:)[^\s/@'\"]+@")


_hidden: set[str] = set()
"""Values ``hide`` was given."""


def hide(*values: str | None) -> None:
    """Hide these values (of 4 characters or more) from ``redact`` and every log record."""
    _hidden.update(value for value in values if value and len(value) >= 4)
    install()


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` in it, and every
    value given to ``hide``, replaced by ``***``."""
    for value in _hidden:
        if value in text:
            text = text.replace(value, "***")
    return _PASSWORD_IN_URL.sub(r"\g<head>***@", text)


_installed = False


def install() -> None:
    """Redact every log record from now on (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return record
        if ("://" in message and "@" in message) or any(v in message for v in _hidden):
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, None
        return record

    logging.setLogRecordFactory(redacted_record)
