"""Every text a person can see on the demo pages comes from i18n.js, in German and English
(issue 13, item 1): a static scan of devtools/pages/*.js and *.html.

In a script, a string literal (or the text parts of a template literal) that reads like words is
a person-visible text unless it stands inside a `register({...})` block, where each text has its
`de` and `en`. In HTML, a text node with letters must be the whole text of an element marked
`data-i18n="key"`, and a `placeholder`, `title`, `aria-label` or `alt` needs its
`data-i18n-<attribute>`. A literal that only looks like words (a CSS class list, a header name)
is told apart by the rules below; one the rules misjudge carries `i18n-ignore` in a comment on
its line. Whether the registered texts are complete (both languages, the same placeholders) and
every key used is registered, the browser tests check on the pages (tests/e2e/test_languages.py).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

PAGES = Path(__file__).resolve().parents[2] / "devtools" / "pages"

# Capitalised words that are technical in these scripts (HTTP headers, key names, tag names).
TECHNICAL_WORDS = {"Accept", "Authorization", "Bearer", "Escape", "Enter", "Tab", "Node", "Error"}
GERMAN_LETTERS = re.compile(r"[äöüÄÖÜß„“]")
SELECTOR_CHARS = re.compile(r"[-#.\[\]=:>*_/]")
CLASS_TOKEN = re.compile(r"^[a-z0-9_\-.#\[\]=:>*()\"'^$~|,+/]+$")
WORD = re.compile(r"^[A-ZÄÖÜ][a-zäöüß]+[.!?:,]*$")


def looks_visible(text: str) -> bool:
    """Whether a literal's text reads like words for a person."""
    if not re.search(r"[A-Za-zÄÖÜäöüß]{2,}", text):
        return False  # punctuation, numbers, separators: the same in every language
    if GERMAN_LETTERS.search(text):
        return True
    tokens = text.split()
    if len(tokens) == 1:
        token = tokens[0]
        return bool(WORD.match(token)) and token.rstrip(".!?:,") not in TECHNICAL_WORDS
    # several tokens: technical only as a class list, a selector or a format (lower case, at
    # least one token with a selector's character)
    return not (all(CLASS_TOKEN.match(token) for token in tokens)
                and any(SELECTOR_CHARS.search(token) for token in tokens))


# --- scripts -----------------------------------------------------------------------------------

REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {""}
REGEX_KEYWORDS = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw"}


HOLE = "\0"  # where a template literal has a ${...}


def js_literals(source: str) -> list[tuple[int, str, bool]]:
    """(line, text, inside a register() block) of every string literal of a script; a template
    literal's text has HOLE for each ${...} (whose code is scanned like the rest)."""
    found: list[tuple[int, str, bool]] = []
    i, n = 0, len(source)
    line = 1
    last = ""        # the last significant token, to tell a regex literal from a division
    depth = 0        # parentheses
    register_at: list[int] = []  # paren depths at which a register( call opened
    pending_register = False
    open_templates: list[tuple[int, list[str], int]] = []  # (brace depth of its ${, text so far, line)
    braces = 0

    def template(start: int, part: list[str], begin: int) -> int:
        """Read a template literal's text from `start` up to its end or a `${`; the index after it."""
        nonlocal line
        j = start
        while j < n:
            c = source[j]
            if c == "\\":
                part.append(source[j:j + 2])
                j += 2
                continue
            if c == "`":
                found.append((begin, "".join(part), bool(register_at)))
                return j + 1
            if c == "$" and source[j + 1:j + 2] == "{":
                part.append(HOLE)
                open_templates.append((braces, part, begin))
                return j + 2
            if c == "\n":
                line += 1
            part.append(c)
            j += 1
        return j

    while i < n:
        c = source[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            line += source[i:end].count("\n")
            i = n if end < 0 else end + 2
            continue
        if c.isalnum() or c in "_$":
            j = i
            while j < n and (source[j].isalnum() or source[j] in "_$"):
                j += 1
            word = source[i:j]
            last = word if word in REGEX_KEYWORDS else "a"
            pending_register = word == "register"
            i = j
            continue
        if c in "\"'":
            j, part = i + 1, []
            while j < n and source[j] != c:
                if source[j] == "\\":
                    part.append(source[j:j + 2])
                    j += 2
                    continue
                part.append(source[j])
                j += 1
            found.append((line, "".join(part), bool(register_at)))
            i = j + 1
            last = "a"
            pending_register = False
            continue
        if c == "`":
            i = template(i + 1, [], line)
            last = "a"
            pending_register = False
            continue
        if c == "/" and (last in REGEX_BEFORE or last in REGEX_KEYWORDS):
            j, in_class = i + 1, False
            while j < n and (in_class or source[j] != "/"):
                if source[j] == "\\":
                    j += 1
                elif source[j] == "[":
                    in_class = True
                elif source[j] == "]":
                    in_class = False
                j += 1
            i = j + 1
            while i < n and source[i].isalpha():
                i += 1
            last = "a"
            continue
        if c == "(":
            depth += 1
            if pending_register:
                register_at.append(depth)
        elif c == ")":
            if register_at and register_at[-1] == depth:
                register_at.pop()
            depth -= 1
        elif c == "{":
            braces += 1
        elif c == "}":
            if open_templates and open_templates[-1][0] == braces:
                _, part, begin = open_templates.pop()
                i = template(i + 1, part, begin)
                last = "a"
                continue
            braces -= 1
        pending_register = False
        last = c
        i += 1
    return found


def script_problems(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    problems = []
    for line, text, registered in js_literals(source):
        if registered or "i18n-ignore" in lines[line - 1]:
            continue
        if MARKUP.search(text):  # HTML written in a script: the rules of a page
            scan = _Scan(f"{path.name}:{line}+")
            scan.feed(text.replace(HOLE, "0"))  # a hole is data: no letters
            scan.close()
            problems += scan.problems
            continue
        for piece in text.split(HOLE):
            if looks_visible(piece):
                problems.append(f"{path.name}:{line}: {text.replace(HOLE, '${}').strip()[:80]!r}")
                break
    return problems


MARKUP = re.compile(r"<(/?[a-z][a-z0-9-]*)[\s>/]")


# --- HTML --------------------------------------------------------------------------------------

ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Scan(HTMLParser):
    def __init__(self, name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name = name
        self.stack: list[tuple[str, bool]] = []  # (tag, marked data-i18n)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        for attr in ATTRIBUTES:
            value = given.get(attr)
            if value and looks_visible(value) and f"data-i18n-{attr}" not in given:
                where = f"{self.name}:{self.getpos()[0]}"
                self.problems.append(f"{where}: {attr}={value!r} without data-i18n-{attr}")
        if tag not in VOID:
            self.stack.append((tag, "data-i18n" in given))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.stack or self.stack[-1][0] in ("script", "style"):
            return
        text = " ".join(data.split())
        if re.search(r"[A-Za-zÄÖÜäöüß]{2,}", text) and not self.stack[-1][1]:
            self.problems.append(f"{self.name}:{self.getpos()[0]}: text {text[:80]!r} without data-i18n")


def html_problems(path: Path) -> list[str]:
    scan = _Scan(path.name)
    scan.feed(path.read_text(encoding="utf-8"))
    scan.close()
    return scan.problems


def problems_of(path: Path) -> list[str]:
    return script_problems(path) if path.suffix == ".js" else html_problems(path)


FILES = sorted([*PAGES.glob("*.js"), *PAGES.glob("*.html")])


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_visible_text_of_a_page_comes_from_i18n(path: Path) -> None:
    problems = problems_of(path)
    assert not problems, ("texts not on i18n.js (register them with de and en, or mark them data-i18n):\n"
                          + "\n".join(problems))


# --- the check itself --------------------------------------------------------------------------

@pytest.mark.parametrize("literal", [
    'showMessage("info", "Gespeichert.");',
    'showMessage("info", "Termin gespeichert");',
    'el("button", { text: "Speichern" });',
    'x.textContent = `${n} Termine gelöscht`;',
    'x.textContent = `Ort: ${place}`;',
    'showError("Could not save", err);',
    'x.title = "noch nie";',
    'el("span", {}, cond ? `a ${b ? "Mehr anzeigen" : ""}` : "");',
    'const DIALOG = `<dialog id="d"><h2>Titel</h2><button data-i18n="x.ok"></button></dialog>`;',
    'const DIALOG = `<dialog id="${id}"><input placeholder="z. B. Name" data-test="${t}"></dialog>`;',
])
def test_the_scan_finds_a_new_literal(tmp_path: Path, literal: str) -> None:
    script = tmp_path / "new.js"
    script.write_text('import { register } from "./i18n.js";\n'
                      'register({ "k": { de: "Hallo Welt", en: "Hello" } });\n'
                      f"{literal}\n", encoding="utf-8")
    assert len(script_problems(script)) == 1, script_problems(script)


@pytest.mark.parametrize("literal", [
    'register({ "x.y": { de: "Zurückziehen", en: "Withdraw {name}" } });',
    'el("span", { className: "badge badge-cancelled", dataset: { test: "event-origin" } });',
    'document.querySelectorAll(\'#messages [data-kind="success"], #messages [data-kind="info"]\');',
    'const url = `/links/${seg(a)}/${seg(b)}?calendar_id=${c}`;',
    'headers: { Accept: "application/json", Authorization: `Bearer ${token}` }',
    'if (key.key === "Escape") t("sync.phone.ok");',
    'const re = /[zZ]|[+-]\\d\\d:\\d\\d$/; const s = "status status-linked";',
    '// Ein Kommentar auf Deutsch, "mit Anführungszeichen"',
    'x = "Bitte gut lesen"; // i18n-ignore',
    'const D = `<dialog id="${id}"><h2 data-i18n="x.t"></h2><p>${a}${b}</p><i title="${c}">–</i></dialog>`;',
])
def test_the_scan_lets_technical_literals_and_registered_texts_pass(tmp_path: Path, literal: str) -> None:
    script = tmp_path / "ok.js"
    script.write_text(literal + "\n", encoding="utf-8")
    assert script_problems(script) == []


def test_the_scan_finds_an_unmarked_html_text(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text('<p data-i18n="a">Hallo</p><p>Neu hier</p><input placeholder="z. B. Name">'
                    '<input placeholder="x" data-i18n-placeholder="b"><span>–</span>'
                    '<label><span data-i18n="c">Titel</span> <input></label>'
                    '<script>var x = "Hallo";</script>',
                    encoding="utf-8")
    assert [p.split(": ", 1)[1] for p in html_problems(page)] == [
        "text 'Neu hier' without data-i18n", "placeholder='z. B. Name' without data-i18n-placeholder"]
