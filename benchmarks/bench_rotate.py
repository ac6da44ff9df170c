"""``flask llm rotate-key`` for N keys against the bare calls doing the same job (issue 13).

Before each timed run N provider records are (re)written under the old key. Ours is
:func:`~task_master_llm.core.rotation.rotate_collection` (batched: one read, a bulk write and
a read-back per 500 records, one decryption per record). The bare job, timed interleaved in
the same run: ``find()`` of the keyed records, AES-GCM decrypt + encrypt of each, and an
``update_one`` per record (the issue's reference), and, as context, the same with one
``bulk_write``. Medians; target ours / bare loop <= 1.15. A rerun with nothing to rotate
is timed too (one read).

    .venv/bin/python -m benchmarks.bench_rotate --keys 2000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.collection import Collection

from benchmarks.common import BenchResult, Row, database
from task_master_llm.core.rotation import rotate_collection
from task_master_llm.store.keys import from_document, to_document
from task_master_llm.vault import Vault

OLD = bytes(range(32))
NEW = bytes(range(1, 33))
TARGET = 1.15


def _seed(coll: Collection, ids: list[ObjectId]) -> None:
    old = Vault(OLD)
    coll.delete_many({})
    coll.insert_many([
        {"_id": _id, "name": f"p{i:05d}", "providerType": "openai",
         **to_document(old.encrypt(f"sk-bench-{i:05d}", record_id=str(_id), field="apiKey"))}
        for i, _id in enumerate(ids)])


def _bare(coll: Collection, vault: Vault, *, bulk: bool) -> int:
    docs = list(coll.find({"encryptedApiKey": {"$ne": None}}))
    ops = []
    for doc in docs:
        value = from_document(doc)
        assert value is not None
        plain = vault.decrypt(value, record_id=str(doc["_id"]), field="apiKey")
        new = to_document(vault.encrypt(plain, record_id=str(doc["_id"]), field="apiKey"))
        if bulk:
            ops.append(UpdateOne({"_id": doc["_id"]}, {"$set": new}))
        else:
            coll.update_one({"_id": doc["_id"]}, {"$set": new})
    if ops:
        coll.bulk_write(ops, ordered=False)
    return len(docs)


def run(keys: int = 2000, repeats: int = 3) -> BenchResult:
    """Seed, then time ours, the bare loop and the bare bulk write, interleaved."""
    result = BenchResult()
    vault = Vault(NEW, [OLD])
    ids = [ObjectId() for _ in range(keys)]
    times: dict[str, list[float]] = {"ours": [], "loop": [], "bulk": [], "rerun": []}
    with database() as db:
        coll = db.LlmProvider

        def timed(name: str, call: Callable[[], Any]) -> Any:
            _seed(coll, ids)
            start = time.perf_counter()
            out = call()
            times[name].append(time.perf_counter() - start)
            return out

        for i in range(repeats):
            arms: list[tuple[str, Callable[[], Any]]] = [
                ("ours", lambda: rotate_collection(coll, vault)),
                ("loop", lambda: _bare(coll, vault, bulk=False)),
                ("bulk", lambda: _bare(coll, vault, bulk=True)),
            ]
            for name, call in arms if i % 2 == 0 else arms[::-1]:
                out = timed(name, call)
                if name == "ours":
                    if (out.rotated, out.failed) != (keys, 0):
                        result.correct = False
                    start = time.perf_counter()
                    again = rotate_collection(coll, vault)
                    times["rerun"].append(time.perf_counter() - start)
                    if (again.rotated, again.already_current) != (0, keys):
                        result.correct = False
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["ours"] / med["loop"]
    result.rows.append(Row(f"rotate-key {keys:,} keys", f"{med['ours']:.2f} s",
                           f"{med['loop']:.2f} s bare loop", ratio, TARGET, ratio <= TARGET))
    result.lines.append(
        f"rotate-key {keys:,} keys: ours {med['ours']:.2f} s, bare (find + AES-GCM + "
        f"update_one loop) {med['loop']:.2f} s, ratio {ratio:.2f} (target <= {TARGET})")
    result.lines.append(
        f"context: bare with one bulk_write {med['bulk']:.2f} s (ours / that "
        f"{med['ours'] / med['bulk']:.2f}: ours adds the read-back); a rerun with nothing "
        f"to rotate {med['rerun'] * 1000:.0f} ms (one read)")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; exit 1 when the ratio misses, 2 when a rotation was wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    result = run(args.keys, args.repeats)
    return result.report()


if __name__ == "__main__":
    raise SystemExit(main())
