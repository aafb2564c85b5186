"""The HTML sheet and dashboard in headless Chromium: nothing fails, nothing is fetched,
thumbnails open, columns sort, and a report full of script payloads runs none of them.

Pages are written by the real pipeline into a temporary folder and opened from
``file://`` (as a student opens an e-mailed sheet) and from ``grader view --serve``'s
server on 127.0.0.1. Screenshots at 1280 px and at a phone's 390 px go to
``tests/artifacts/``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from render_support import class_folder, xss_folder

from grader.pipeline import grade_submission
from grader.render import DashboardEntry, sheet_filename, write_dashboard, write_sheet
from grader.rubric import Rubric
from grader.serve import make_server, start_background, url

CLASS = (("alice", "hash4_ids.md", ("captures/alpine.png", "captures/run.png")),
         ("bob", "numbered_list.md", ()), ("chloé", "etapes.md", ()),
         ("dan", "letters.md", ("captures/alpine.png", "captures/ps.png")),
         ("eve", "typos.md", ()))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, tp1: Rubric) -> Path:
    """A results folder: a sheet per student (one of them the XSS fixture) and index.html."""
    root = tmp_path_factory.mktemp("class")
    out = root / "out"
    entries = []
    folders = [class_folder(root / "in", fixture, name, shots) for name, fixture, shots in CLASS]
    folders.append(xss_folder(root / "in"))
    for folder in folders:
        graded = grade_submission(folder, [tp1], forced=tp1)
        page = write_sheet(graded, out, rubric=tp1)
        entries.append(DashboardEntry.from_graded(graded, href=page.name))
    write_dashboard(entries, out, rubric=tp1)
    return out


def _load(browser: Any, address: str, **kwargs: Any) -> None:
    browser.open(address, **kwargs)
    deadline = time.monotonic() + 10
    while browser.js("return document.readyState") != "complete":
        assert time.monotonic() < deadline, "page did not finish loading"
        time.sleep(0.05)


def _assert_clean(browser: Any, allowed: tuple[str, ...]) -> None:
    errors = browser.console_errors()
    assert errors == [], errors
    requests = browser.requests()
    assert all(r.startswith(allowed) for r in requests), requests


@pytest.mark.parametrize("width", [1280, 390])
def test_sheet_loads_cleanly_at_desktop_and_phone_width(browser: Any, site: Path,
                                                        width: int) -> None:
    page = site / "alice.html"
    _load(browser, page.as_uri(), width=width, mobile=width < 500)
    _assert_clean(browser, (page.as_uri(),))
    assert browser.js("return document.images.length") >= 1
    assert browser.js("return Array.from(document.images).every(i => i.complete && "
                      "i.naturalWidth > 0)")
    overflow = browser.js("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px at {width}px"
    browser.screenshot(f"sheet-{width}", width=width, mobile=width < 500)


def test_thumbnail_click_opens_full_size_and_closes(browser: Any, site: Path) -> None:
    _load(browser, (site / "alice.html").as_uri())
    shot = browser.driver.find_element("css selector", ".shot")
    image = shot.find_element("css selector", "img")
    small = image.size["width"]
    assert browser.js("return getComputedStyle(arguments[0]).position", shot) != "fixed"
    browser.js("arguments[0].scrollIntoView()", shot)
    shot.find_element("css selector", ".shot-open").click()
    assert browser.js("return getComputedStyle(arguments[0]).position", shot) == "fixed"
    assert image.size["width"] > small
    assert shot.find_element("css selector", ".shot-close").is_displayed()
    browser.screenshot("sheet-lightbox", max_height=900)
    shot.find_element("css selector", ".shot-close").click()
    assert browser.js("return getComputedStyle(arguments[0]).position", shot) != "fixed"
    _assert_clean(browser, ((site / "alice.html").as_uri(),))


def _column(browser: Any, index: int) -> list[str]:
    return browser.js(
        "return Array.from(document.querySelectorAll('table.heatmap tbody tr'))"
        ".map(r => r.cells[arguments[0]].getAttribute('data-sort'))", index)


@pytest.mark.parametrize("width", [1280, 390])
def test_dashboard_loads_cleanly(browser: Any, site: Path, width: int) -> None:
    page = site / "index.html"
    _load(browser, page.as_uri(), width=width, mobile=width < 500)
    _assert_clean(browser, (page.as_uri(),))
    assert browser.js("return document.querySelectorAll('table.heatmap tbody tr').length") == 6
    assert browser.js("return document.querySelectorAll('.histogram rect').length") == 20
    overflow = browser.js("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px (tables scroll inside)"
    browser.screenshot(f"dashboard-{width}", width=width, mobile=width < 500)


def test_dashboard_column_sort(browser: Any, site: Path) -> None:
    _load(browser, (site / "index.html").as_uri())
    original = _column(browser, 0)
    headers = browser.driver.find_elements("css selector", "table.heatmap thead button.sort")
    headers[1].click()  # Note /20
    marks = [float(v) for v in _column(browser, 1)]
    assert marks == sorted(marks)
    headers[1].click()
    marks = [float(v) for v in _column(browser, 1)]
    assert marks == sorted(marks, reverse=True)
    assert browser.js("return document.querySelectorAll('table.heatmap thead th')[1]"
                      ".getAttribute('aria-sort')") == "descending"
    headers[0].click()  # student names, French collation
    names = _column(browser, 0)
    assert sorted(names) == sorted(original) and names[0] == "alice"
    browser.screenshot("dashboard-sorted", max_height=1400)
    _assert_clean(browser, ((site / "index.html").as_uri(),))


def test_xss_fixture_runs_nothing_and_fetches_nothing(browser: Any, site: Path) -> None:
    page = site / sheet_filename("eve<img src=x onerror=window.__pwned=1>")
    _load(browser, page.as_uri())
    time.sleep(0.3)  # give an onerror/onload handler time to fire, were there one
    assert browser.js("return typeof window.__pwned") == "undefined"
    assert browser.js("return document.querySelectorAll('script, iframe, object, embed, "
                      "svg, link:not([rel=icon]), style ~ style').length") == 0
    # Hovering and clicking the rendered payload text triggers nothing either.
    for element in browser.driver.find_elements("css selector", ".md a, .md code, .md p")[:20]:
        browser.js("arguments[0].dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))",
                   element)
    assert browser.js("return typeof window.__pwned") == "undefined"
    _assert_clean(browser, (page.as_uri(),))
    browser.screenshot("sheet-xss", max_height=3000)
    # The dashboard lists that student by name: nothing runs there either.
    _load(browser, (site / "index.html").as_uri())
    assert browser.js("return typeof window.__pwned") == "undefined"
    _assert_clean(browser, ((site / "index.html").as_uri(),))


def test_detector_sees_a_script_that_runs(browser: Any, tmp_path: Path) -> None:
    """Control: without our rendering, the same payload does set the global, so the XSS
    test above would notice a script that ran."""
    page = tmp_path / "unsafe.html"
    page.write_text("<!DOCTYPE html><script>window.__pwned=1</script>", encoding="utf-8")
    _load(browser, page.as_uri())
    assert browser.js("return window.__pwned") == 1


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    server = make_server(site)
    start_background(server)
    try:
        yield url(server)
    finally:
        server.shutdown()
        server.server_close()


def test_served_folder_requests_stay_on_loopback(browser: Any, served: str) -> None:
    assert served.startswith("http://127.0.0.1:")
    _load(browser, served + "index.html")
    _assert_clean(browser, (served,))
    browser.driver.find_element("css selector", "table.heatmap tbody a").click()
    deadline = time.monotonic() + 10
    while not browser.driver.current_url.endswith(".html") or browser.js(
            "return document.readyState") != "complete":
        assert time.monotonic() < deadline, "the sheet did not open"
        time.sleep(0.05)
    assert browser.driver.current_url.startswith(served)
    assert browser.js("return document.querySelector('h1').textContent").strip()
    requests = browser.requests()
    assert requests and all(r.startswith(served) for r in requests), requests
    errors = browser.console_errors()
    assert errors == [], errors


def test_sheet_with_assets_beside_it_loads_its_screenshots(browser: Any, tmp_path: Path,
                                                           tp1: Rubric) -> None:
    """``--assets``: screenshots are files next to the page; the page's policy
    (``img-src 'self'``) lets them load from ``file://`` and nothing else."""
    folder = class_folder(tmp_path / "in", "hash4_ids.md", "alice",
                          ("captures/alpine.png", "captures/run.png"))
    graded = grade_submission(folder, [tp1], forced=tp1)
    page = write_sheet(graded, tmp_path / "out", rubric=tp1, assets=True)
    _load(browser, page.as_uri())
    assert browser.js("return document.images.length") >= 1
    assert browser.js("return Array.from(document.images).every(i => i.complete && "
                      "i.naturalWidth > 0 && i.src.startsWith('file:'))")
    _assert_clean(browser, (page.parent.as_uri() + "/",))
