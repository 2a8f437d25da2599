"""Headless Chromium for the browser tests: Debian's chromium and chromedriver.

The same set-up as the staff console's browser test
(``tests/e2e/test_console_browser.py``), as a plain module so that any test can start
the browser in the scope it needs: Debian's ``/usr/bin/chromium`` and
``/usr/bin/chromedriver`` named explicitly, and Selenium Manager disabled, so nothing
is ever downloaded. ``scripts/setup-system.sh`` installs the packages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from support.services import need_service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def unavailable() -> str | None:
    """Why the browser cannot start, or ``None``."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} is missing (run scripts/setup-system.sh as root)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed in .venv"
    return None


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A headless Chromium WebDriver with a fresh profile in ``profile``."""
    reason = unavailable()
    if reason:
        need_service(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def no_downloads(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("Selenium Manager must not run")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SeleniumManager, "binary_paths", no_downloads)
        patch.setenv("SE_OFFLINE", "true")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        service = Service(
            executable_path=CHROMEDRIVER,
            log_output=str(profile.parent / "chromedriver.log"),
        )
        driver = webdriver.Chrome(service=service, options=options)
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()
