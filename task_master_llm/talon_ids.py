"""Gateway ids for agents: what the gateway accepts, what is reserved, and how a free id
is found for a name (transliterated by ``python-slugify``, checked in bounded batches)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection, Iterator

from slugify import slugify as _transliterate

#: What the gateway's chat routes accept as an agent id (contracts/talon.md, "Ids"): the
#: only ids we allocate.
TALON_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

#: The gateway's system agent and its credential folder: never allocated or deleted.
RESERVED_IDS = frozenset({"jarvis", "main"})

TALON_ID_MAX = 64
#: How many ids the first batch of :func:`talon_id_batches` holds: the slug, ``-2`` ...
SEQUENTIAL_IDS = 10
#: How many random-suffix ids each later batch holds.
RANDOM_BATCH = 4


def talon_id_for(
    name: str, taken: Callable[[str], bool], reserved: Collection[str] = RESERVED_IDS
) -> str:
    """A gateway id for a new agent: a slug of ``name`` that ``taken`` says is free and
    that is not ``reserved`` (``Jarvis`` gets ``jarvis-2``).

    Lowercase ``[a-z0-9_-]``, starting with a letter or digit, at most 64 characters;
    other scripts are transliterated (``Café`` -> ``cafe``, ``Ωμέγα`` -> ``omega``); a name
    with nothing usable gets ``agent``. Clashes get ``-2`` ... ``-10``, then random
    suffixes (see :func:`talon_id_batches`); the base is shortened to keep 64 characters.
    ``taken`` is asked about one candidate at a time: a caller with a database asks about
    a whole batch in one query instead (:func:`talon_id_batches`).
    """
    for batch in talon_id_batches(name, reserved):
        for candidate in batch:
            if not taken(candidate):
                return candidate
    raise AssertionError("unreachable")  # pragma: no cover - the batches never end


def talon_id_batches(name: str, reserved: Collection[str] = RESERVED_IDS) -> Iterator[list[str]]:
    """The candidate ids for ``name``, best first, in batches to check at once.

    The first batch is the slug and its ``-2`` ... ``-10`` forms (so a handful of names
    that slug alike get readable ids); every later batch is
    :data:`RANDOM_BATCH` slugs with a random ``-`` + 6 hex characters suffix, which a few
    hundred (or million) agents of the same slug do not exhaust. The batches never end:
    a caller takes as many as it is willing to check. Reserved ids are left out.
    """
    base = slugify(name)
    first = [base] + [_suffixed(base, f"-{n}") for n in range(2, SEQUENTIAL_IDS + 1)]
    yield [c for c in first if c not in reserved]
    while True:
        batch = [_suffixed(base, f"-{secrets.token_hex(3)}") for _ in range(RANDOM_BATCH)]
        yield [c for c in dict.fromkeys(batch) if c not in reserved]


def slugify(name: str) -> str:
    """The slug part of :func:`talon_id_for`, without the uniqueness check.

    Transliterated to ASCII by ``python-slugify`` (through ``text-unidecode``), then held to
    the gateway's rules: lowercase ``[a-z0-9_-]``, a letter or digit first, at most 64
    characters, ``agent`` when nothing is left.
    """
    text = _transliterate(
        name if isinstance(name, str) else "",
        regex_pattern=r"[^-a-z0-9_]+",
        # a name is plain text: "&amp;" is five characters, not an HTML entity
        entities=False, decimal=False, hexadecimal=False,
    )
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower())
    slug = re.sub(r"-{2,}", "-", slug)
    slug = slug.lstrip("-_")[:TALON_ID_MAX].rstrip("-_")
    return slug or "agent"


def _suffixed(base: str, suffix: str) -> str:
    stem = base[: TALON_ID_MAX - len(suffix)].rstrip("-_")
    return stem + suffix


__all__ = [
    "RANDOM_BATCH",
    "RESERVED_IDS",
    "SEQUENTIAL_IDS",
    "TALON_ID_MAX",
    "TALON_ID_PATTERN",
    "slugify",
    "talon_id_batches",
    "talon_id_for",
]
