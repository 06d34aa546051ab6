"""What plugins and editors put inside a post's ``post_content`` besides its prose.

Borlabs' content blocker over third-party embeds (a tweet, a video, a Facebook post), and
the labels of the editors' own "Lesen Sie auch:" lines: furniture that the stored body
already holds, so the data model draws it (``site``) and the ground truth lists its
wording (``boilerplate.boilerplate_lines``).
"""

from __future__ import annotations

import base64

from newsarchive.mirror.text import escape

BLOCKER_FACEBOOK = (
    "Mit dem Laden des Beitrags akzeptieren Sie die Datenschutzerklärung von Facebook."
)
BLOCKER_TWITTER = "Mit dem Laden des Beitrags akzeptieren Sie die Datenschutzerklärung von Twitter."
BLOCKER_LOAD = "Beitrag laden"
BLOCKER_MORE = "Mehr erfahren"
YOUTUBE_BLOCKER = (
    "Wenn Sie dieses Youtube-Video sehen möchten, müssen Sie die externen YouTube-cookies "
    "akzeptieren.",
    "Yotube Inhalte akzeptieren",  # [sic], as on the real site
)
INLINE_RELATED = ("Lesen Sie auch:", "Auch interessant:", "Mehr zum Thema:")


def content_blocker(provider: str, inner: str) -> str:
    """Borlabs' placeholder over a third-party embed; the embed waits in a template."""
    template = base64.b64encode(inner.encode("utf-8")).decode("ascii")
    if provider == "youtube":
        text = (
            f'<p class="_brlbs-caption">{escape(YOUTUBE_BLOCKER[0])}</p>'
            f'<p><a class="_brlbs-btn" href="#" data-borlabs-cookie-unblock role="button">'
            f"{YOUTUBE_BLOCKER[1]}</a></p>"
        )
    else:
        notice = BLOCKER_FACEBOOK if provider == "facebook" else BLOCKER_TWITTER
        text = (
            f"<p>{escape(notice)}<br>"
            f'<a href="#" class="_brlbs-privacy-link">{BLOCKER_MORE}</a></p>'
            f'<p><a class="_brlbs-btn" href="#" data-borlabs-cookie-unblock role="button">'
            f"{BLOCKER_LOAD}</a></p>"
        )
    return (
        f'<div class="BorlabsCookie _brlbs-cb-{provider}"><div class="_brlbs-content-blocker">'
        f'<div class="_brlbs-embed _brlbs-{provider}">{text}</div></div>'
        '<div class="borlabs-hide" data-borlabs-cookie-type="content-blocker" '
        f'data-borlabs-cookie-id="{provider}"><script type="text/template">{template}</script>'
        "</div></div>"
    )
