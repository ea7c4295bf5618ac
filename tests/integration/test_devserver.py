"""The dev server mounts each entry point under its name and strips it, as Cloud Functions does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from werkzeug.test import Client

from devtools.devserver import create_devserver_app, entry_points

FAKE_MAIN = '''
import flask
__all__ = ["echo"]
def echo(request: flask.Request):
    return {"path": request.path, "method": request.method}
def not_exported(request):
    return "hidden"
'''


def test_each_function_gets_the_rest_of_its_path(tmp_path: Path) -> None:
    source = tmp_path / "main.py"
    source.write_text(FAKE_MAIN)
    client = Client(create_devserver_app(source=source))
    answer = client.post("/echo/branches/b1/resources/r1")
    assert answer.status_code == 200
    assert answer.get_json() == {"path": "/branches/b1/resources/r1", "method": "POST"}
    assert client.get("/not_exported").status_code == 404
    assert client.get("/healthz").get_json()["functions"] == ["echo"]


def test_every_name_the_real_main_lists_is_a_callable_it_defines() -> None:
    source = Path(__file__).resolve().parents[2] / "main.py"
    spec = importlib.util.spec_from_file_location("main_under_test", source)
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    assert entry_points(source) == main.__all__
    assert all(callable(getattr(main, n)) for n in main.__all__)
