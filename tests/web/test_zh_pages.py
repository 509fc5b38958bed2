"""No English on a Chinese page: signed in as an administrator and as a station chief, every page
of ``permissions.PAGES`` is opened in zh-CN and its visible text (the body's text, the title,
placeholders, labels for screen readers, tooltips, buttons and options) is read; a Latin-script
word fails the test unless it is a code, a unit or a name (:data:`ALLOWED`, a file name, or a
token with a digit or an underscore: an incident code, a plate, ``dispatcher_01``, ``T1-S0``);
text in ``<code>`` (a record's JSON, a hash) is code.

Screenshots in ``test-artifacts/zh-*.png``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pingan.permissions import PAGES, allows
from pingan.store.engine import make_engine, migrate, unit_of_work
from tests.factories import build_small_city
from tests.rapid_response.city import build
from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS

ALLOWED = frozenset(
    {
        # units and formats
        "km", "m", "s", "ms", "h", "min", "ha", "kph", "A4", "CSV", "PDF", "JSON", "GeoJSON",
        "XLSX", "HTML", "PNG", "SVG", "OGC", "API", "URL", "QR", "GPS", "ID", "UTC", "WGS",
        "GCJ", "OSM", "p",
        # names of methods and products a Chinese analyst reads as such
        "KDE", "Gi", "CUSUM", "MCLP", "LSCP", "SaTScan", "MapLibre", "OpenStreetMap",
        "PTU", "Swagger", "ReDoc", "pingan", "PingAn", "Dask",
        "CompStat", "FDR", "HiGHS", "Excel", "IP", "SEQ", "HASH", "Getis", "Ord",
        "Benjamini", "Hochberg", "z", "q",
        # the bureau's time zone by its IANA name
        "Asia", "Shanghai",
        # keys of the keyboard
        "Ctrl", "Enter", "Esc", "Shift", "Tab", "J", "K",
        # the languages offered by their own names
        "English", "EN",
    }
)  # fmt: skip
WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:'’/-]*")
LATIN = re.compile(r"[A-Za-z]")
FILE_NAME = re.compile(r"^[\w-]+\.(yaml|yml|json|csv|xlsx|pdf|html|pbf|osm|npz)$")

TEXT_JS = """() => {
  // what <code> shows is code (a record's JSON, a hash): left out while the text is read
  const codes = [...document.querySelectorAll('code')];
  for (const el of codes) el.style.setProperty('display', 'none', 'important');
  const out = [document.title, document.body.innerText];
  for (const el of codes) el.style.removeProperty('display');
  for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],[alt]'))
    for (const a of ['placeholder', 'aria-label', 'title', 'alt'])
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
  const buttons = 'button, option, input[type=submit], input[type=button]';
  for (const el of document.querySelectorAll(buttons))
    out.push(el.textContent || el.value || '');
  return out.join('\\n');
}"""


def latin_words(shown: str, names: set[str]) -> set[str]:
    """The Latin-script words of ``shown`` that are not codes, units or names."""
    bad = set()
    for tok in WORD.findall(shown):
        tok = tok.strip(".:'’/-")
        if not tok or not LATIN.search(tok):
            continue
        if any(ch.isdigit() or ch == "_" for ch in tok) or tok in names or FILE_NAME.match(tok):
            continue
        parts = [p for p in re.split(r"[-/.:'’]", tok) if p]
        if all(p in ALLOWED or p in names or not LATIN.search(p) for p in parts):
            continue
        bad.add(tok)
    return bad


def _paths(db: Path, role: str) -> list[str]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        ids = {
            "{premises_id}": c.execute(text("SELECT min(id) FROM premises")).scalar(),
            "{dispute_id}": c.execute(text("SELECT min(id) FROM disputes")).scalar(),
        }
    engine.dispose()
    out = []
    for rule in PAGES:
        if not allows(role, rule.action):
            continue
        path = rule.path
        for k, v in ids.items():
            if k in path:
                path = path.replace(k, str(v)) if v is not None else ""
        if path:
            out.append(path)
    return out


def test_the_word_filter() -> None:
    names = {"admin"}
    shown = "警情 P1 JQ20261207000123 dispatcher_01 北京路88号 5 km GeoJSON admin T1-S0 Gi*"
    assert latin_words(shown, names) == set()
    assert latin_words("指令下发失败: role 'analyst' may not", names) == {
        "role",
        "analyst",
        "may",
        "not",
    }


@pytest.mark.parametrize(("user", "role"), [("admin", "admin"), ("chief0", "station_chief")])
def test_no_english_on_a_chinese_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: str, role: str
) -> None:
    db = tmp_path / "zh.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(engine) as s:  # the small city with roads, posts, places and incidents
        city = build_small_city(s)
        build(s, city, tmp_path / "data")
        names = set(city.users) | {u.username for u in city.users.values()}
        names.add("KA-far")  # a key area's code in the test city
        s.commit()
    engine.dispose()
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))  # start_server copies os.environ
    found: dict[str, list[str]] = {}
    with served_browser(tmp_path, url=url) as live:
        page, _errors, foreign = signed_in_page(
            live.browser,
            live.base,
            lang="zh-CN",
            user=user,
            path="/command",
            viewport={"width": 1400, "height": 900},
        )
        page.wait_for_load_state()
        for path in _paths(db, role):
            page.goto(live.base + path)
            page.wait_for_load_state("networkidle")
            try:
                page.wait_for_selector('body[data-ready="1"]', state="attached", timeout=60_000)
            except Exception as exc:  # playwright's TimeoutError: a page that never got ready
                if "Timeout" not in type(exc).__name__:
                    raise
                found[path] = ["(never ready)"]
                continue
            bad = latin_words(page.evaluate(TEXT_JS), names)
            if bad:
                found[path] = sorted(bad)
            name = path.strip("/").replace("/", "-") or "home"
            page.screenshot(path=str(ARTIFACTS / f"zh-{user}-{name}.png"))
    assert found == {}, f"English words on zh-CN pages: {found}"
    assert foreign == []
