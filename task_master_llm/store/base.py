"""Small helpers shared by the stores."""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from task_master_llm.errors import Conflict, NotFound


def utcnow() -> datetime:
    """Now in UTC, truncated to milliseconds (what BSON dates hold)."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(value: datetime | None) -> str | None:
    """A stored date as the API writes it: ISO 8601 in UTC, milliseconds, ``Z``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


#: one page of documents, whether more follow it, and the total (None when not known)
Page = tuple[list[dict[str, Any]], bool, int | None]


def read_page(
    collection: Collection,
    query: Mapping[str, Any],
    sort: list[tuple[str, int]],
    *,
    offset: int,
    limit: int,
    count: bool = False,
) -> Page:
    """One page of ``query``'s documents in ``sort`` order, read with ``limit + 1`` to
    learn whether more follow. The total is counted (one more query) only when ``count``
    asks for it, and is otherwise known only when the page reaches the end: no list
    counts its whole collection for every page."""
    docs = list(collection.find(dict(query)).sort(sort).skip(offset).limit(limit + 1))
    more = len(docs) > limit
    del docs[limit:]
    total: int | None = None
    if count:
        total = collection.count_documents(dict(query))
    elif not more and (docs or offset == 0):
        total = offset + len(docs)
    return docs, more, total


def parse_object_id(value: Any, what: str = "record") -> ObjectId:
    """Turn a URL or body id into an ObjectId; a malformed id is a 404, never a 500."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(str(value))
    except (InvalidId, TypeError):
        raise NotFound(f"No {what} with id {str(value)[:64]!r}.") from None


def maybe_object_id(value: Any) -> ObjectId | None:
    """Like :func:`parse_object_id` but returns None for a malformed id."""
    try:
        return parse_object_id(value)
    except NotFound:
        return None


#: the field holding a name's case-insensitive key ("google ai" for "Google AI")
NAME_KEY = "nameKey"


def name_key(name: Any) -> Any:
    """The form two names are compared in: Unicode-normalised (NFKC), case-folded, inner
    whitespace collapsed, so "google  ai" and "Google AI" are the same name."""
    if not isinstance(name, str):
        return name
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def name_taken(kind: str, name: Any, holder: Any) -> Conflict:
    """409 for a ``kind`` ("agent", "provider") whose ``name`` is taken, naming the holder's
    spelling when it differs only in case (or width, or spacing)."""
    article = "An" if kind[:1] in ("a", "e", "i", "o", "u") else "A"
    existing = holder.get("name") if holder is not None else name
    if existing != name:
        message = (f"{article} {kind} named {existing!r} already exists (names are compared "
                   "without regard to case).")
        return Conflict(message, fields={"name": [
            f"{existing!r} already exists (case does not make names differ)."]})
    return Conflict(
        f"{article} {kind} named {name!r} already exists.",
        fields={"name": [f"{article} {kind} with this name already exists."]},
    )


def ensure_name_key_index(collection: Collection) -> None:
    """A unique index on ``nameKey`` (names unique without regard to case); then each
    document that lacks a key gets one. A document whose key another already holds (a
    pair saved before this rule) keeps no key and is logged: rename one of the pair."""
    # the index first: documents without a key are outside it, and a backfill that would
    # give two documents one key fails for the second instead of blocking the index
    ensure_index(collection, [(NAME_KEY, 1)], unique=True, name="name_key_unique",
                 partialFilterExpression={NAME_KEY: {"$type": "string"}})
    for doc in collection.find({NAME_KEY: {"$exists": False}, "name": {"$type": "string"}},
                               {"name": 1}):
        try:
            collection.update_one({"_id": doc["_id"], NAME_KEY: {"$exists": False}},
                                  {"$set": {NAME_KEY: name_key(doc["name"])}})
        except DuplicateKeyError:
            logging.getLogger(__name__).warning(
                "%s %s: its name differs only in case from another's; rename one of them",
                collection.name, doc["_id"])


def ensure_index(
    collection: Collection, keys: list[tuple[str, int]], *, name: str, **options: Any
) -> None:
    """Create an index unless one with the same keys and uniqueness already exists.

    The collections are shared with the JavaScript Task Master, whose Prisma schema has
    already made its own unique indexes (``Agent_name_key`` ...). Creating ours under
    another name would fail ("index already exists with a different name") and stop the
    app from starting, so an equivalent index of any name is accepted as it is.
    """
    unique = bool(options.get("unique"))
    for info in collection.index_information().values():
        if [tuple(k) for k in info["key"]] == [tuple(k) for k in keys] and bool(
            info.get("unique")
        ) == unique:
            return
    collection.create_index(keys, name=name, **options)


#: how deep stored provider data (a model's ``meta``) may nest
MAX_STORED_DEPTH = 8
_INT64 = (-(2**63), 2**63 - 1)


def storable_problem(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` cannot be stored as it is (the rules :func:`storable` applies by
    dropping), or None when it can."""
    if depth > MAX_STORED_DEPTH:
        return f"Nested deeper than {MAX_STORED_DEPTH} levels."
    if isinstance(value, dict):
        for key, item in value.items():
            if not _storable_key(key):
                return "Keys may not contain NUL or '.', nor start with '$'."
            problem = storable_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list):
        return next((p for p in (storable_problem(v, depth + 1) for v in value) if p), None)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
        return "Integers must fit in 8 bytes."
    if isinstance(value, float) and not math.isfinite(value):
        return "Numbers must be finite."
    if isinstance(value, str) and "\x00" in value:
        return "Text may not contain NUL."
    return None


def _storable_key(key: Any) -> bool:
    return isinstance(key, str) and "\x00" not in key and "." not in key \
        and not key.startswith("$")


def storable(value: Any, depth: int = 0) -> Any:
    """Provider data made storable and strict-JSON: keys with NUL, ``.`` or a leading ``$``,
    integers beyond 8 bytes, non-finite numbers and what nests deeper than
    :data:`MAX_STORED_DEPTH` are dropped (None). Any mapping (e.g. the read-only
    ``meta["sources"]`` discovered models share) becomes a dict."""
    if depth > MAX_STORED_DEPTH:
        return None
    if isinstance(value, Mapping):
        return {k: storable(v, depth + 1) for k, v in value.items() if _storable_key(k)}
    if isinstance(value, list):
        return [storable(v, depth + 1) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if _INT64[0] <= value <= _INT64[1] else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value.replace("\x00", "")
    return None
