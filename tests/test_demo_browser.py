"""The demo page in a real headless Chromium, driven by Selenium, as a newcomer would use it.

Needs Debian's `chromium` and `chromium-driver` (`apt-get install chromium chromium-driver`);
without them these tests are skipped, unless TANDEM_REQUIRE_BROWSER=1 (as in .ci/run) makes
that a failure. TANDEM_SCREENSHOTS=1 saves the README's screenshots into docs/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.demo import cast
from tests.demo_server import demo_server

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support import expected_conditions as shown  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BROWSER = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ENABLE = (
    "No headless Chromium here: `apt-get install chromium chromium-driver` (Debian) to run "
    "the demo's browser tests."
)


def _browser_or_skip() -> None:
    if Path(BROWSER).exists() and Path(DRIVER).exists():
        return
    if os.environ.get("TANDEM_REQUIRE_BROWSER") == "1":
        pytest.fail(ENABLE)
    pytest.skip(ENABLE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _browser_or_skip()
    with demo_server(tmp_path_factory.mktemp("demo-browser")) as base:
        yield base


@pytest.fixture(scope="module")
def browser(demo: str) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = BROWSER
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.get(demo)
    yield driver
    driver.quit()


def wait(browser: WebDriver, seconds: float = 15) -> WebDriverWait[WebDriver]:
    # The page redraws what changed while it polls: an element found a moment ago may be gone.
    return WebDriverWait(browser, seconds, ignored_exceptions=[StaleElementReferenceException])


def open_channel(browser: WebDriver, name: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f'#channels a[href="#{name}"]').click()
    wait(browser).until(shown.text_to_be_present_in_element((By.ID, "title"), f"# {name}"))


def act_as(browser: WebDriver, user: str) -> None:
    Select(browser.find_element(By.ID, "actor")).select_by_value(user)


def type_command(browser: WebDriver, text: str) -> None:
    composer = browser.find_element(By.ID, "composer")
    composer.clear()
    composer.send_keys(text)
    composer.send_keys(Keys.ENTER)


def last_message(browser: WebDriver, text: str, *, public: bool = False) -> WebElement:
    """The last message in the channel showing `text` (seen by all, if `public`), once there."""
    only = ' and not(contains(@class, "ephemeral"))' if public else ""
    locator = (By.XPATH, f'//div[@id="messages"]/div[contains(., "{text}"){only}]')
    wait(browser).until(shown.presence_of_element_located(locator))
    return browser.find_elements(*locator)[-1]


def screenshot(browser: WebDriver, name: str) -> None:
    if os.environ.get("TANDEM_SCREENSHOTS") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        browser.execute_script("document.getElementById('toast').hidden = true")
        browser.save_screenshot(str(ROOT / "docs" / name))


def test_the_composer_shows_each_commands_usage_and_answers_only_the_typer(
    browser: WebDriver,
) -> None:
    """Typing `/glo` suggests /glossary with its hint; the confirmation is only for the typer."""
    act_as(browser, cast.REP.id)
    open_channel(browser, "sales")
    composer = browser.find_element(By.ID, "composer")
    composer.send_keys("/glo")
    suggestion = wait(browser).until(
        shown.visibility_of_element_located((By.CSS_SELECTOR, "#suggestions .suggestion"))
    )
    assert "/glossary" in suggestion.text and "set MQL = Marketing Qualified Lead" in (
        suggestion.text
    )
    type_command(browser, "/glossary set NRR = Net revenue retention, per cohort")
    answer = last_message(browser, "Defined NRR")
    assert "Only visible to you" in answer.text


def test_a_vote_changes_the_count(browser: WebDriver) -> None:
    """Clicking Not helpful on the announced collateral updates its counts in place."""
    act_as(browser, cast.LEAD.id)
    open_channel(browser, "marketing")
    card = last_message(browser, "Hotel pricing guide 2026", public=True)
    ts = card.get_attribute("data-ts")
    assert "0 not helpful" in card.text
    card.find_element(By.XPATH, './/button[starts-with(normalize-space(.), "Not helpful")]').click()
    locator = (By.CSS_SELECTOR, f'#messages .message[data-ts="{ts}"]')
    wait(browser).until(shown.text_to_be_present_in_element(locator, "1 not helpful"))
    assert "(edited)" in browser.find_element(*locator).text


def test_a_modal_shows_its_errors_then_saves(browser: WebDriver) -> None:
    """/lead alone opens its form; a 1 without a reason is refused beside the field; then saved."""
    act_as(browser, cast.REP.id)
    open_channel(browser, "sales")
    type_command(browser, "/lead")
    modal = wait(browser).until(shown.visibility_of_element_located((By.ID, "modal")))
    assert "Rate a lead" in modal.text
    browser.find_element(By.ID, "input-lead").send_keys("NW-88")
    Select(browser.find_element(By.ID, "input-score")).select_by_value("1")
    browser.find_element(By.ID, "modal-submit").click()
    error = wait(browser).until(
        shown.visibility_of_element_located((By.CSS_SELECTOR, '[data-block-id="reason"] .error'))
    )
    assert "10 characters" in error.text
    assert browser.find_element(By.ID, "input-lead").get_attribute("value") == "NW-88"
    browser.find_element(By.ID, "input-reason").send_keys("the contact left the company")
    browser.find_element(By.ID, "modal-submit").click()
    wait(browser).until(shown.text_to_be_present_in_element((By.ID, "modal"), "NW-88"))
    browser.find_element(By.ID, "modal-close").click()
    wait(browser).until(shown.invisibility_of_element_located((By.ID, "modal-layer")))


def test_the_clock_posts_the_quarterly_agenda_with_its_thread_and_chart(
    browser: WebDriver,
) -> None:
    """Run the clock at the quarterly agenda's time: the agenda, its thread, a chart image."""
    act_as(browser, cast.LEAD.id)
    pick = (By.XPATH, '//div[@id="clock-picks"]/button[starts-with(., "quarterly agenda")]')
    wait(browser).until(lambda _: browser.find_element(*pick).click() or True)
    browser.find_element(By.ID, "clock-run").click()
    wait(browser, 60).until(shown.text_to_be_present_in_element((By.ID, "toast"), "1 posted"))
    open_channel(browser, "planning")
    replies = (
        By.XPATH,
        '(//div[@id="messages"]/div[contains(., "planning")])[last()]'
        '//*[contains(@class, "replies")]',
    )
    wait(browser).until(lambda _: browser.find_element(*replies).click() or True)
    wait(browser).until(shown.visibility_of_element_located((By.ID, "thread")))
    charts = (By.CSS_SELECTOR, "#thread .file img")
    wait(browser).until(lambda _: _loaded(browser, browser.find_element(*charts)))
    assert browser.find_elements(By.CSS_SELECTOR, '#thread a.download[download$=".ics"]')
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center'})", browser.find_element(*charts)
    )
    screenshot(browser, "demo-agenda.png")


def _loaded(browser: WebDriver, image: WebElement) -> Any:
    return browser.execute_script("return arguments[0].naturalWidth > 0", image)


def test_the_lead_card_and_the_home_tab(browser: WebDriver) -> None:
    """Lead cards in the handoff channel; the Home tab drawn from the view the app published."""
    act_as(browser, cast.REP.id)
    open_channel(browser, "lead-handoff")
    last_message(browser, "Accepted by")
    screenshot(browser, "demo-lead-card.png")
    browser.find_element(By.ID, "nav-home").click()
    home = wait(browser).until(shown.visibility_of_element_located((By.ID, "home")))
    wait(browser).until(lambda _: home.find_elements(By.CSS_SELECTOR, ".bk-header"))
    assert "Win rate" in home.text or "win rate" in home.text
    screenshot(browser, "demo-home.png")
