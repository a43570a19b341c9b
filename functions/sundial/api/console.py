"""`GET /console`: the web console, one self-contained page built from static files.

The page is plain HTML, CSS and JavaScript kept beside this module in `static/console/`
(package data, so every install and Lambda artifact carries it): `index.html` with two
placeholders, `@CSS@` and `@JS@`, where `console.css` and `console.js` are inlined when
this module is imported. One response, no CDN, works offline. The script talks to the API
beside it (relative to the page: `/v1/console` calls `/v1/tasks`) with the key the user
types, kept in the tab's sessionStorage.

Every piece of user data (task names, payloads, error messages) reaches the page as a
text node or an attribute value, never as markup. The page also carries a strict
Content-Security-Policy (`CONSOLE_HEADERS`) that admits only this exact script and style
by their SHA-256, so even a missed escape could not run injected script.
"""

from __future__ import annotations

import base64
import hashlib
from importlib.resources import files

_STATIC = files("sundial.api") / "static" / "console"
_PAGE = (_STATIC / "index.html").read_text(encoding="utf-8")
# The page opens each element on a line of its own; that newline is part of its text.
_CSS = "\n" + (_STATIC / "console.css").read_text(encoding="utf-8")
_JS = "\n" + (_STATIC / "console.js").read_text(encoding="utf-8")

# Inline code must never close its own element early.
assert "</script" not in _JS.lower() and "</style" not in _CSS.lower()

CONSOLE_HTML = _PAGE.replace("\n@CSS@", _CSS).replace("\n@JS@", _JS)


def _source_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


# Only this page's own script and style run; it may talk to its own origin and nothing
# else. `img-src data:` is the blank favicon (saves a 404 per page load).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"script-src {_source_hash(_JS)}",
        f"style-src {_source_hash(_CSS)}",
        "connect-src 'self'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

CONSOLE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Revalidate each load, so a deploy shows the new console at once.
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
