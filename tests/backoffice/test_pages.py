"""The back office's pages (issue 19): no form with a CSRF token sent by GET, the penalty preview by POST, names in
Unicode and found in Unicode, names as written in messages, a superseded reservation, event details as labelled
rows, the state of the last runs, no `View on site` dead end."""

from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from backoffice.names import ascii_search_term
from subscriptions.models import JobRun, LifecycleEvent, Reservation, Status
from subscriptions.services.core import customer_actor, record_event
from tests.billing.factories import ActiveSubscriptionFactory, kst, subscription_snapshot
from tests.lifecycle import run_lifecycle
from tests.subscriptions.factories import InvoiceFactory, ReservationFactory, TrialSubscriptionFactory
from tests.workspaces.factories import DomainWorkspaceFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

UNICODE_DOMAIN = "テスト13550.jp"
ASCII_DOMAIN = "xn--13550-kq4djdra.jp"


class Forms(HTMLParser):
    """The forms of a page (method, whether they carry a CSRF token, their GET submit buttons) and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._open = {"method": (attributes.get("method") or "get").lower(), "csrf": False, "get_buttons": []}
            self.forms.append(self._open)
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif self._open is not None and tag in {"input", "button"}:
            if attributes.get("name") == "csrfmiddlewaretoken":
                self._open["csrf"] = True
            if (attributes.get("formmethod") or "").lower() == "get":
                self._open["get_buttons"].append(attributes.get("value") or attributes.get("name") or tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def crawl(client, starts: list[str], *, limit: int = 300) -> dict[str, Forms]:
    """Every admin page reachable from ``starts`` by links (GET), up to ``limit`` pages."""
    seen: dict[str, Forms] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            seen[url] = Forms()
            continue
        page = Forms()
        page.feed(response.content.decode())
        seen[url] = page
        for href in page.links:
            target = urlsplit(urljoin(url, href))
            path = target.path + (f"?{target.query}" if target.query else "")
            followed = target.path.startswith("/admin/") and not {"logout", "delete"} & set(target.path.split("/"))
            if followed and path not in seen and path not in queue and len(queue) < limit:
                queue.append(path)
    return seen


def test_no_form_carrying_a_csrf_token_is_sent_by_get_anywhere_in_the_admin(admin_client):
    active = ActiveSubscriptionFactory(workspace=DomainWorkspaceFactory(name=ASCII_DOMAIN), name=ASCII_DOMAIN)
    ReservationFactory(subscription=active, effective_on=active.term_end)
    InvoiceFactory(subscription=active, customer=active.customer)
    TrialSubscriptionFactory(customer=active.customer)
    JobRun.objects.create(
        job="subscriptions.tasks.expire_trials",
        as_of=timezone.now(),
        started_at=timezone.now(),
        state=JobRun.State.FINISHED,
        error_details=[{"step": "expire_trial", "id": active.pk, "error": "boom"}],
        errors=1,
    )
    starts = ["/admin/", reverse("admin:subscriptions_subscription_change", args=[active.pk])]
    starts += [
        reverse("admin:subscriptions_subscription_operator_action", args=[active.pk, slug])
        for slug in ("cancel", "withdraw-reservation", "resend-reminder")
    ]

    pages = crawl(admin_client, starts)
    offenders = [
        (url, form)
        for url, page in pages.items()
        for form in page.forms
        if form["csrf"] and (form["method"] != "post" or form["get_buttons"])
    ]

    assert len(pages) > 50  # the crawl did reach the admin's pages
    assert sum(form["csrf"] for page in pages.values() for form in page.forms) > 10
    assert offenders == []


@time_machine.travel(kst(2027, 3, 1), tick=False)
def test_show_penalty_posts_the_form_back_and_changes_nothing(admin_client, admin_user):
    admin_client.force_login(admin_user)
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))
    before = subscription_snapshot(active)
    url = reverse("admin:subscriptions_subscription_operator_action", args=[active.pk, "cancel"])

    page = admin_client.get(url)
    shown = admin_client.post(url, {"cancellation_date": "2027-03-02", "reason": "Phoned", "show_penalty": "1"})

    html = page.content.decode()
    assert 'data-penalty-method="post"' in html and "formmethod" not in html
    assert shown.status_code == 200
    shown_html = shown.content.decode()
    assert "2027-03-02" in shown_html and 'data-penalty-amount="' in shown_html and "Phoned</textarea>" in shown_html
    assert subscription_snapshot(active) == before
    assert not Reservation.objects.filter(subscription=active).exists()


@time_machine.travel(kst(2027, 3, 1), tick=False)
def test_the_penalty_preview_answers_a_post_only(admin_client, admin_user):
    admin_client.force_login(admin_user)
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))
    url = reverse("admin:subscriptions_subscription_cancel_penalty", args=[active.pk])

    posted = admin_client.post(url, {"cancellation_date": "2027-03-01", "reason": "x"})
    got = admin_client.get(url, {"cancellation_date": "2027-03-01"})

    assert posted.status_code == 200 and 'data-penalty-amount="50000"' in posted.content.decode()
    assert got.status_code == 405


def test_subscriptions_are_found_and_shown_in_unicode_with_the_ascii_form_beside(admin_client):
    wanted = TrialSubscriptionFactory(workspace=DomainWorkspaceFactory(name=ASCII_DOMAIN))
    TrialSubscriptionFactory()

    listing = admin_client.get(reverse("admin:subscriptions_subscription_changelist"), {"q": "テスト13550"})
    by_ascii = admin_client.get(reverse("admin:subscriptions_subscription_changelist"), {"q": ASCII_DOMAIN})
    by_account = admin_client.get(
        reverse("admin:subscriptions_subscription_changelist"), {"q": f"admin@{UNICODE_DOMAIN}"}
    )
    customers = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": UNICODE_DOMAIN})
    workspaces = admin_client.get(reverse("admin:workspaces_workspace_changelist"), {"q": "テスト13550"})
    page = admin_client.get(reverse("admin:subscriptions_subscription_change", args=[wanted.pk])).content.decode()

    assert list(listing.context["cl"].result_list) == [wanted]
    assert list(by_ascii.context["cl"].result_list) == [wanted]
    assert list(by_account.context["cl"].result_list) == [wanted]
    assert list(customers.context["cl"].result_list) == [wanted.customer]
    assert list(workspaces.context["cl"].result_list) == [wanted.workspace]
    assert f'{UNICODE_DOMAIN} <span class="ascii-name">({ASCII_DOMAIN})</span>' in listing.content.decode()
    assert f"<title>{UNICODE_DOMAIN} (Trial)" in page


def test_the_subscription_page_has_no_view_on_site_dead_end(admin_client):
    trial = TrialSubscriptionFactory()

    html = admin_client.get(reverse("admin:subscriptions_subscription_change", args=[trial.pk])).content.decode()

    assert "View on site" not in html and "/naver-works/my-product/" not in html
    assert reverse("admin:accounts_user_change", args=[trial.customer.pk]) in html  # the customer's page here


@time_machine.travel(kst(2026, 12, 20), tick=False)
def test_messages_give_names_as_written(admin_client, admin_user):
    admin_client.force_login(admin_user)
    trial = TrialSubscriptionFactory(workspace=WorkspaceFactory(name="walkco23683"))
    url = reverse("admin:subscriptions_subscription_operator_action", args=[trial.pk, "extend-trial"])

    response = admin_client.post(url, {"days": "3", "reason": "Demo"}, follow=True)

    html = response.content.decode()
    assert "The trial of walkco23683 now ends on" in html
    assert "Walkco23683" not in html


@time_machine.travel(kst(2027, 3, 1), tick=False)
def test_cancel_on_behalf_today_supersedes_the_reserved_cancellation(admin_client, admin_user):
    admin_client.force_login(admin_user)
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))
    reserved = ReservationFactory(subscription=active, effective_on=date(2027, 4, 1))
    url = reverse("admin:subscriptions_subscription_operator_action", args=[active.pk, "cancel"])

    response = admin_client.post(url, {"cancellation_date": "2027-03-01", "reason": "Customer phoned"}, follow=True)

    reserved.refresh_from_db()
    active.refresh_from_db()
    assert active.status == Status.TERMINATED
    assert (reserved.state, reserved.resolved_at is not None) == (Reservation.State.SUPERSEDED, True)
    assert (
        "Superseded"
        in admin_client.get(reverse("admin:subscriptions_subscription_change", args=[active.pk])).content.decode()
    )
    assert response.status_code == 200


@time_machine.travel(kst(2027, 3, 1), tick=False)
def test_on_a_reserved_cancellations_date_the_job_carries_it_out_and_it_is_done(admin_client, admin_user):
    # by the calendar the service has stopped on the reserved date (issue 22): the operator cannot cancel it again,
    # the reservation stays for the job, which carries it out: done, not superseded
    admin_client.force_login(admin_user)
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))
    reserved = ReservationFactory(subscription=active, effective_on=date(2027, 3, 1))
    url = reverse("admin:subscriptions_subscription_operator_action", args=[active.pk, "cancel"])
    before = subscription_snapshot(active)

    admin_client.post(url, {"cancellation_date": "2027-03-01", "reason": "Customer phoned"})
    reserved.refresh_from_db()
    assert (reserved.state, subscription_snapshot(active)) == (Reservation.State.PENDING, before)

    run_lifecycle(timezone.now())
    reserved.refresh_from_db()
    assert reserved.state == Reservation.State.DONE


def test_event_details_are_labelled_rows(admin_client):
    trial = TrialSubscriptionFactory()
    record_event(
        trial,
        "trial_extended",
        by=customer_actor(trial.customer),
        at=timezone.now(),
        details={"days": 7, "reason": "Pilot slipped", "trial_last_day": "2027-01-06"},
    )

    html = admin_client.get(reverse("admin:subscriptions_subscription_change", args=[trial.pk])).content.decode()
    event = LifecycleEvent.objects.filter(subscription=trial, kind="trial_extended").get()
    log = admin_client.get(reverse("admin:subscriptions_lifecycleevent_change", args=[event.pk])).content.decode()

    for page in (html, log):
        assert '<tr><th scope="row">Reason</th><td>Pilot slipped</td></tr>' in page
        assert '<tr><th scope="row">Days</th><td>7</td></tr>' in page
        assert '<tr><th scope="row">Last trial day</th><td>2027-01-06</td></tr>' in page
        assert '{"days"' not in page and "&quot;days&quot;" not in page


def test_the_last_runs_show_their_state(admin_client):
    now = timezone.now()
    for job, state in [
        ("subscriptions.tasks.expire_trials", JobRun.State.ABANDONED),
        ("subscriptions.tasks.send_reminders", JobRun.State.FINISHED),
    ]:
        JobRun.objects.create(job=job, as_of=now, state=state, started_at=now - timedelta(minutes=5))

    html = admin_client.get(reverse("admin:index")).content.decode()

    assert ">State</th>" in html
    assert '<td data-run-state="abandoned"><span class="run-state run-state-abandoned">Abandoned</span></td>' in html
    assert '<td data-run-state="finished"><span class="run-state run-state-finished">Finished</span></td>' in html


@pytest.mark.parametrize(
    ("term", "searched"),
    [
        ("テスト13550", "xn--13550-kq4djdra"),
        ("テスト13550.jp", "xn--13550-kq4djdra.jp"),
        ("admin@テスト13550.jp", "admin@xn--13550-kq4djdra.jp"),
        ("  テスト13550   acme ", "xn--13550-kq4djdra acme"),
        ("acme team-1", None),
        ("xn--13550-kq4djdra", None),
    ],
)
def test_a_search_term_in_unicode_is_also_searched_in_its_ascii_form(term, searched):
    assert ascii_search_term(term) == searched
