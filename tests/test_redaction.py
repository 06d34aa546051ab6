"""No password in a URL reaches a log line."""

from __future__ import annotations

import logging

import pytest

from newsarchive.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("redis://:pw@db:6379/0", "redis://:***@db:6379/0"),
        ("{'REDIS_URL': 'redis://user:p%40ss@db/1'}", "{'REDIS_URL': 'redis://user:***@db/1'}"),
        (
            "s3://key:secret@bucket/prefix and http://a:b@c",
            "s3://key:***@bucket/prefix and http://a:***@c",
        ),
        ("https://example.com/a@b", "https://example.com/a@b"),
        ("mailto:you@example.org", "mailto:you@example.org"),
        ("redis://db:6379/0", "redis://db:6379/0"),
    ],
)
def test_passwords_in_urls_are_hidden(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_every_log_record_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    import newsarchive  # noqa: F401  (installs the redaction)

    with caplog.at_level(logging.INFO):
        logging.getLogger("anything").info(
            "Overridden settings: %s", {"REDIS_URL": "redis://:pw@h/0"}
        )
    assert "redis://:***@h/0" in caplog.text and ":pw@" not in caplog.text


def test_hidden_values_leave_messages_and_log_records(caplog: pytest.LogCaptureFixture) -> None:
    from newsarchive.redaction import hide

    hide("AKIA-hidden-value-42", None, "ab")  # (None and values under 4 characters are ignored)
    assert redact("key AKIA-hidden-value-42 refused; ab") == "key *** refused; ab"
    with caplog.at_level(logging.INFO):
        logging.getLogger("sdk").warning("signature for %s", "AKIA-hidden-value-42")
    assert "AKIA-hidden-value-42" not in caplog.text and "signature for ***" in caplog.text
