"""The whole password reset in Chromium (SPEC 8, 9), in English and Japanese: the link arrives by mail on a real
SMTP server (tests.smtp), the customer follows it, sets a new password and logs in with it."""

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import UserFactory
from tests.browser.conftest import SCREENSHOTS
from tests.celery_queue import run_queued_tasks
from tests.smtp import parts

pytestmark = pytest.mark.usefixtures("empty_queue")

NEW_PASSWORD = "a-brand-new-passphrase-7"
LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def shoot(page, name: str) -> None:
    """The page at 1366 px and at 390 px (full page), then back to 1366 px."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture
def japanese_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_a_customer_resets_a_forgotten_password_in_english(page, smtp_inbox, transactional_db):
    user = UserFactory(email="minji@example.com", language="en")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?", exact=True).click()

    expect(page).to_have_url(re.compile(r"/accounts/password/reset/$"))
    page.get_by_label("Email", exact=True).fill("minji@example.com")
    shoot(page, "password-reset-en")
    page.get_by_role("button", name="Send reset link", exact=True).click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    shoot(page, "password-reset-sent-en")

    run_queued_tasks()  # the worker's part: the mail goes out after the page has answered
    [message] = smtp_inbox.to("minji@example.com")
    assert message["Subject"] == "Reset your NAVER Cloud Platform console password"
    page.goto(LINK.search(parts(message)["text/plain"]).group(1))
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password (again)", exact=True).fill(NEW_PASSWORD)
    shoot(page, "password-reset-confirm-en")
    page.get_by_role("button", name="Set password", exact=True).click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text("Your password has been set. Log in with the new password.")).to_be_visible()
    page.get_by_label("Email", exact=True).fill("minji@example.com")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/naver-works/my-product/$"))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_customer_resets_a_forgotten_password_in_japanese(japanese_page, smtp_inbox, transactional_db):
    page = japanese_page
    user = UserFactory(email="sakura@example.jp", first_name="さくら", language="ja")
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.get_by_role("link", name="パスワードをお忘れですか？", exact=True).click()

    page.get_by_label("メールアドレス", exact=True).fill("sakura@example.jp")
    shoot(page, "password-reset-ja")
    page.get_by_role("button", name="再設定リンクを送信", exact=True).click()
    expect(page.get_by_role("heading", name="メールを確認してください")).to_be_visible()
    shoot(page, "password-reset-sent-ja")

    run_queued_tasks()
    [message] = smtp_inbox.to("sakura@example.jp")
    assert message["Subject"] == "NAVER Cloud Platformコンソールのパスワード再設定"
    texts = parts(message)
    assert texts["text/plain"].startswith("さくら 様")
    # The HTML part's button leads to the same link.
    path = LINK.search(texts["text/plain"]).group(1)
    assert path in texts["text/html"]
    page.goto(path)
    expect(page.get_by_role("heading", name="新しいパスワードの設定")).to_be_visible()
    page.get_by_label("新しいパスワード", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("新しいパスワード(確認)", exact=True).fill(NEW_PASSWORD)
    shoot(page, "password-reset-confirm-ja")
    page.get_by_role("button", name="パスワードを設定", exact=True).click()

    expect(page.get_by_text("パスワードを設定しました。新しいパスワードでログインしてください。")).to_be_visible()
    page.get_by_label("メールアドレス", exact=True).fill("sakura@example.jp")
    page.get_by_label("パスワード", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/naver-works/my-product/$"))

    # The link worked once.
    page.goto(path)
    expect(page.get_by_text("このリンクは無効です。", exact=False)).to_be_visible()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
