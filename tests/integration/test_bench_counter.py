"""The benches' Firestore counter (bench/firestore_ops.py) counts what Firestore bills: each
document read (a get, a get_all, every document a query returns) and each write of a commit
(a set, a batch, a transaction), and the queries among the reads (Firestore bills an empty one
as one read); it stops counting when its block ends."""

from __future__ import annotations

import pytest
from google.cloud import firestore

from bench.firestore_ops import counting

pytestmark = pytest.mark.firestore


def test_reads_and_writes_are_counted_as_firestore_bills_them(firestore_client: firestore.Client) -> None:
    col = firestore_client.collection("zähler")
    with counting() as ops:
        col.document("a").set({"n": 1})
        batch = firestore_client.batch()
        batch.set(col.document("b"), {"n": 2})
        batch.set(col.document("c"), {"n": 3})
        batch.commit()

        @firestore.transactional
        def bump(tx: firestore.Transaction) -> None:
            snap = col.document("a").get(transaction=tx)
            tx.update(snap.reference, {"n": snap.get("n") + 1})

        bump(firestore_client.transaction())
        assert dict(ops) == {"writes": 4, "reads": 1}
        list(firestore_client.get_all([col.document("b"), col.document("c")]))
        assert len(list(col.stream())) == 3
        assert dict(ops) == {"writes": 4, "reads": 1 + 2 + 3, "queries": 1}
        assert not list(col.where(filter=firestore.FieldFilter("n", "==", 99)).stream())
        assert dict(ops) == {"writes": 4, "reads": 6, "queries": 2}  # queries: also the empty ones
    col.document("d").set({"n": 4})
    col.document("d").get()
    assert dict(ops) == {"writes": 4, "reads": 6, "queries": 2}  # nothing after the block
