"""The purge (SPEC 6): a terminated subscription's workspace is deleted and its history scrubbed.

The NAVER WORKS side deletes its rows (``workspaces.services.workspace_delete_many``); this module, the
lifecycle's side, blanks the subscription's personal fields, scrubs the lifecycle events and writes ``purged``.
Set-based: a fixed number of queries whatever the number of subscriptions (the jobs pass a chunk, a view one).
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber

from works_console.db import update_rows
from workspaces.models import Member, Workspace
from workspaces.services import workspace_delete_many

from ..models import LifecycleEvent, Status, Subscription, next_version
from .core import Actor, record_events

logger = logging.getLogger(__name__)

# Detail keys that carry personal data (matched as parts of the lowercased key), and the ones ending in "name"
# that are kept because they name a product, not a person or an organization.
PERSONAL_KEY_PARTS = ("account_id", "login_id", "admin_id", "email", "phone", "company", "address", "password")
KEPT_NAME_KEYS = frozenset({"plan_name"})
MIN_SUBSTRING_LENGTH = 3


def _is_personal_key(key: str) -> bool:
    key = key.lower()
    if key in KEPT_NAME_KEYS:
        return False
    return key.endswith("name") or any(part in key for part in PERSONAL_KEY_PARTS)


def _mentions(value: str, personal: frozenset[str]) -> bool:
    folded = value.casefold()
    return any(needle in folded if len(needle) >= MIN_SUBSTRING_LENGTH else folded == needle for needle in personal)


def scrub_details(details: Any, personal: frozenset[str]) -> Any:
    """`details` without personal data: keys that name personal data and any string that mentions one of the
    `personal` strings (casefolded) are dropped; amounts, dates, plan codes and states stay."""
    if isinstance(details, dict):
        return {
            key: scrub_details(value, personal)
            for key, value in details.items()
            if not _is_personal_key(str(key))
            and not _mentions(str(key), personal)
            and not (isinstance(value, str) and _mentions(value, personal))
        }
    if isinstance(details, list):
        return [
            scrub_details(item, personal)
            for item in details
            if not (isinstance(item, str) and _mentions(item, personal))
        ]
    return details


def _phone_forms(phone: PhoneNumber | None) -> list[str]:
    if not phone:
        return []
    forms = [str(phone)]
    if isinstance(phone, PhoneNumber) and phone.is_valid():
        forms += [phone.as_e164, phone.as_national, phone.as_international, str(phone.national_number)]
    return forms


def _personal_strings(
    *,
    subscription: Subscription,
    workspace: Workspace | None,
    members: list[tuple[str, str]],
    customer_strings: list[str],
) -> frozenset[str]:
    strings = [subscription.admin_account_id, *customer_strings]
    if workspace is not None:
        strings += [workspace.company_name, workspace.company_address, *_phone_forms(workspace.company_phone)]
        for login_id, name in members:
            strings += [f"{login_id}@{workspace.name}", name]
    return frozenset(value.strip().casefold() for value in strings if value and value.strip())


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def workspace_purge_many(
    *,
    subscriptions: Iterable[Subscription],
    now: datetime,
    by: Actor,
    writes: dict[int, dict[str, Any]] | None = None,
) -> int:
    """Purge the workspaces of terminated subscriptions the caller has locked (SPEC 6 Purge), in a fixed
    number of queries per call whatever the number of subscriptions (the lifecycle jobs pass a chunk).

    Deletes the workspace and everything in it (``workspaces.services.workspace_delete_many``). Keeps the
    subscription (name, plan, dates, state), its reservations, rate segments and invoices for billing and the
    audit, scrubbed of personal data: the admin account ID is blanked, lifecycle event details lose account
    IDs, names, e-mails, phone numbers and company info, and events no longer point at the person who acted.
    Writes one `purged` event each. The freed name can be applied for again at once. Already purged
    subscriptions are skipped; returns how many were purged.
    """
    pending = [subscription for subscription in subscriptions if subscription.purged_at is None]
    if not pending:
        return 0
    live = [subscription.public_id for subscription in pending if subscription.status != Status.TERMINATED]
    if live:
        raise ValidationError(
            _("Only a terminated subscription can be purged (%(ids)s)."),
            code="not_terminated",
            params={"ids": ", ".join(live)},
        )
    workspace_ids = [subscription.workspace_id for subscription in pending if subscription.workspace_id]
    # Lock the workspace rows: a member being added right now either commits first (and is purged with the
    # rest) or finds the workspace gone.
    workspaces = {
        workspace.pk: workspace for workspace in Workspace.objects.select_for_update().filter(pk__in=workspace_ids)
    }
    members_by_workspace: dict[int, list[tuple[str, str]]] = {}
    for workspace_id, login_id, name in Member.objects.filter(workspace_id__in=workspace_ids).values_list(
        "workspace_id", "login_id", "name"
    ):
        members_by_workspace.setdefault(workspace_id, []).append((login_id, name))
    customer_model = Subscription._meta.get_field("customer").related_model
    customers = {
        row["pk"]: row
        for row in customer_model.objects.filter(pk__in={s.customer_id for s in pending}).values(
            "pk", "email", "first_name", "last_name"
        )
    }
    personal_by_subscription = {}
    for subscription in pending:
        customer = customers.get(subscription.customer_id, {})
        personal_by_subscription[subscription.pk] = _personal_strings(
            subscription=subscription,
            workspace=workspaces.get(subscription.workspace_id),
            members=members_by_workspace.get(subscription.workspace_id, []),
            customer_strings=[
                customer.get("email", ""),
                f"{customer.get('first_name', '')} {customer.get('last_name', '')}",
                f"{customer.get('last_name', '')} {customer.get('first_name', '')}",
                f"{customer.get('last_name', '')}{customer.get('first_name', '')}",
            ],
        )

    subscription_ids = [subscription.pk for subscription in pending]
    scrubbed_fields = {"admin_account_id": "", "purged_at": now, "workspace": None}
    if writes is None:
        Subscription.objects.filter(pk__in=subscription_ids).update(**scrubbed_fields, version=next_version())
    else:  # the caller's one UPDATE of these rows (the foreign key to the workspace is checked at commit)
        for pk in subscription_ids:
            writes.setdefault(pk, {}).update(scrubbed_fields)
    workspace_delete_many(workspace_ids=list(workspaces))

    # Each event's scrubbed details and its link to a person cut, in one UPDATE of the events that change.
    events = LifecycleEvent.objects.filter(subscription_id__in=subscription_ids).values_list(
        "pk", "subscription_id", "details", "actor_user_id"
    )
    scrubbed: dict[int, dict[str, Any]] = {}
    for pk, subscription_id, details, actor_user_id in events:
        clean = scrub_details(details, personal_by_subscription[subscription_id])
        changes = {"details": clean} if clean != details else {}
        if actor_user_id is not None:
            changes["actor_user"] = None
        if changes:
            scrubbed[pk] = changes
    update_rows(LifecycleEvent, scrubbed)

    # The event names the kind of actor only: no event of a purged subscription points at a person.
    actor, _user = by
    record_events(
        pending,
        "purged",
        by=(actor, None),
        at=now,
        details={
            subscription.pk: {"members_deleted": len(members_by_workspace.get(subscription.workspace_id, []))}
            for subscription in pending
        },
    )
    for subscription in pending:  # the caller's instances match the rows, should it save them later
        subscription.admin_account_id = ""
        subscription.purged_at = now
        subscription.workspace = None
    logger.info("purged %d workspaces", len(pending))
    return len(pending)


def workspace_purge(*, subscription: Subscription, now: datetime, by: Actor) -> None:
    """Purge one terminated subscription's workspace (SPEC 6); the caller holds the subscription's row lock.

    Idempotent: an already purged subscription is left as it is. See `workspace_purge_many`.
    """
    workspace_purge_many(subscriptions=[subscription], now=now, by=by)
