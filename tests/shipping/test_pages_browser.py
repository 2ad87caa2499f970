"""The pages in a real browser (headless Chromium): a phone and an operator's screen."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipping.models import Review, Shipment, User
from shipping.services.tokens import password_reset_token, review_token
from tests.factories import PASSWORD, seller_make

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


def until(driver, condition):
    """Wait (bounded, generous: 30 s) until ``condition(driver)`` is truthy."""
    from selenium.webdriver.support.wait import WebDriverWait

    return WebDriverWait(driver, 30).until(condition)


def arrived(driver, url: str) -> None:
    """Wait until a click or Enter has loaded ``url``."""
    from selenium.webdriver.support import expected_conditions

    until(driver, expected_conditions.url_to_be(url))
    until(driver, loaded)


def submitted(driver) -> None:
    """Click the page's submit button and wait until the answer has loaded."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    button = driver.find_element(By.CSS_SELECTOR, "[type=submit]")
    button.click()

    def left_the_page(_driver) -> bool:
        try:
            button.is_enabled()
        except WebDriverException:  # stale; or Chrome's "does not belong to
            return True  # the document", said while the old page goes
        return False

    until(driver, left_the_page)
    until(driver, loaded)


def loaded(driver) -> bool:
    return bool(driver.execute_script("return document.readyState") == "complete")


def main_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "main").text)


def overflow(driver) -> int:
    """Pixels the page, or a box in it, scrolls sideways (0: everything fits)."""
    return int(
        driver.execute_script(
            "const boxes = [document.documentElement,"
            " ...document.querySelectorAll('.results, main, table')];"
            "return Math.max(...boxes.map(b => b.scrollWidth - b.clientWidth));"
        )
    )


def accessibility_violations(driver) -> list[str]:
    """What axe-core (the engine of browsers' accessibility audits) finds on the
    page against WCAG 2 A and AA: contrast, labels, names, ARIA; one line each."""
    from axe_selenium_python import axe

    script = Path(axe.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
    driver.execute_script(script.read_text(encoding="utf-8"))
    results = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        ".then(done, error => done({error: String(error)}));"
    )
    assert "error" not in results, results
    assert len(results["passes"]) > 5  # it ran its rules on this page
    return [
        f"{violation['id']}: {node['target']} {node['failureSummary']}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


def test_every_page_passes_an_accessibility_audit_on_a_phone_and_a_desktop(
    live_server, browser, in_transit, delivered
):
    """Every page a recipient, seller or partner opens, with its errors shown."""
    from selenium.webdriver.common.by import By

    seller = seller_make()
    pages = {
        "front page": "/",
        "tracking form": "/track/",
        "unknown code": "/track/?code=FS-NOPE",
        "in transit": f"/track/{in_transit.tracking_code}/",
        "delivered": f"/track/{delivered.tracking_code}/",
        "review form": f"/review/{review_token(shipment=delivered)}/",
        "expired review": "/review/expired/",
        "reset form": f"/reset-password/{password_reset_token(user=seller.user)}/",
        "link not valid": "/api/v1/auth/verify-email/?token=expired",
        "page not found": "/no-such-page/",
    }
    found = {}
    for size in (PHONE, DESKTOP):
        sized(browser, size)
        for name, path in pages.items():
            browser.get(live_server.url + path)
            until(browser, loaded)
            found[f"{name} at {size[0]} px"] = accessibility_violations(browser)
        # A form's error, as a person meets it.
        browser.get(live_server.url + "/verify-email/resend/")
        field = browser.find_element(By.ID, "email")
        browser.execute_script("arguments[0].type = 'text'", field)
        field.send_keys("not an address")
        submitted(browser)
        found[f"resend error at {size[0]} px"] = accessibility_violations(browser)
    assert {page: v for page, v in found.items() if v} == {}
    # The audit can fail: grey text on white and an unlabelled field are found.
    browser.execute_script(
        "const main = document.querySelector('main');"
        "main.insertAdjacentHTML('beforeend',"
        " '<p id=faint>faint</p><input id=nameless>');"
        "document.getElementById('faint').style.color = '#bbb';"
    )
    planted = " ".join(accessibility_violations(browser))
    assert "color-contrast" in planted
    assert "label" in planted


def test_a_recipient_tracks_a_parcel_on_a_phone(
    live_server, browser, in_transit, screenshots
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
    current = browser.find_element(By.CSS_SELECTOR, ".journey [aria-current=step]")
    assert current.text.startswith("In transit")
    # Our script ran under the page's CSP: times in the viewer's zone, a copy
    # button that copies.
    note = browser.find_element(By.CLASS_NAME, "local-note")
    assert note.is_displayed()
    assert "time zone" in note.text
    times = browser.find_elements(By.CSS_SELECTOR, ".timeline time")
    assert all("UTC" not in time.text for time in times)
    copy = browser.find_element(By.CSS_SELECTOR, "button.copy")
    assert copy.is_displayed()
    copy.click()
    until(browser, lambda d: d.find_element(By.CLASS_NAME, "copied").text)
    assert overflow(browser) <= 0
    browser.save_screenshot(str(screenshots / "tracking-phone.png"))
    # An estimate stands out; a delivered parcel says so in colour and words.
    from datetime import timedelta

    from django.utils import timezone

    from shipping.models import Shipment

    shipments = Shipment.objects.filter(pk=in_transit.pk)
    shipments.update(estimated_delivery=timezone.now() + timedelta(days=1))
    browser.refresh()
    until(browser, loaded)
    assert "Estimated delivery" in main_text(browser)
    browser.save_screenshot(str(screenshots / "tracking-estimate.png"))
    shipments.update(status="delivered")
    browser.refresh()
    until(browser, loaded)
    banner = browser.find_element(By.CSS_SELECTOR, ".banner.status-delivered")
    assert "has been delivered" in banner.text
    assert banner.value_of_css_property("background-color") == "rgba(231, 245, 236, 1)"
    browser.save_screenshot(str(screenshots / "tracking-delivered.png"))

    browser.get(live_server.url + "/track/?code=FS-2222-2222-2222-22")
    assert browser.find_element(By.TAG_NAME, "h1").text == "No shipment with this code"
    assert browser.find_element(By.ID, "code").get_attribute("value") == (
        "FS-2222-2222-2222-22"
    )
    browser.get(live_server.url + "/no-such-page/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page not found"


def test_an_operator_sees_lists_that_fit_and_finished_shipments_frozen(
    live_server, browser, in_transit, screenshots
):
    from selenium.webdriver.common.by import By

    User.objects.create_superuser(
        email="ops@example.com", password="operator-pass-2026"
    )
    import uuid

    from django.utils import timezone

    from fastship.requestlog.models import RequestLog

    Shipment.objects.filter(pk=in_transit.pk).update(status="delivered")
    in_transit.events.create(status="delivered")
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
    # The front page opens on what needs a person, and fits.
    assert "Needs a person" in browser.find_element(By.ID, "content").text
    assert len(browser.find_elements(By.CSS_SELECTOR, ".attention li")) == 7
    assert overflow(browser) <= 0
    browser.save_screenshot(str(screenshots / "admin-home.png"))
    # Then the last 14 days, drawn on the server: a figure per chart, each a
    # sentence for a screen reader; today's delivered shipment is in the first.
    charts = browser.find_elements(By.CSS_SELECTOR, "figure.chart")
    assert [c.find_element(By.TAG_NAME, "figcaption").text for c in charts] == [
        "Shipments",
        "Mails",
        "Webhook deliveries",
        "API server errors (5xx)",
    ]
    label = charts[0].find_element(By.TAG_NAME, "svg").get_attribute("aria-label")
    assert label == "Shipments, last 14 days: Created 1, Delivered 1."
    browser.execute_script("arguments[0].scrollIntoView()", charts[0])
    browser.save_screenshot(str(screenshots / "admin-home-charts.png"))
    for path in ("/admin/shipping/shipment/", "/admin/requestlog/requestlog/"):
        browser.get(live_server.url + path)
        rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
        assert rows, path
        assert overflow(browser) <= 0, path
        browser.save_screenshot(str(screenshots / f"admin-{path.split('/')[-2]}.png"))
    browser.get(f"{live_server.url}/admin/shipping/shipment/{in_transit.pk}/change/")
    assert browser.find_elements(By.NAME, "content") == []  # read-only
    assert browser.find_elements(By.NAME, "weight_kg") == []
    assert browser.find_elements(By.NAME, "_save") == []  # nothing to save
    assert browser.find_elements(By.CSS_SELECTOR, "a.deletelink") == []
    timeline = browser.find_element(By.ID, "events-group")
    assert "In transit" in timeline.text
    browser.execute_script("arguments[0].scrollIntoView()", timeline)
    browser.save_screenshot(str(screenshots / "admin-finished-shipment.png"))


def test_a_seller_asks_for_a_new_link_from_the_link_that_failed(
    live_server, browser, screenshots
):
    from selenium.webdriver.common.by import By

    from shipping.models import Notification

    seller = seller_make(verified=False)
    sized(browser, PHONE)
    browser.get(f"{live_server.url}/api/v1/auth/verify-email/?token=expired")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Link not valid"
    assert overflow(browser) <= 0
    field = browser.find_element(By.ID, "email")
    field.send_keys("not an address")
    browser.execute_script(
        "arguments[0].type = 'text'", field
    )  # past the browser's check
    submitted(browser)
    field = browser.find_element(By.ID, "email")
    assert field.get_attribute("aria-invalid") == "true"
    error = browser.find_element(By.ID, field.get_attribute("aria-describedby"))
    assert "Enter the email address you signed up with" in error.text
    browser.save_screenshot(str(screenshots / "resend-error.png"))
    before = Notification.objects.filter(recipient=seller.user.email).count()
    field.clear()
    field.send_keys(seller.user.email)
    submitted(browser)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Check your inbox"
    browser.save_screenshot(str(screenshots / "resend-sent.png"))
    assert (
        Notification.objects.filter(recipient=seller.user.email).count() == before + 1
    )


def test_a_recipient_reviews_the_delivery_in_the_form_from_the_mail(
    live_server, browser, delivered, screenshots
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    url = f"{live_server.url}/review/{review_token(shipment=delivered)}/"
    sized(browser, PHONE)
    browser.get(url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "How was your delivery?"
    assert overflow(browser) <= 0
    Select(browser.find_element(By.ID, "rating")).select_by_visible_text("4 / 5")
    browser.find_element(By.ID, "comment").send_keys("Friendly courier")
    browser.save_screenshot(str(screenshots / "review-form.png"))
    submitted(browser)
    assert "Your review was recorded." in main_text(browser)
    browser.save_screenshot(str(screenshots / "review-recorded.png"))
    review = Review.objects.get(shipment=delivered)
    assert (review.rating, review.comment) == (4, "Friendly courier")
    browser.get(url)
    assert "already been reviewed" in main_text(browser)


def test_a_seller_sets_a_new_password_in_the_reset_form(
    live_server, browser, screenshots
):
    from selenium.webdriver.common.by import By

    seller = seller_make()
    url = f"{live_server.url}/reset-password/{password_reset_token(user=seller.user)}/"
    sized(browser, PHONE)
    browser.get(url)
    assert overflow(browser) <= 0

    def submit(password: str, again: str) -> str:
        for name, value in (("password", password), ("password_again", again)):
            field = browser.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        submitted(browser)
        return main_text(browser)

    assert "The two passwords differ." in submit("a-new-pass-123", "another-pass-12")
    browser.save_screenshot(str(screenshots / "reset-mismatch.png"))
    assert "Your password was changed" in submit("a-new-pass-123", "a-new-pass-123")
    browser.save_screenshot(str(screenshots / "reset-done.png"))
    seller.user.refresh_from_db()
    assert seller.user.check_password("a-new-pass-123")


def test_a_developer_authorizes_in_the_docs_and_lists_shipments(
    live_server, browser, in_transit, screenshots
):
    """Swagger UI, from our static files: Authorize with a token, run the list."""
    from selenium.webdriver.common.by import By

    login = urllib.request.Request(
        f"{live_server.url}/api/v1/auth/token/",
        data=json.dumps(
            {"email": in_transit.seller.user.email, "password": PASSWORD}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=30) as answer:
        access = json.load(answer)["access"]
    sized(browser, DESKTOP)
    browser.get(f"{live_server.url}/docs")
    until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".btn.authorize"))
    browser.find_element(By.CSS_SELECTOR, ".btn.authorize").click()
    until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".modal-ux"))
    for scheme in browser.find_elements(By.CSS_SELECTOR, ".modal-ux .auth-container"):
        if "jwtAuth" in scheme.text:
            scheme.find_element(By.TAG_NAME, "input").send_keys(access)
            scheme.find_element(By.CSS_SELECTOR, "button.authorize").click()
            until(browser, lambda d, s=scheme: "Logout" in s.text)
            break
    else:
        raise AssertionError("no jwtAuth section in the Authorize dialog")
    browser.save_screenshot(str(screenshots / "docs-authorized.png"))
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .btn-done").click()
    operation = browser.find_element(
        By.ID, "operations-shipments-api_v1_shipments_list"
    )
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    until(browser, lambda d: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
    operation.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    operation.find_element(By.CSS_SELECTOR, ".execute").click()
    until(
        browser,
        lambda d: operation.find_elements(
            By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"
        ),
    )
    live = operation.find_element(By.CSS_SELECTOR, ".live-responses-table")
    status = live.find_element(By.CSS_SELECTOR, "tbody .response-col_status")
    assert status.text.startswith("200")
    assert in_transit.tracking_code in live.text
    browser.execute_script("arguments[0].scrollIntoView()", live)
    # Everything the page loaded came from this server: no CDN.
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded, "the page loaded no resources"
    assert [url for url in loaded if not url.startswith(live_server.url)] == []
    browser.save_screenshot(str(screenshots / "docs-shipment-list.png"))
