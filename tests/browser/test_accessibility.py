"""WCAG 2.2 AA on every page (SPEC 14, issue 20): axe-core finds no violation of the rules tagged wcag2a,
wcag2aa, wcag21a, wcag21aa and wcag22aa on any console, password or NAVER WORKS Admin page, in en, ja and ko,
at 390 and 1366 px, forms in their error states and the confirmation modal open included.

axe-core comes from npm (package.json's devDependencies) and is read from node_modules: never a CDN. It is run
through Playwright's `evaluate` (the DevTools protocol), which the Content-Security-Policy does not govern, so
the strict CSP stays on and still fails a test on any report (conftest.py). No rule and no element is excluded.

The pages are a table, PAGES: each row is a URL to open or a journey step that drives the page into the state to
check (a form sent with errors, a wizard step, a modal open), signed out, as the customer or as a NAVER WORKS
admin. `page(...)` adds a row. The data is built once for the module's single test; every language walks the whole
table in one browser context, each row checked at every width where it stands, so the cost grows with the rows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page, expect

from billing.models import ContractType
from subscriptions.models import RenewalOption
from tests.accounts.factories import UserFactory
from tests.billing.factories import waived_final_invoice
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import (
    ActiveSubscriptionFactory,
    ConversionReservationFactory,
    InvoiceFactory,
    ReservationFactory,
    SuspendedSubscriptionFactory,
    TerminatedSubscriptionFactory,
    TrialSubscriptionFactory,
)
from tests.workspaces.factories import (
    ADMIN_PASSWORD,
    DomainWorkspaceFactory,
    MemberFactory,
    OrgUnitFactory,
    WorkGroupFactory,
    WorkspaceFactory,
)
from works_console.dates import kst_date

from .conftest import CSP_VIOLATION_TEXTS

pytestmark = pytest.mark.django_db(transaction=True)

AXE_SOURCE = (Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LANGUAGES = {"en": "en-US", "ja": "ja-JP", "ko": "ko-KR"}
WIDTHS = (390, 1366)

# Who is signed in: nobody, the customer, or one of the NAVER WORKS accounts of `_data` (an admin, the admin of the
# domain workspace, a member who is not an admin).
ANONYMOUS, CUSTOMER = "anonymous", "customer"
WORKS_ADMIN, WORKS_DOMAIN_ADMIN, WORKS_MEMBER = "admin@axe-team", "admin@axe-example.com", "member0@axe-team"


@dataclass(frozen=True)
class Row:
    """A page to check: `url` is opened (none: the page the previous row left), then `step` (if any) drives it
    into the state to check."""

    name: str
    url: str | Callable[[SimpleNamespace], str] | None
    step: Callable[[Page, SimpleNamespace], None] | None
    session: str


PAGES: list[Row] = []


def page(name: str, url=None, step=None, *, session: str = CUSTOMER) -> None:
    """Adds a page to check: `url` (a path, or a function of the data giving one; None goes on from the page the
    row before left, a journey step), then `step(page, data)` to bring it into the state to check; `session` is
    who is signed in (the rows of one session stay together)."""
    PAGES.append(Row(name, url, step, session))


signed_out = partial(page, session=ANONYMOUS)
works_admin = partial(page, session=WORKS_ADMIN)
works_domain_admin = partial(page, session=WORKS_DOMAIN_ADMIN)
works_member = partial(page, session=WORKS_MEMBER)


# --- Journey steps (language independent: ids and names, not labels) ------------------------------------------


def submit(page: Page, form: str = "main form") -> None:
    """Sends `form` with its primary button (not Back nor a helper button: those skip validation) and waits for
    the answer; a form that asks for a confirmation first (confirm.js) is confirmed."""
    _send(page, page.locator(form).first)


def _send(page: Page, form) -> None:
    asks_first = form.get_attribute("data-confirm") is not None
    with page.expect_navigation():
        form.locator("button[type=submit]:not([formnovalidate]), input[type=submit]").first.click()
        if asks_first:
            page.locator("#confirm-modal.show [data-confirm-ok]").click()


def fill(**values: str) -> Callable[[Page, SimpleNamespace], None]:
    """A step filling fields by the end of their names (a `{context}` placeholder takes the language),
    then sending their form."""

    def step(page: Page, data: SimpleNamespace) -> None:
        fields = [page.locator(f"main [name$='{name}']").first for name in values]
        for field, value in zip(fields, values.values(), strict=True):
            if field.evaluate("field => field.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value.format(context=data.context))
        _send(page, fields[0].locator("xpath=ancestor::form"))

    return step


def send(page: Page, data: SimpleNamespace) -> None:
    """The page's form sent as it is (empty: its error state)."""
    submit(page)


def check_and_send(selector: str) -> Callable[[Page, SimpleNamespace], None]:
    def step(page: Page, data: SimpleNamespace) -> None:
        page.locator(selector).last.check()
        submit(page)

    return step


choose_premium = check_and_send("input[name$=plan]")  # the highest tier, last
agree = check_and_send("input[name$=agree]")


def open_confirmation(form: str) -> Callable[[Page, SimpleNamespace], None]:
    """A destructive action's confirmation modal, opened (confirm.js): `form` is the action's form."""

    def step(page: Page, data: SimpleNamespace) -> None:
        page.locator(form).first.locator("button[type=submit]").click()
        expect(page.locator("#confirm-modal.show [data-confirm-ok]")).to_be_focused()

    return step


def reset_link(data: SimpleNamespace) -> str:
    """The link of a password reset mail, made now: a login since the last one makes that one invalid."""
    customer = data.customer
    customer.refresh_from_db()
    uid = urlsafe_base64_encode(force_bytes(customer.pk))
    return f"/accounts/password/reset/{uid}/{default_token_generator.make_token(customer)}/"


def switch_platform_to_classic(page: Page, data: SimpleNamespace) -> None:
    """My Product of the other platform, where the customer has nothing: the empty state. The header's selector
    may be collapsed at this width; it sends its form on change."""
    with page.expect_navigation():
        page.locator("#shell-platform").evaluate(
            "select => { select.value = 'classic'; select.form.requestSubmit(); }"
        )


def my_product_of(action: str, subscription: str) -> Callable[[SimpleNamespace], str]:
    return lambda data: f"/naver-works/my-product/{getattr(data, subscription).public_id}/{action}/"


# --- The table --------------------------------------------------------------------------------------------------

# Signed out: the console's login, sign-up and password pages, each also sent with errors; the 404 page.
signed_out("login", "/accounts/login/")
signed_out("login, wrong password", None, fill(username="nobody-{context}@example.com", password="wrong-1"))
signed_out("sign-up", "/accounts/signup/")
signed_out("sign-up with errors", None, fill(first_name="A1", email="not-an-email", password1="short"))
signed_out("password reset", "/accounts/password/reset/")
signed_out("password reset with errors", None, fill(email="not-an-email"))
signed_out("password reset sent", None, fill(email="nobody-{context}@example.com"))
signed_out("new password", reset_link)
signed_out(
    "new password with errors",
    None,
    fill(new_password1="a-new-passphrase-7", new_password2="another-one-9"),
)
signed_out("invalid reset link", "/accounts/password/reset/MQ/invalid-token/")
signed_out("not found", "/no-such-page/")

# The customer: My Product with a subscription in every state, the wizard's five steps, every action page, each
# form also sent with errors.
page("my product", "/naver-works/my-product/")
page("my product, confirmation modal", None, open_confirmation("form[action$='/withdraw-cancellation/']"))
page("apply 1", "/naver-works/my-product/apply/")
page("apply 1 with errors", None, send)
page("apply 2", None, choose_premium)
page("apply 2 with errors", None, send)
page("apply 3", None, agree)
page("apply 3 with errors", None, fill(group_name="Bad--Name", admin_password="abc"))
page(
    "apply 4",
    None,
    fill(
        group_name="axe-{context}",
        admin_id="admin",
        admin_password=ADMIN_PASSWORD,
        admin_password_confirmation=ADMIN_PASSWORD,
        company_name="Acme Korea",
        company_phone_country="KR",
        company_phone="02-555-0199",
    ),
)
page("apply 5", None, send)
page("convert", my_product_of("convert", "trial"))
page("convert with errors", None, fill(start_on="2000-01-01", licences="0"))
page("convert a suspended trial", my_product_of("convert", "suspended"))
page("renewal", my_product_of("renewal", "annual"))
page("renewal with errors", None, fill(licences="0"))
page("renewal confirmation", my_product_of("renewal", "annual"), send)
page("licences", my_product_of("licences", "annual"))
page("licences with errors", None, fill(licences="1"))
page("upgrade 1", my_product_of("upgrade", "trial"))
page("upgrade 1 with errors", None, send)
page("upgrade 2", None, choose_premium)
page("upgrade 2 with errors", None, send)
page("upgrade 1 (paid)", my_product_of("upgrade", "annual"))
page("upgrade 3 (paid)", None, lambda page, data: (choose_premium(page, data), agree(page, data)))
page("cancel", my_product_of("cancel", "annual"))
page("cancel with errors", None, fill(confirmation_phrase="cancel it"))
page("cancel a trial", my_product_of("cancel", "trial"))
page("invoices", "/billing/invoices/")
page("invoice", lambda data: f"/billing/invoices/{data.invoice.public_id}/")
page("final invoice with a credit note", lambda data: f"/billing/invoices/{data.final_invoice.public_id}/")
page("credit note", lambda data: f"/billing/credit-notes/{data.credit_note.public_id}/")
page("profile", "/accounts/profile/")
page("profile with errors", None, fill(first_name="A", last_name="1", email="not-an-email"))
page("password change", "/accounts/password/")
page("password change with errors", None, fill(old_password="wrong-password-1"))
page("not found, signed in", "/billing/invoices/00000000000000000000000000/")
page("my product, other platform (empty)", "/naver-works/my-product/", switch_platform_to_classic)

# NAVER WORKS Admin: login (and its errors), company info, the home with members, units and groups, the rename,
# a domain workspace's ownership verification.
signed_out("works login", "/works/login/")
signed_out(
    "works login with errors",
    None,
    fill(account_id="nobody-{context}@nowhere", password="wrong2026ok"),
)
works_admin("works home", "/works/")
works_admin("works home, member errors", None, fill(**{"member-login_id": "Bad Id!"}))
works_admin(
    "works home, unit errors",
    None,
    lambda page, data: submit(page, "form[action$='/units/add/']"),
)
works_admin(
    "works home, group errors",
    None,
    lambda page, data: submit(page, "form[action$='/groups/add/']"),
)
works_admin("works rename with errors", None, fill(**{"rename-new_name": "Bad--Name"}))
works_admin("works removal confirmation", "/works/", open_confirmation("form[action$='/remove/']"))
works_admin("works company", "/works/company/")
works_admin("works company with errors", None, fill(company_name=" ", company_phone="12"))
works_domain_admin("works domain home", "/works/")
works_member("works member home", "/works/")


# --- The data and the walk -------------------------------------------------------------------------------------


def _data() -> SimpleNamespace:
    """One customer with a subscription in every state (a trial, a suspended trial, a trial with a reserved
    conversion, monthly with a reserved cancellation, annual with a renewal option and an invoice, terminated),
    a NAVER WORKS workspace with members, units and groups, and a domain workspace not verified yet."""
    today = kst_date(timezone.now())
    customer = UserFactory(password=USER_PASSWORD, email="axe@example.com")
    workspace = WorkspaceFactory(name="axe-team", company_set_up_at=timezone.now())
    trial = TrialSubscriptionFactory(customer=customer, workspace=workspace, applied_on=today - timedelta(days=3))
    suspended = SuspendedSubscriptionFactory(customer=customer, applied_on=today - timedelta(days=35))
    reserved = TrialSubscriptionFactory(customer=customer, applied_on=today - timedelta(days=10))
    ConversionReservationFactory(subscription=reserved, effective_on=today + timedelta(days=5))
    monthly = ActiveSubscriptionFactory(
        customer=customer,
        contract_type=ContractType.MONTHLY,
        applied_on=today - timedelta(days=40),
        paid_start=today - timedelta(days=20),
    )
    ReservationFactory(subscription=monthly, effective_on=today + timedelta(days=8))
    paid_start = today - timedelta(days=70)
    annual = ActiveSubscriptionFactory(
        customer=customer,
        applied_on=paid_start - timedelta(days=10),
        paid_start=paid_start,
        renewal_option=RenewalOption.RENEW_ANNUAL,
        renewal_licences=8,
    )
    invoice = InvoiceFactory(subscription=annual, period_start=paid_start, period_end=paid_start + timedelta(29))
    final_invoice, credit_note = waived_final_invoice(customer=customer)
    TerminatedSubscriptionFactory(customer=customer, terminated_on=today - timedelta(days=2))
    domain = TrialSubscriptionFactory(
        customer=customer,
        workspace=DomainWorkspaceFactory(name="axe-example.com", company_set_up_at=timezone.now()),
        applied_on=today - timedelta(days=1),
    )
    sales = OrgUnitFactory(workspace=workspace, name="Sales")
    OrgUnitFactory(workspace=workspace, name="Seoul office", parent=sales)
    members = [MemberFactory(workspace=workspace, login_id=f"member{n}", name=f"Kim Jiwoo {n}") for n in range(2)]
    WorkGroupFactory(workspace=workspace, name="Planning", members=members)
    return SimpleNamespace(
        customer=customer,
        trial=trial,
        suspended=suspended,
        monthly=monthly,
        annual=annual,
        invoice=invoice,
        final_invoice=final_invoice,
        credit_note=credit_note,
        domain=domain,
        context="",
    )


def _sign_in(page: Page, session: str, data: SimpleNamespace) -> None:
    page.context.clear_cookies()
    if session == CUSTOMER:
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(data.customer.email)
        page.locator("#id_password").fill(USER_PASSWORD)
        submit(page)
    elif session != ANONYMOUS:
        page.goto("/works/login/")
        page.locator("#id_account_id").fill(session)
        page.locator("#id_password").fill(ADMIN_PASSWORD)
        submit(page)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now (axe is in every page: `_context`)."""
    return page.evaluate(_AXE_RUN, WCAG_TAGS)


_AXE_RUN = """async (tags) => {
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const results = await axe.run(document, options);
  const nodes = (violation) => violation.nodes.map((node) => [node.target.join(" "), node.failureSummary]);
  return results.violations.map((violation) => ({id: violation.id, nodes: nodes(violation)}));
}"""


# Besides axe: the page's language is the UI's (SPEC 14), and a skip link leads to its content.
_PAGE_FACTS = """() => [document.documentElement.lang,
  Boolean(document.querySelector("a.skip-link[href='#main']") && document.getElementById("main"))]"""


def _walk(page: Page, data: SimpleNamespace, *, language: str) -> list[str]:
    """Every row of PAGES in one language: each row is brought into its state at the narrowest width, then checked
    at every width of WIDTHS (the page resized where it is, as a phone turned or a window widened would be)."""
    found = []
    session = None
    for row in PAGES:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        if row.session != session:
            _sign_in(page, row.session, data)
            session = row.session
        try:
            if row.url is not None:
                page.goto(row.url(data) if callable(row.url) else row.url)
            if row.step:
                row.step(page, data)
            page.wait_for_load_state("load")
        except Exception as error:
            raise AssertionError(f"[{language}] {row.name}: the step failed at {page.url}") from error
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            found += _check(page, f"[{language} {width}px] {row.name}", language=language)
    return found


def _check(page: Page, where: str, *, language: str) -> list[str]:
    found = []
    lang, skip_link = page.evaluate(_PAGE_FACTS)
    if lang != language:
        found.append(f"{where} ({page.url}): <html lang={lang!r}>")
    if not skip_link:
        found.append(f"{where} ({page.url}): no skip link to #main")
    for violation in axe_violations(page):
        for target, summary in violation["nodes"]:
            found.append(f"{where} ({page.url}): {violation['id']} at {target}: {summary}")
    return found


def test_no_wcag_violation_on_any_page_language_or_width(browser, live_server):
    data = _data()
    found, page_errors = [], []
    for language, locale in LANGUAGES.items():
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport={"width": WIDTHS[0], "height": 900},
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        # Like the DevTools, an init script is not subject to the page's Content-Security-Policy.
        context.add_init_script(script=AXE_SOURCE)
        tab = context.new_page()
        # As the `page` fixture does: a report of the Content-Security-Policy or an uncaught error fails the test.
        tab.on("console", lambda message: _csp_report(page_errors, message.text))
        tab.on("pageerror", lambda error: page_errors.append(f"uncaught: {error}"))
        data.context = language
        try:
            found += _walk(tab, data, language=language)
        finally:
            context.close()
    assert page_errors == []
    assert found == [], "\n".join([f"{len(found)} violations:", *found])


def _csp_report(reports: list[str], text: str) -> None:
    if any(marker in text for marker in CSP_VIOLATION_TEXTS):
        reports.append(text)
