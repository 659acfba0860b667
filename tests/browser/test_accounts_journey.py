import re

from playwright.sync_api import expect


def test_sign_up_log_in_and_reach_my_product_through_the_menu(page, screenshot):
    # Sign up
    page.goto("/accounts/signup/")
    page.get_by_label("First name").fill("Minji")
    page.get_by_label("Last name").fill("Kim")
    page.get_by_label("Email").fill("minji@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_label("Password (again)").fill("a-long-enough-passphrase")
    screenshot("signup")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/naver-works/my-product/$"))

    # Log out, then log in again
    page.get_by_role("button", name="minji@example.com").click()
    page.get_by_role("button", name="Log out").click()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("minji@example.com")
    page.get_by_label("Password").fill("a-long-enough-passphrase")
    screenshot("login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My Product")).to_be_visible()

    # From another page, through the menu: Services > Business Applications > NAVER WORKS > My Product
    page.goto("/accounts/profile/")
    expect(page.get_by_label("Region")).to_have_value("KR")
    expect(page.get_by_label("Platform")).to_have_value("VPC")
    page.get_by_role("link", name="Services", exact=True).click()
    page.get_by_role("link", name="Business Applications").click()
    page.get_by_role("link", name="NAVER WORKS", exact=True).click()
    page.get_by_role("link", name="My Product").click()
    expect(page).to_have_url(re.compile(r"/naver-works/my-product/$"))
    expect(page.get_by_role("button", name="Apply for product")).to_be_visible()
    screenshot("my-product-empty")

    # The platform selector keeps its choice
    page.get_by_label("Platform").select_option("CLASSIC")
    expect(page.get_by_label("Platform")).to_have_value("CLASSIC")
    page.reload()
    expect(page.get_by_label("Platform")).to_have_value("CLASSIC")


def test_profile_and_password_change_by_their_labels(page, customer, screenshot):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill("correct-horse-battery-9")
    page.get_by_role("button", name="Log in").click()

    page.goto("/accounts/profile/")
    page.get_by_label("First name").fill("さくら")
    page.get_by_label("Last name").fill("山田")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your profile has been successfully updated.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(customer.email)
    screenshot("profile")

    page.goto("/accounts/password/")
    page.get_by_label("Current password").fill("correct-horse-battery-9")
    page.get_by_label("New password", exact=True).fill("a-brand-new-passphrase")
    page.get_by_label("New password (again)").fill("a-brand-new-passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(
        page.get_by_text("Changing your password will log you out immediately. Use the new password to log back in.")
    ).to_be_visible()
