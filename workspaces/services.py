"""The only code that changes the NAVER WORKS side (SPEC 6 purge, 7): workspaces, members, organization, groups.

Every change to a live workspace takes its subscription's row lock first, then the workspace row (always in
that order, the order the lifecycle services use), so a member added while the customer converts to an annual
contract, or while a job purges the workspace, is decided on fresh rows.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber, to_python

from subscriptions.models import LifecycleEvent, Status, Subscription
from subscriptions.services.core import Actor, record_event

from . import dns as works_dns
from .models import AccountType, AdminLoginFailure, Member, OrgUnit, WorkGroup, Workspace
from .selectors import OPEN_STATUSES, member_access_error, member_limit, org_unit_rows
from .validators import (
    normalize_domain_name,
    validate_admin_id,
    validate_admin_password,
    validate_domain_name,
    validate_group_name,
)

logger = logging.getLogger(__name__)

# Who acts on the workspace side, as written on lifecycle events (never the account ID: it is personal data).
WORKSPACE_ADMIN: Actor = ("workspace_admin", None)
# SPEC 7.2: the group name cannot change again within this time of its last change.
RENAME_INTERVAL = timedelta(hours=24)
EXPORT_FORMAT = "works-console-export/1"

COMPANY_NAME_MAX_LENGTH = 100
COMPANY_ADDRESS_MAX_LENGTH = 200
MEMBER_NAME_MAX_LENGTH = 100
UNIT_NAME_MAX_LENGTH = 100
GROUP_TITLE_MAX_LENGTH = 100


# --- Creation (SPEC 5.1) ---------------------------------------------------------------------------------------


def _clean_company_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({"company_name": ValidationError(_("Enter the company name."), code="required")})
    if len(value) > COMPANY_NAME_MAX_LENGTH:
        raise ValidationError(
            {
                "company_name": ValidationError(
                    _("A company name can have at most %(max)d characters."),
                    code="max_length",
                    params={"max": COMPANY_NAME_MAX_LENGTH},
                )
            }
        )
    return value


def _clean_company_phone(value: PhoneNumber | str) -> PhoneNumber:
    phone = to_python(value, region=getattr(settings, "PHONENUMBER_DEFAULT_REGION", "KR"))
    if not isinstance(phone, PhoneNumber) or not phone.is_valid():
        raise ValidationError(
            {"company_phone": ValidationError(_("Enter a valid phone number."), code="invalid_phone")}
        )
    return phone


@transaction.atomic
def workspace_create(
    *,
    kind: str,
    name: str,
    admin_login_id: str,
    admin_password: str,
    company_name: str,
    company_phone: PhoneNumber | str,
    now: datetime,
) -> Workspace:
    """Create a workspace and its admin account, its first member (SPEC 5.1).

    Called by the trial application inside its own transaction. The rules are checked again here (the server
    enforces them whatever is posted). A domain name is stored in its IDNA ASCII form.

    The name's uniqueness is not pre-checked: the unique constraint on ``Workspace.name`` is the guard against
    two applications racing for one name, and its ``IntegrityError`` propagates to the caller, which turns it
    into a message at the name field. This function runs in a savepoint, so the caller's transaction is
    still usable after catching it.
    """
    if kind == AccountType.GROUP:
        validate_group_name(name)
    elif kind == AccountType.DOMAIN:
        name = normalize_domain_name(name)
        validate_domain_name(name)
    else:
        raise ValidationError(_("Choose a group name or a domain name."), code="invalid_kind")
    validate_admin_id(admin_login_id)
    validate_admin_password(admin_password)
    workspace = Workspace.objects.create(
        kind=kind,
        name=name,
        company_name=_clean_company_name(company_name),
        company_phone=_clean_company_phone(company_phone),
        created_at=now,
    )
    Member.objects.create(
        workspace=workspace,
        login_id=admin_login_id,
        name="",
        password=make_password(admin_password),
        is_admin=True,
        created_at=now,
    )
    return workspace


# --- Login (SPEC 7.1) -----------------------------------------------------------------------------------------


def _invalid_login() -> ValidationError:
    # One message for an unknown account and a wrong password: the login must not tell which IDs exist.
    return ValidationError(_("Enter a correct account ID and password."), code="invalid_login")


def _parse_account_id(account_id: str) -> tuple[str, str] | None:
    """`login_id@name` -> (login_id, ASCII name), or None when it cannot be an account ID at all.

    IDs and names are lowercase by rule (SPEC 5.1), so the account ID is matched case-insensitively, and a
    Unicode domain is accepted in the form the customer typed it.
    """
    login_id, at, name = (account_id or "").strip().rpartition("@")
    if not at or not login_id or not name:
        return None
    try:
        return login_id.lower(), normalize_domain_name(name)
    except ValidationError:
        return None


@transaction.atomic
def admin_login_failure_record(*, account_id: str, ip_address: str, now: datetime) -> None:
    """Count a failed admin login (SPEC 7.1) and forget the failures that have left the window."""
    AdminLoginFailure.objects.filter(failed_at__lt=now - settings.LOGIN_FAILURE_WINDOW).delete()
    AdminLoginFailure.objects.create(account_id=account_id, ip_address=ip_address, failed_at=now)


def admin_login_failures_clear(*, account_id: str, ip_address: str) -> None:
    """A successful login forgets its own account and address's failures (a typo before the right password);
    the per-account and per-address counts of other pairs stay."""
    AdminLoginFailure.objects.filter(account_id=account_id, ip_address=ip_address).delete()


@transaction.atomic
def admin_authenticate(*, account_id: str, password: str, now: datetime) -> Member:
    """The member `account_id` names, if `password` is theirs and the workspace may be used (SPEC 7.1, 7.2).

    Raises ValidationError with the code ``invalid_login`` (unknown ID or wrong password, one message),
    ``terminated``, ``suspended`` (the message gives the conversion deadline) or ``domain_unverified`` (a
    domain workspace not verified yet admits only its admin). The state is told only to someone who gave the
    right password. Updates ``last_login_at``.
    """
    parsed = _parse_account_id(account_id)
    member = None
    if parsed is not None:
        login_id, name = parsed
        member = (
            Member.objects.select_related("workspace", "workspace__subscription")
            .filter(workspace__name=name, login_id=login_id)
            .first()
        )
    if member is None:
        make_password(password)  # as long as a real check, so timing does not tell unknown IDs apart
        raise _invalid_login()

    def upgrade_hash(raw_password: str) -> None:
        Member.objects.filter(pk=member.pk).update(password=make_password(raw_password))

    if not check_password(password, member.password, setter=upgrade_hash):
        raise _invalid_login()
    error = member_access_error(member)
    if error is not None:
        raise error
    member.last_login_at = now
    Member.objects.filter(pk=member.pk).update(last_login_at=now)
    return member


# --- Locking ---------------------------------------------------------------------------------------------------


def _workspace_gone() -> ValidationError:
    return ValidationError(_("This workspace no longer exists."), code="workspace_gone")


def _lock_open_workspace(workspace: Workspace) -> tuple[Workspace, Subscription]:
    """Lock the subscription, then the workspace, and refuse a workspace that is not open (SPEC 7.1).

    The admin pages check the state at every request; this re-checks it under the lock, so a change posted
    just as the trial ends or the customer cancels is refused rather than written into a closed workspace.
    """
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan")
        .filter(workspace_id=workspace.pk)
        .first()
    )
    locked = Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
    if subscription is None or locked is None:
        raise _workspace_gone()
    if subscription.status not in OPEN_STATUSES:
        raise ValidationError(
            _("This workspace is %(state)s: its data can no longer be changed."),
            code="workspace_closed",
            params={"state": subscription.get_status_display().lower()},
        )
    return locked, subscription


# --- Company info (SPEC 7.2) ----------------------------------------------------------------------------------


@transaction.atomic
def workspace_update_company(
    *,
    workspace: Workspace,
    company_name: str,
    company_phone: PhoneNumber | str,
    company_address: str = "",
    now: datetime,
) -> Workspace:
    """Set up (first login, SPEC 5.1 step 5) or update the company info."""
    workspace, _subscription = _lock_open_workspace(workspace)
    company_address = (company_address or "").strip()
    if len(company_address) > COMPANY_ADDRESS_MAX_LENGTH:
        raise ValidationError(
            {
                "company_address": ValidationError(
                    _("An address can have at most %(max)d characters."),
                    code="max_length",
                    params={"max": COMPANY_ADDRESS_MAX_LENGTH},
                )
            }
        )
    workspace.company_name = _clean_company_name(company_name)
    workspace.company_phone = _clean_company_phone(company_phone)
    workspace.company_address = company_address
    if workspace.company_set_up_at is None:
        workspace.company_set_up_at = now
    workspace.save(update_fields=["company_name", "company_phone", "company_address", "company_set_up_at"])
    return workspace


# --- Members (SPEC 3, 7.2) ------------------------------------------------------------------------------------


def _member_limit_error(*, subscription: Subscription, limit: int) -> ValidationError:
    if subscription.status == Status.TRIAL:
        return ValidationError(
            _("A trial workspace can have at most %(limit)d members, the admin included."),
            code="trial_member_limit",
            params={"limit": limit},
        )
    return ValidationError(
        _(
            "This workspace has %(limit)d licences and as many members. "
            "Add licences on My Product before adding members."
        ),
        code="licence_limit",
        params={"limit": limit},
    )


def _unit_of(workspace: Workspace, org_unit: OrgUnit | None, *, field: str) -> OrgUnit | None:
    if org_unit is None:
        return None
    if org_unit.workspace_id != workspace.pk:
        raise ValidationError({field: ValidationError(_("Choose a unit of this workspace."), code="invalid_unit")})
    return org_unit


@transaction.atomic
def member_add(
    *,
    workspace: Workspace,
    login_id: str,
    name: str,
    password: str,
    org_unit: OrgUnit | None = None,
    now: datetime,
) -> Member:
    """Add a member with an initial password under the admin account rules (SPEC 5.1, 7.2).

    A trial caps members at TRIAL_MEMBER_LIMIT and an active annual contract at its licences (SPEC 3); the
    admin account counts. The count is taken under the subscription's row lock, so two admins adding at once,
    or a conversion choosing licences from the member count, cannot overshoot.
    """
    workspace, subscription = _lock_open_workspace(workspace)
    errors: dict[str, list[ValidationError]] = {}
    for field_name, validator, value in (
        ("login_id", validate_admin_id, login_id),
        ("password", validate_admin_password, password),
    ):
        try:
            validator(value)
        except ValidationError as error:
            errors[field_name] = error.error_list
    name = (name or "").strip()
    if not name:
        errors["name"] = [ValidationError(_("Enter the member's name."), code="required")]
    elif len(name) > MEMBER_NAME_MAX_LENGTH:
        errors["name"] = [
            ValidationError(
                _("A name can have at most %(max)d characters."),
                code="max_length",
                params={"max": MEMBER_NAME_MAX_LENGTH},
            )
        ]
    if errors:
        raise ValidationError(errors)
    org_unit = _unit_of(workspace, org_unit, field="org_unit")
    limit = member_limit(subscription=subscription)
    if limit is not None and workspace.members.count() >= limit:
        raise _member_limit_error(subscription=subscription, limit=limit)
    taken = ValidationError(
        {
            "login_id": ValidationError(
                _("The ID %(account_id)s is already in use."),
                code="id_taken",
                params={"account_id": f"{login_id}@{workspace.name}"},
            )
        }
    )
    if workspace.members.filter(login_id=login_id).exists():
        raise taken
    try:
        with transaction.atomic():
            return Member.objects.create(
                workspace=workspace,
                login_id=login_id,
                name=name,
                password=make_password(password),
                org_unit=org_unit,
                created_at=now,
            )
    except IntegrityError as error:  # the unique constraint, should a concurrent insert slip past the check
        raise taken from error


@transaction.atomic
def member_remove(*, member: Member, now: datetime) -> None:
    """Remove a member; the admin account is never removed (it is how the workspace is administered)."""
    _lock_open_workspace(member.workspace)
    if member.is_admin:
        raise ValidationError(_("The admin account cannot be removed."), code="admin_not_removable")
    deleted, _by_model = Member.objects.filter(pk=member.pk, is_admin=False).delete()
    if not deleted:
        raise ValidationError(_("This member has already been removed."), code="member_gone")
    logger.info("removed member %d of workspace %d", member.pk, member.workspace_id)


# --- Organization units (SPEC 7.2) ----------------------------------------------------------------------------


def _clean_title(value: str, *, field: str, maximum: int, required_message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: ValidationError(required_message, code="required")})
    if len(value) > maximum:
        raise ValidationError(
            {
                field: ValidationError(
                    _("A name can have at most %(max)d characters."), code="max_length", params={"max": maximum}
                )
            }
        )
    return value


@transaction.atomic
def org_unit_add(*, workspace: Workspace, name: str, parent: OrgUnit | None = None) -> OrgUnit:
    """Add a unit at the top level or under `parent`; sibling names are unique."""
    workspace, _subscription = _lock_open_workspace(workspace)
    name = _clean_title(name, field="name", maximum=UNIT_NAME_MAX_LENGTH, required_message=_("Enter a unit name."))
    parent = _unit_of(workspace, parent, field="parent")
    taken = ValidationError(
        {
            "name": ValidationError(
                _("There is already a unit named “%(name)s” here."), code="unit_taken", params={"name": name}
            )
        }
    )
    if workspace.org_units.filter(parent=parent, name=name).exists():
        raise taken
    try:
        with transaction.atomic():
            return OrgUnit.objects.create(workspace=workspace, name=name, parent=parent)
    except IntegrityError as error:
        raise taken from error


@transaction.atomic
def org_unit_remove(*, org_unit: OrgUnit) -> None:
    """Remove an empty-of-units unit; its members stay, without a unit. A unit with sub-units is refused,
    so that a click never deletes a whole branch."""
    _lock_open_workspace(org_unit.workspace)
    if OrgUnit.objects.filter(parent_id=org_unit.pk).exists():
        raise ValidationError(
            _("Remove the units under “%(name)s” first."), code="unit_has_children", params={"name": org_unit.name}
        )
    OrgUnit.objects.filter(pk=org_unit.pk).delete()


# --- Groups (SPEC 7.2) ----------------------------------------------------------------------------------------


@transaction.atomic
def work_group_add(*, workspace: Workspace, name: str) -> WorkGroup:
    workspace, _subscription = _lock_open_workspace(workspace)
    name = _clean_title(
        name, field="name", maximum=GROUP_TITLE_MAX_LENGTH, required_message=_("Enter a name for the group.")
    )
    taken = ValidationError(
        {
            "name": ValidationError(
                _("There is already a group named “%(name)s”."), code="group_taken", params={"name": name}
            )
        }
    )
    if workspace.work_groups.filter(name=name).exists():
        raise taken
    try:
        with transaction.atomic():
            return WorkGroup.objects.create(workspace=workspace, name=name)
    except IntegrityError as error:
        raise taken from error


@transaction.atomic
def work_group_remove(*, work_group: WorkGroup) -> None:
    """Remove a group; its members stay in the workspace."""
    _lock_open_workspace(work_group.workspace)
    WorkGroup.objects.filter(pk=work_group.pk).delete()


@transaction.atomic
def work_group_add_member(*, work_group: WorkGroup, member: Member) -> WorkGroup:
    _lock_open_workspace(work_group.workspace)
    if member.workspace_id != work_group.workspace_id:
        raise ValidationError(
            {"member": ValidationError(_("Choose a member of this workspace."), code="invalid_member")}
        )
    work_group.members.add(member)  # adding a present member is a no-op
    return work_group


@transaction.atomic
def work_group_remove_member(*, work_group: WorkGroup, member: Member) -> WorkGroup:
    _lock_open_workspace(work_group.workspace)
    work_group.members.remove(member)
    return work_group


# --- Group name change (SPEC 7.2) -----------------------------------------------------------------------------


def _kst_minute(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def workspace_rename(*, workspace: Workspace, new_name: str, now: datetime) -> Workspace:
    """Change the group name under the application rules (SPEC 5.1), unique, not again within 24 hours.

    Every account ID follows (`id@new-name`); the subscription's name and admin account ID are updated in the
    same transaction so My Product shows the new ones, and the change is logged on the subscription. A domain
    workspace's name is its domain: it cannot be renamed.
    """
    workspace, subscription = _lock_open_workspace(workspace)
    if workspace.kind != AccountType.GROUP:
        raise ValidationError(_("A domain workspace cannot change its name."), code="domain_not_renamable")
    if workspace.name_changed_at is not None and now < workspace.name_changed_at + RENAME_INTERVAL:
        raise ValidationError(
            {
                "new_name": ValidationError(
                    _("The group name was changed at %(changed)s (KST). It can be changed again from %(next)s (KST)."),
                    code="renamed_recently",
                    params={
                        "changed": _kst_minute(workspace.name_changed_at),
                        "next": _kst_minute(workspace.name_changed_at + RENAME_INTERVAL),
                    },
                )
            }
        )
    try:
        validate_group_name(new_name)
    except ValidationError as error:
        raise ValidationError({"new_name": error.error_list}) from error
    if new_name == workspace.name:
        raise ValidationError({"new_name": ValidationError(_("This is already the group name."), code="same_name")})
    taken = ValidationError(
        {
            "new_name": ValidationError(
                _("The name “%(name)s” is already in use."), code="name_taken", params={"name": new_name}
            )
        }
    )
    if Workspace.objects.filter(name=new_name).exists():
        raise taken
    old_name = workspace.name
    workspace.name = new_name
    workspace.name_changed_at = now
    try:
        with transaction.atomic():
            workspace.save(update_fields=["name", "name_changed_at"])
    except IntegrityError as error:  # another workspace took the name between the check and the write
        raise taken from error
    admin_login_id = workspace.members.filter(is_admin=True).values_list("login_id", flat=True).first()
    subscription.name = new_name
    subscription.admin_account_id = f"{admin_login_id}@{new_name}" if admin_login_id else ""
    subscription.save(update_fields=["name", "admin_account_id"])
    record_event(
        subscription,
        "workspace_renamed",
        by=WORKSPACE_ADMIN,
        at=now,
        details={"from_name": old_name, "to_name": new_name},
    )
    return workspace


# --- Domain verification (SPEC 7.2) ---------------------------------------------------------------------------


def workspace_verify_domain(
    *, workspace: Workspace, now: datetime, resolver: works_dns.Resolver | None = None
) -> Workspace:
    """Look up the domain's TXT records and mark the domain verified when one equals the workspace's token.

    The lookup runs before the transaction (it may take seconds; no row lock is held while waiting on DNS).
    `resolver` is any object with dnspython's ``resolve(qname, rdtype)``; by default the resolvers of the
    setting WORKS_DNS_RESOLVERS (or the system's). Verifying a verified domain changes nothing.
    """
    if workspace.kind != AccountType.DOMAIN:
        raise ValidationError(_("Only a domain workspace has a domain to verify."), code="not_a_domain")
    if workspace.domain_verified_at is not None:
        return workspace
    values = works_dns.txt_values(workspace.name, resolver=resolver)
    if workspace.verification_token not in (value.strip() for value in values):
        raise ValidationError(
            _(
                "No TXT record of %(domain)s has the verification value yet. DNS changes can take a while to "
                "spread: check the record and try again later."
            ),
            code="token_not_found",
            params={"domain": workspace.name},
        )
    return _workspace_mark_verified(workspace=workspace, now=now)


@transaction.atomic
def _workspace_mark_verified(*, workspace: Workspace, now: datetime) -> Workspace:
    workspace, _subscription = _lock_open_workspace(workspace)
    if workspace.domain_verified_at is None:
        workspace.domain_verified_at = now
        workspace.save(update_fields=["domain_verified_at"])
    return workspace


# --- Purge (SPEC 6) -------------------------------------------------------------------------------------------

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


def _delete_admin_log_entries(*, workspace_ids: list[int]) -> None:
    """Django admin's history names objects by their `str()`, e.g. a member's account ID: it goes too."""
    if not workspace_ids:
        return
    types = ContentType.objects.get_for_models(Workspace, Member, OrgUnit, WorkGroup)
    ids_of = {
        Workspace: [str(pk) for pk in workspace_ids],
        Member: [str(pk) for pk in Member.objects.filter(workspace_id__in=workspace_ids).values_list("pk", flat=True)],
        OrgUnit: [
            str(pk) for pk in OrgUnit.objects.filter(workspace_id__in=workspace_ids).values_list("pk", flat=True)
        ],
        WorkGroup: [
            str(pk) for pk in WorkGroup.objects.filter(workspace_id__in=workspace_ids).values_list("pk", flat=True)
        ],
    }
    condition = Q(pk__in=[])
    for model, ids in ids_of.items():
        if ids:
            condition |= Q(content_type=types[model], object_id__in=ids)
    LogEntry.objects.filter(condition).delete()


def _delete_workspace_rows(*, workspace_ids: list[int]) -> None:
    """Delete the workspaces and everything in them with one DELETE per table.

    Django's cascade collector would read every member, unit and group back (in batches of 100) before deleting
    it, so the purge's queries would grow with the chunk. The order follows the foreign keys; nothing listens to
    delete signals for these models. `_raw_delete` is Django's own bulk path for exactly this.
    """
    for queryset in (
        WorkGroup.members.through.objects.filter(workgroup__workspace_id__in=workspace_ids),
        WorkGroup.objects.filter(workspace_id__in=workspace_ids),
        Member.objects.filter(workspace_id__in=workspace_ids),
        OrgUnit.objects.filter(workspace_id__in=workspace_ids),
        Workspace.objects.filter(pk__in=workspace_ids),
    ):
        queryset._raw_delete(queryset.db)


@transaction.atomic
def workspace_purge_many(*, subscriptions: Iterable[Subscription], now: datetime, by: Actor) -> int:
    """Purge the workspaces of terminated subscriptions the caller has locked (SPEC 6 Purge), in a fixed
    number of queries per call whatever the number of subscriptions (the lifecycle jobs pass a chunk).

    Deletes the workspace row and, by cascade, its members (admin account included), group memberships, units
    and groups, and Django admin's history of them. Keeps the subscription (name, plan, dates, state), its
    reservations, rate segments and invoices for billing and the audit, scrubbed of personal data: the admin
    account ID is blanked, lifecycle event details lose account IDs, names, e-mails, phone numbers and company
    info, and events no longer point at the person who acted. Writes one `purged` event each. The freed name
    can be applied for again at once. Already purged subscriptions are skipped; returns how many were purged.
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
    Subscription.objects.filter(pk__in=subscription_ids).update(admin_account_id="", purged_at=now, workspace=None)
    _delete_admin_log_entries(workspace_ids=list(workspaces))
    _delete_workspace_rows(workspace_ids=list(workspaces))

    events = list(
        LifecycleEvent.objects.filter(subscription_id__in=subscription_ids).only("pk", "subscription_id", "details")
    )
    scrubbed = []
    for event in events:
        details = scrub_details(event.details, personal_by_subscription[event.subscription_id])
        if details != event.details:
            event.details = details
            scrubbed.append(event)
    if scrubbed:
        LifecycleEvent.objects.bulk_update(scrubbed, ["details"], batch_size=500)
    LifecycleEvent.objects.filter(subscription_id__in=subscription_ids, actor_user__isnull=False).update(
        actor_user=None
    )

    # The same fields record_event writes, in one INSERT for the whole chunk. The event names the kind of actor
    # only: no event of a purged subscription points at a person.
    actor, _user = by
    LifecycleEvent.objects.bulk_create(
        LifecycleEvent(
            subscription=subscription,
            kind="purged",
            from_status=subscription.status,
            to_status=subscription.status,
            actor=actor,
            actor_user=None,
            at=now,
            details={"members_deleted": len(members_by_workspace.get(subscription.workspace_id, []))},
        )
        for subscription in pending
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


# --- Export (SPEC 7.3) ----------------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def workspace_export_data(*, workspace: Workspace, now: datetime | None = None) -> dict:
    """All the data of a workspace as JSON-serializable data, complete enough to restore it by hand (SPEC 7.3).

    Never a password hash. Units are a tree; a member's unit is the path of unit names from the top (sibling
    names are unique, so a path names one unit); groups list their members' IDs. Read-only, a fixed number
    of queries.
    """
    subscription = Subscription.objects.select_related("plan").filter(workspace_id=workspace.pk).first()
    rows = org_unit_rows(list(OrgUnit.objects.filter(workspace_id=workspace.pk)))
    path_of = {row.unit.pk: list(row.path) for row in rows}
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.unit.parent_id, []).append(row.unit)

    def tree(parent_id: int | None) -> list[dict]:
        return [{"name": unit.name, "children": tree(unit.pk)} for unit in children.get(parent_id, [])]

    members = list(
        Member.objects.filter(workspace_id=workspace.pk)
        .order_by("-is_admin", "login_id")
        .prefetch_related("work_groups")
    )
    groups = list(WorkGroup.objects.filter(workspace_id=workspace.pk).order_by("name").prefetch_related("members"))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(now),
        "workspace": {
            "kind": workspace.kind,
            "name": workspace.name,
            "company_name": workspace.company_name,
            "company_phone": workspace.company_phone.as_e164 if workspace.company_phone else "",
            "company_address": workspace.company_address,
            "company_set_up_at": _iso(workspace.company_set_up_at),
            "name_changed_at": _iso(workspace.name_changed_at),
            "domain_verification": (
                {"txt_value": workspace.verification_token, "verified_at": _iso(workspace.domain_verified_at)}
                if workspace.kind == AccountType.DOMAIN
                else None
            ),
            "created_at": _iso(workspace.created_at),
        },
        "subscription": (
            {
                "id": subscription.public_id,
                "plan": subscription.plan.code,
                "plan_name": subscription.plan.name,
                "state": subscription.status,
                "region": subscription.region,
                "platform": subscription.platform,
                "applied_on": _iso(subscription.applied_on),
                "trial_last_day": _iso(subscription.trial_last_day),
                "grace_last_day": _iso(subscription.grace_last_day),
                "paid_start": _iso(subscription.paid_start),
                "contract_type": subscription.contract_type or None,
                "licences": subscription.licences,
                "term_start": _iso(subscription.term_start),
                "term_end": _iso(subscription.term_end),
                "renewal_option": subscription.effective_renewal_option if subscription.paid_start else None,
            }
            if subscription is not None
            else None
        ),
        "members": [
            {
                "login_id": member.login_id,
                "account_id": f"{member.login_id}@{workspace.name}",
                "name": member.name,
                "is_admin": member.is_admin,
                "org_unit": path_of.get(member.org_unit_id),
                "groups": sorted(group.name for group in member.work_groups.all()),
                "created_at": _iso(member.created_at),
                "last_login_at": _iso(member.last_login_at),
            }
            for member in members
        ],
        "org_units": tree(None),
        "groups": [
            {"name": group.name, "members": sorted(member.login_id for member in group.members.all())}
            for group in groups
        ],
    }
