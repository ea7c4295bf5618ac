"""Counts the Firestore documents this process reads and writes (bench instrumentation only).

The functions run in the bench's own process, so wrapping the Firestore client's three data
calls counts exactly what a run costs in Firestore's billing terms: each document a
BatchGetDocuments asks for or a RunQuery returns is a read, each write of a Commit a write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any


def _request(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return kwargs.get("request", args[0] if args else None)


def _field(request: Any, name: str) -> Any:
    return request.get(name) if isinstance(request, dict) else getattr(request, name, None)


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """`reads` and `writes` of the Firestore client within the block (every thread), and the
    `queries` among them."""
    from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

    counts: Counter[str] = Counter()
    names = ("batch_get_documents", "run_query", "commit")
    originals = {name: getattr(FirestoreClient, name) for name in names}

    def batch_get(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["reads"] += len(_field(_request(args, kwargs), "documents") or ())
        return originals["batch_get_documents"](self, *args, **kwargs)

    def run_query(self: Any, *args: Any, **kwargs: Any) -> Iterable[Any]:
        counts["queries"] += 1  # Firestore bills a query one read even when it returns nothing

        def each() -> Iterator[Any]:
            for response in originals["run_query"](self, *args, **kwargs):
                counts["reads"] += bool(getattr(response, "document", None) and response.document.name)
                yield response
        return each()

    def commit(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["writes"] += len(_field(_request(args, kwargs), "writes") or ())
        return originals["commit"](self, *args, **kwargs)

    FirestoreClient.batch_get_documents = batch_get  # type: ignore[method-assign]
    FirestoreClient.run_query = run_query  # type: ignore[method-assign]
    FirestoreClient.commit = commit  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(FirestoreClient, name, original)
