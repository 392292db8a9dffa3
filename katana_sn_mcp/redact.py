"""The one place secrets are cut out of everything that leaves the process.

Katana, a proxy or a gateway in front of it may echo request headers into an error body,
and that text is exactly what we relay to a model, the journal and the logs. Rather than
trust every exit to remember, the secrets this process holds (the Katana key, the HTTP
bearer token(s), credentials in a base URL) are registered once at start-up and every exit
calls `text()` / `value()`: tool and resource results (via `RedactResults`, an MCP
middleware), journal lines, log records (a filter on the root handlers, so the SDK's,
httpx's and uvicorn's records pass through it too), and CLI output.

Besides the exact values we cut their obvious encodings (`Bearer <key>`, base64, URL- and
JSON-escaped forms) and any `Authorization:`-style header text found in a body, whatever
its value.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import traceback
from typing import Any
from urllib.parse import quote, quote_plus

MARK = "[redacted]"
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
# `Authorization: Bearer x`, `"authorization":"x"`, `x-api-key=x`, in any body or header dump.
_HEADER = re.compile(
    r"""(?ix)
    \b((?:proxy-)?authori[sz]ation|x-api-key|api[-_]?key|set-cookie|cookie)  # the header name
    (["']?\s*[:=]\s*["']?)                                                  # separator
    (?!(?:bearer|basic|token)\s*<)                            # a placeholder, not a value
    (?:(?:bearer|basic|token)\s+)?                                          # scheme
    [^\s"',;}<>&]+""")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


def _forms(secret: str) -> set[str]:
    """The value as it may appear once it has been encoded on its way into a body."""
    forms: set[str] = set()
    for plain in {secret, secret.strip()}:
        forms |= {plain, quote(plain, safe=""), quote_plus(plain), json.dumps(plain)[1:-1],
                  plain.replace("/", "\\/")}
        for raw in (plain, f"Bearer {plain}"):
            data = raw.encode("utf-8", "surrogateescape")
            forms.add(base64.b64encode(data).decode().rstrip("="))
            forms.add(base64.urlsafe_b64encode(data).decode().rstrip("="))
    return {f for f in forms if len(f) >= 4}


def register(*secrets: str | None) -> None:
    """Add secrets (None and empty values are ignored). Call before anything can leak."""
    global _pattern
    for secret in secrets:
        if secret and secret.strip():
            _secrets.update(_forms(secret))
    if _secrets:
        alternatives = sorted(_secrets, key=len, reverse=True)  # longest first
        _pattern = re.compile("|".join(re.escape(s) for s in alternatives), re.IGNORECASE)


def register_url(url: str | None) -> None:
    """Credentials in a URL (`https://user:pass@host`): the password and `user:pass`."""
    from urllib.parse import unquote, urlsplit

    if not url:
        return
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return
    user, password = parts.username, parts.password  # a user name alone is no secret
    if password:
        register(password, unquote(password))
    if user and password:
        register(f"{user}:{password}", f"{unquote(user)}:{unquote(password)}")


def forget_all() -> None:
    """For tests: start from no secrets."""
    global _pattern
    _secrets.clear()
    _pattern = None


def text(value: str) -> str:
    """`value` with every registered secret and any header credential replaced by MARK."""
    if _pattern is not None:
        value = _pattern.sub(MARK, value)
    value = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MARK}", value)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MARK}", value)


def value(obj: Any) -> Any:
    """A JSON-like value (dicts, lists, strings) with every string passed through `text`."""
    if isinstance(obj, str):
        return text(obj)
    if isinstance(obj, dict):
        return {text(k) if isinstance(k, str) else k: value(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [value(v) for v in obj]
    return obj


class LogFilter(logging.Filter):
    """Rewrites each record into its redacted, fully formatted message (traceback included),
    so no handler can format the original arguments again."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its format string
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = text(message), ()
        if record.exc_info:
            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_text, record.exc_info = text(formatted), None
        elif record.exc_text:
            record.exc_text = text(record.exc_text)
        if record.stack_info:
            record.stack_info = text(record.stack_info)
        return True


def install_logging(level: str, stream: Any = None) -> logging.Handler:
    """Root logging to stderr (stdout is the MCP channel), every record redacted; Python
    warnings and uncaught exceptions are routed through the same redaction."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(LogFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_katana_redacting", False)]:
        root.removeHandler(old)
    handler._katana_redacting = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    sys.excepthook = _excepthook
    return handler


def _excepthook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
    sys.stderr.write(text("".join(traceback.format_exception(kind, exc, tb))))


def say(message: str, stream: Any = None) -> None:
    """One line of CLI output on stderr (or `stream`), redacted."""
    (stream or sys.stderr).write(text(message).rstrip("\n") + "\n")
