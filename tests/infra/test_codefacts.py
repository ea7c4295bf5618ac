"""The code analysis the infra checks rely on: what it finds in the real code, and the
Firestore index rule on small examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.codefacts import CallGraph, CodeFacts, Query, load_modules, queries_in


def q(eq: set[str] = frozenset(), ineq: set[str] = frozenset(), order: set[str] = frozenset(),
      unknown: bool = False) -> Query:
    return Query("x.py:1", None, frozenset(eq), frozenset(ineq), frozenset(order), unknown)


@pytest.mark.parametrize(("query", "composite"), [
    (q(eq={"branch_id"}), False),                              # one field
    (q(ineq={"seq"}, order={"seq"}), False),                   # range and order on the same field
    (q(order={"at"}), False),
    (q(eq={"resource_id", "deleted"}), False),                 # equality only: merged single-field indexes
    (q(eq={"branch_id"}, order={"updated_at"}), True),         # equality + order on another field
    (q(eq={"status"}, ineq={"next_run"}), True),
    (q(ineq={"a", "b"}), True),
    (q(eq={"a"}, unknown=True), True),                         # cannot tell: ask for a review
])
def test_which_queries_need_a_composite_index(query: Query, composite: bool) -> None:
    assert query.needs_composite_index is composite


def test_queries_are_read_from_code(tmp_path: Path) -> None:
    src = tmp_path / "store.py"
    src.write_text(
        "def a(db, b):\n"
        "    return db.collection('links').where(filter=FieldFilter('branch_id', '==', b)).stream()\n"
        "def b(col, c):\n"
        "    return col.where('seq', '>', c).order_by('seq').limit(10).stream()\n"
        "def c(col, f):\n"
        "    return col.where(filter=Or([f])).order_by('x')\n", encoding="utf-8")
    found = sorted(queries_in(src), key=lambda x: x.where)
    assert [(x.collection, set(x.equality), set(x.inequality), set(x.order), x.unknown) for x in found] == [
        ("links", {"branch_id"}, set(), set(), False),
        (None, set(), {"seq"}, {"seq"}, False),
        (None, set(), set(), {"x"}, True),
    ]


def test_a_field_path_held_in_a_variable_is_one_field(tmp_path: Path) -> None:
    """A computed path (`seqs.<resource>`) filtered and ordered on in one chain is one field; two
    different variables are two fields, and then the query needs a composite index."""
    src = tmp_path / "store.py"
    src.write_text(
        "def a(col, path, c):\n"
        "    return col.where(filter=FieldFilter(path, '>', c)).order_by(path).limit(5).stream()\n"
        "def b(col, p, q, c):\n"
        "    return col.where(filter=FieldFilter(p, '==', c)).order_by(q).stream()\n", encoding="utf-8")
    first, second = sorted(queries_in(src), key=lambda x: x.where)
    assert (first.inequality, first.order, first.unknown) == ({"<path>"}, {"<path>"}, False)
    assert not first.needs_composite_index
    assert (second.equality, second.order) == ({"<p>"}, {"<q>"})
    assert second.needs_composite_index


def test_every_entry_point_is_an_http_function_with_routes(facts: CodeFacts) -> None:
    graph = CallGraph(load_modules())
    for name in facts.exports:
        assert facts.triggers[name] == "http"
        assert graph.routers_of(name), f"no router found for {name}: the route checks would be vacuous"


def test_only_the_oauth_callback_and_push_routes_go_without_the_jwt(facts: CodeFacts) -> None:
    missing = {name: routes for name, routes in facts.unauthenticated_routes.items() if routes}
    assert missing == {"oauth_callback": ["functions.entrypoints.consent.begin",
                                          "functions.entrypoints.consent.callback"],
                       "google_push": ["functions.entrypoints.google_push.notify"]}


def test_the_real_queries_are_found(facts: CodeFacts) -> None:
    """The store's link query is seen (so a new query would be, too)."""
    assert any(x.collection == "links" and x.equality == {"branch_id"} for x in facts.queries)
