"""The pages in a real browser (headless Chromium): a phone and an operator's screen."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipping.models import Shipment, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = (390, 844)
DESKTOP = (1280, 800)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    service = Service(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def sized(driver, size: tuple[int, int]) -> None:
    """Make the page's viewport ``size`` (the window adds its frame)."""
    driver.set_window_size(*size)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(size[0] * 2 - inner[0], size[1] * 2 - inner[1])


def arrived(driver, url: str) -> None:
    """Wait (bounded, generous) until a click or Enter has loaded ``url``."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(driver, 30).until(expected_conditions.url_to_be(url))
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def overflow(driver) -> int:
    """Pixels the page, or a box in it, scrolls sideways (0: everything fits)."""
    return int(
        driver.execute_script(
            "const boxes = [document.documentElement,"
            " ...document.querySelectorAll('.results, main, table')];"
            "return Math.max(...boxes.map(b => b.scrollWidth - b.clientWidth));"
        )
    )


def test_a_recipient_tracks_a_parcel_on_a_phone(
    live_server, browser, in_transit, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    sized(browser, PHONE)
    browser.get(live_server.url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Shipping for online shops"
    assert overflow(browser) <= 0
    # The stylesheet loaded from our static files.
    color = browser.find_element(By.CLASS_NAME, "brand").value_of_css_property("color")
    assert color == "rgba(11, 92, 173, 1)"
    browser.find_element(By.LINK_TEXT, "Track a parcel").click()
    arrived(browser, f"{live_server.url}/track/")
    field = browser.find_element(By.ID, "code")
    # Typed as someone reads it out: lower case, spaces for dashes.
    field.send_keys(in_transit.tracking_code.lower().replace("-", " ") + Keys.ENTER)
    arrived(browser, f"{live_server.url}/track/{in_transit.tracking_code}/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "In transit"
    events = browser.find_elements(By.CSS_SELECTOR, ".timeline li strong")
    assert [event.text for event in events] == ["In transit", "Placed"]
    assert overflow(browser) <= 0
    browser.save_screenshot(str(tmp_path / "tracking-phone.png"))

    browser.get(live_server.url + "/track/?code=FS-2222-2222-2222-22")
    assert browser.find_element(By.TAG_NAME, "h1").text == "No shipment with this code"
    assert browser.find_element(By.ID, "code").get_attribute("value") == (
        "FS-2222-2222-2222-22"
    )
    browser.get(live_server.url + "/no-such-page/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page not found"


def test_an_operator_sees_lists_that_fit_and_finished_shipments_frozen(
    live_server, browser, in_transit, tmp_path
):
    from selenium.webdriver.common.by import By

    User.objects.create_superuser(
        email="ops@example.com", password="operator-pass-2026"
    )
    import uuid

    from django.utils import timezone

    from fastship.requestlog.models import RequestLog

    Shipment.objects.filter(pk=in_transit.pk).update(status="delivered")
    RequestLog.objects.bulk_create(
        RequestLog(
            record_id=uuid.uuid4(),
            request_id=uuid.uuid4().hex,
            started_at=timezone.now(),
            method="PATCH",
            path=f"/api/v1/shipments/{uuid.uuid4()}/events/{'x' * 200}",
            status_code=409,
            duration_ms=12.345,
            user_id=12345678,
            user_role="partner",
            client_ip="2001:db8:85a3::8a2e:370:7334",
        )
        for _ in range(3)
    )
    sized(browser, DESKTOP)
    browser.get(live_server.url + "/admin/login/")
    assert "FastShip operations" in browser.title
    browser.find_element(By.NAME, "username").send_keys("ops@example.com")
    browser.find_element(By.NAME, "password").send_keys("operator-pass-2026")
    browser.find_element(By.CSS_SELECTOR, "[type=submit]").click()
    arrived(browser, f"{live_server.url}/admin/")
    for path in ("/admin/shipping/shipment/", "/admin/requestlog/requestlog/"):
        browser.get(live_server.url + path)
        rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
        assert rows, path
        assert overflow(browser) <= 0, path
        browser.save_screenshot(str(tmp_path / f"admin-{path.split('/')[-2]}.png"))
    browser.get(f"{live_server.url}/admin/shipping/shipment/{in_transit.pk}/change/")
    assert browser.find_elements(By.NAME, "content") == []  # read-only
    assert browser.find_elements(By.NAME, "weight_kg") == []
    assert "In transit" in browser.find_element(By.ID, "events-group").text
