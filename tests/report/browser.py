"""Opening a report in headless Chromium (Debian's `chromium` and `chromium-driver`, which
`.ci/run` installs) through Selenium: console messages, network requests, a screenshot."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import _unavailable


@dataclass(frozen=True)
class PageCheck:
    severe: list[str]
    """Console messages of level SEVERE (errors)."""
    requests: list[str]
    """Every URL the page asked for, itself included."""
    chart_png: bytes
    """A screenshot of the timeline chart element."""


@contextmanager
def chromium(reachable: str | None = None) -> Iterator[Any]:
    """A headless Chromium driven by chromedriver; skips (fails under
    NEWSARCHIVE_REQUIRE_SERVICES=1) when Selenium, Chromium or chromedriver is missing. No host
    name resolves, but `reachable` (such as 127.0.0.1, for a test's own server)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("browser tests need selenium: pip install -e '.[dev]'")
    binary = os.environ.get("NEWSARCHIVE_CHROMIUM") or shutil.which("chromium")
    driver_path = os.environ.get("NEWSARCHIVE_CHROMEDRIVER") or shutil.which("chromedriver")
    if not binary or not driver_path:
        _unavailable(
            "browser tests need Chromium and chromedriver: apt install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,1600",
        "--host-resolver-rules=MAP * ~NOTFOUND" + (f", EXCLUDE {reachable}" if reachable else ""),
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def open_report(path: Path) -> PageCheck:
    """Load the page at `path` and report what happened."""
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(path.resolve().as_uri())
        driver.execute_script("return document.readyState")
        chart = driver.find_element(By.ID, "timeline")
        chart_png = chart.screenshot_as_png
        severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        requests = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requests.append(message["params"]["request"]["url"])
    return PageCheck(severe, requests, chart_png)


def coloured_share(png: bytes) -> tuple[float, int]:
    """The share of pixels that are not white/grey background, and the number of colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    data = image.tobytes()
    pixels = [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]
    coloured = [p for p in pixels if max(p) - min(p) > 40]  # saturated: bars, not grid or text
    return len(coloured) / len(pixels), len(set(coloured))
