"""The portal in headless Chromium (Debian's chromium + chromium-driver, installed by
scripts/browser), driven with selenium: sign in through the outbox link, accept the terms,
create a key, rotate it and watch the old one stop working when its grace period ends, sign out.
The status page loads too. Screenshots land in the test's tmp dir."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.sign_in import outbox, wait_for_link

# A rotated key's grace period in this gateway: 5.4 seconds.
GRACE_HOURS = "0.0015"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1400",
)


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    env = {"MG_KEY_ROTATION_GRACE_HOURS": GRACE_HOURS}
    with running_gateway(tmp_path_factory.mktemp("gw-portal"), None, env) as process:
        yield process


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "run scripts/browser (Debian's chromium and chromium-driver)"
    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium must not look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    service = Service(executable_path=driver, log_output=str(tmp_path / "chromedriver.log"))
    session = webdriver.Chrome(options=options, service=service)
    session.set_page_load_timeout(30)
    try:
        yield session
    finally:
        session.quit()


def submit(browser: WebDriver, button: WebElement) -> None:
    """Click a form's button and wait for the page it leads to: without the wait, the next
    lookup can read the old page (a busy machine makes that likely)."""
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(page))


def whoami(gw: GatewayProcess, key: str) -> int:
    with gw.client(key) as client:
        return client.get("/v1/whoami").status_code


def test_sign_in_rotate_watch_the_old_key_end_and_sign_out(
    gw: GatewayProcess, browser: WebDriver, tmp_path: Path
) -> None:
    email = "lead@portal.example"
    browser.get(f"{gw.url}/portal")
    browser.find_element(By.ID, "email").send_keys(email)
    seen = len(outbox(gw.data_dir))
    submit(browser, browser.find_element(By.ID, "send-link"))
    assert "link is on its way" in browser.find_element(By.ID, "message").text

    browser.get(wait_for_link(gw.data_dir, email, seen))
    assert browser.current_url == f"{gw.url}/portal"
    assert browser.find_element(By.ID, "who").text == email
    assert browser.find_element(By.ID, "balance").text == "$5.00", "a new account's free credit"
    session = browser.get_cookie("mg_session")
    assert session is not None and session["httpOnly"] and session["sameSite"] == "Lax"

    browser.find_element(By.ID, "tos-accept").click()
    submit(browser, browser.find_element(By.ID, "tos-submit"))
    assert not browser.find_elements(By.ID, "tos")

    browser.find_element(By.ID, "key-name").send_keys("game build")
    submit(browser, browser.find_element(By.ID, "create-key"))
    old_key = browser.find_element(By.ID, "new-key-value").text
    assert old_key.startswith("mg_test_") and whoami(gw, old_key) == 200
    row = browser.find_element(By.CSS_SELECTOR, "tr[data-status='active']")
    assert f"{old_key[:12]}…{old_key[-4:]}" in row.text and "healthy" in row.text

    submit(browser, row.find_element(By.NAME, "rotate"))
    new_key = browser.find_element(By.ID, "new-key-value").text
    assert new_key != old_key and new_key.startswith("mg_test_")
    assert browser.find_element(By.ID, "old-key-expiry").text
    rotated_at = time.monotonic()
    assert whoami(gw, old_key) == 200, "the old key works during its grace period"
    browser.save_screenshot(str(tmp_path / "portal-rotated.png"))

    deadline = rotated_at + 30
    while whoami(gw, old_key) == 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert whoami(gw, old_key) == 401 and time.monotonic() - rotated_at >= 4
    assert whoami(gw, new_key) == 200
    browser.get(f"{gw.url}/portal")
    statuses = [
        r.get_attribute("data-status") for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-key-id]")
    ]
    assert sorted(statuses) == ["active", "expired"]
    # Last-used dates are written off the request path, within seconds: the old key was used.
    old_row = browser.find_element(By.CSS_SELECTOR, "tr[data-status='expired']")
    assert "Rotate" not in old_row.text, "an expired key offers no actions"
    assert browser.find_element(By.ID, "usage-chart").find_elements(By.CSS_SELECTOR, "rect.bar")
    browser.save_screenshot(str(tmp_path / "portal-after-grace.png"))

    stolen = session["value"]
    submit(browser, browser.find_element(By.NAME, "sign-out"))
    assert browser.find_element(By.ID, "send-link")
    assert browser.get_cookie("mg_session") is None
    with httpx.Client(base_url=gw.url, cookies={"mg_session": stolen}) as client:
        assert client.get("/portal/api/keys").status_code == 401, "the session ended on the server too"

    browser.get(f"{gw.url}/status")
    assert "mg gateway status" in browser.title
    browser.save_screenshot(str(tmp_path / "status.png"))
    assert (tmp_path / "portal-rotated.png").stat().st_size > 1000
    assert os.path.getsize(tmp_path / "status.png") > 1000
