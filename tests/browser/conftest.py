"""Headless Chromium for the browser tests, driven by Selenium with Debian's ChromeDriver.

``scripts/ci/setup-browser.sh`` installs ``chromium`` and ``chromium-driver``; selenium
comes with the dev extras. When either is missing, or Chromium cannot start, every
browser test skips and says why. Screenshots are kept in ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
    "--disable-dev-shm-usage",
)
"""As the machine's notes advise: without the background-networking flags Chromium tries
to reach Google's hosts at start, which a closed network refuses (and a test would see)."""


def _find(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@dataclass
class Browser:
    """A Chromium session with what the tests read: console messages and requests."""

    driver: Any

    def open(self, url: str, *, width: int = 1280, height: int = 900,
             mobile: bool = False) -> None:
        self.drain()
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        self.driver.get(url)
        self.driver.execute_script("return document.readyState")

    def drain(self) -> None:
        self.driver.get_log("browser")
        self.driver.get_log("performance")

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] in ("SEVERE", "WARNING")]

    def requests(self) -> list[str]:
        """URLs the page asked for (``data:`` URIs are not requests and are left out)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                url = message["params"]["request"]["url"]
                if not url.startswith("data:"):
                    urls.append(url)
        return urls

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def screenshot(self, name: str, *, width: int = 1280, mobile: bool = False,
                   max_height: int = 6000) -> Path:
        """A full-page PNG kept in tests/artifacts (up to ``max_height`` pixels)."""
        height = min(max_height, int(self.js("return document.documentElement.scrollHeight")))
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        assert self.driver.save_screenshot(str(path))
        return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed: pip install -e '.[dev]'")
    chromium = _find("chromium", "chromium-browser", "google-chrome")
    chromedriver = _find("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.skip("Chromium or ChromeDriver not installed: run scripts/ci/setup-browser.sh "
                    "(apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="grader-chromium-")
    options = Options()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    except WebDriverException as exc:
        shutil.rmtree(profile, ignore_errors=True)
        first = (exc.msg or str(exc)).strip().splitlines()[0]
        pytest.skip(f"Chromium could not start: {first}")
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Network.enable", {})
    try:
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
