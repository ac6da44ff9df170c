"""Removing secrets from text written by someone else (a provider's or the gateway's
error), before it goes into a message, a log line or a stored status."""

from __future__ import annotations

from collections.abc import Iterable

REDACTED = "[redacted]"
#: a run of this many characters copied from a secret counts as leaking it
MIN_FRAGMENT = 8


def redact(text: str, secrets: Iterable[str], *, min_fragment: int = MIN_FRAGMENT) -> str:
    """``text`` with every secret, and every run of ``min_fragment`` or more characters
    copied from one (a truncated key is still most of a key), replaced by ``[redacted]``,
    whatever characters surround it."""
    secrets = [s for s in secrets if s]
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    grams = {
        s[i:i + min_fragment] for s in secrets for i in range(len(s) - min_fragment + 1)
    }
    if not grams:
        return text
    hidden = [False] * len(text)
    for i in range(len(text) - min_fragment + 1):
        if text[i:i + min_fragment] in grams:
            hidden[i:i + min_fragment] = [True] * min_fragment
    out: list[str] = []
    for i, ch in enumerate(text):
        if not hidden[i]:
            out.append(ch)
        elif i == 0 or not hidden[i - 1]:
            out.append(REDACTED)
    return "".join(out)
