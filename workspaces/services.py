"""The only code that changes the NAVER WORKS side (SPEC 6 purge, 7): workspaces, members, organization, groups.

Every change to a live workspace takes its subscription's row lock first, then the workspace row (always in
that order, the order the lifecycle services use), so a member added while the customer converts to an annual
contract, or while a job purges the workspace, is decided on fresh rows.
"""

import logging
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber, to_python

from subscriptions.models import Subscription

from . import dns as works_dns
from .models import AccountType, AdminLoginFailure, Member, OrgUnit, WorkGroup, Workspace
from .selectors import OPEN_STATUSES, member_access_error
from .validators import (
    clean_workspace_name,
    normalize_account_id,
    too_long,
    validate_admin_id,
    validate_admin_password,
)

logger = logging.getLogger(__name__)

# SPEC 7.2: the group name cannot change again within this time of its last change.
RENAME_INTERVAL = timedelta(hours=24)

COMPANY_NAME_MAX_LENGTH = 100
COMPANY_ADDRESS_MAX_LENGTH = 200


# --- Creation (SPEC 5.1) ---------------------------------------------------------------------------------------


def _clean_company_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({"company_name": ValidationError(_("Enter the company name."), code="required")})
    if len(value) > COMPANY_NAME_MAX_LENGTH:
        raise ValidationError(
            {
                "company_name": too_long(
                    _("A company name can have at most %(max)d characters."), COMPANY_NAME_MAX_LENGTH
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
    name = clean_workspace_name(kind, name)
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

    The account ID is read in its normalized form (`normalize_account_id`), the one the failed-login limits count
    by: IDs and names are lowercase by rule (SPEC 5.1), and a Unicode domain is accepted as the customer typed it.
    """
    login_id, at, name = normalize_account_id(account_id).rpartition("@")
    if not at or not login_id or not name:
        return None
    return login_id, name


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
            Member.objects.live()
            .select_related("workspace", "workspace__subscription")
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


def save_workspace(workspace: Workspace, *fields: str) -> None:
    """Write ``fields`` as the object holds them, the workspace's ``version`` moved on in the same UPDATE: the
    subscription's card on My Product shows the workspace and is cached under it (issue 17)."""
    Workspace.objects.filter(pk=workspace.pk).update(
        **{name: getattr(workspace, name) for name in fields}, version=F("version") + 1
    )


def _workspace_gone() -> ValidationError:
    return ValidationError(_("This workspace no longer exists."), code="workspace_gone")


def lock_open_workspace(workspace: Workspace) -> tuple[Workspace, Subscription]:
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
    workspace, _subscription = lock_open_workspace(workspace)
    company_address = (company_address or "").strip()
    if len(company_address) > COMPANY_ADDRESS_MAX_LENGTH:
        message = _("An address can have at most %(max)d characters.")
        raise ValidationError({"company_address": too_long(message, COMPANY_ADDRESS_MAX_LENGTH)})
    workspace.company_name = _clean_company_name(company_name)
    workspace.company_phone = _clean_company_phone(company_phone)
    workspace.company_address = company_address
    if workspace.company_set_up_at is None:
        workspace.company_set_up_at = now
    save_workspace(workspace, "company_name", "company_phone", "company_address", "company_set_up_at")
    return workspace


# --- Group name change (SPEC 7.2) -----------------------------------------------------------------------------


def _kst_minute(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


class Renamed(NamedTuple):
    """What a group name change did, for the lifecycle side to follow (its subscription, locked, and its event)."""

    workspace: Workspace
    subscription: Subscription
    old_name: str
    admin_login_id: str | None


def _name_taken(new_name: str) -> ValidationError:
    return ValidationError(
        {
            "new_name": ValidationError(
                _("The name “%(name)s” is already in use."), code="name_taken", params={"name": new_name}
            )
        }
    )


def workspace_rename_check(*, workspace: Workspace, new_name: str, now: datetime) -> None:
    """Every rule of a group name change (SPEC 7.2), or the ValidationError of the first one broken.

    The admin page asks this before its confirmation (issue 20), so the question names a change that can happen;
    ``workspace_rename`` asks it again under the row lock, where the unique constraint is the last guard.
    """
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
        clean_workspace_name(AccountType.GROUP, new_name)
    except ValidationError as error:
        raise ValidationError({"new_name": error.error_list}) from error
    if new_name == workspace.name:
        raise ValidationError({"new_name": ValidationError(_("This is already the group name."), code="same_name")})
    if Workspace.objects.filter(name=new_name).exists():
        raise _name_taken(new_name)


@transaction.atomic
def workspace_rename(*, workspace: Workspace, new_name: str, now: datetime) -> Renamed:
    """Change the group name under the application rules (SPEC 5.1), unique, not again within 24 hours.

    Every account ID follows (`id@new-name`). A domain workspace's name is its domain: it cannot be renamed.
    Only the workspace is written here; `subscriptions.services.rename` makes the subscription follow and logs
    the change, in the same transaction and under the subscription's row lock taken here.
    """
    workspace, subscription = lock_open_workspace(workspace)
    workspace_rename_check(workspace=workspace, new_name=new_name, now=now)
    old_name = workspace.name
    workspace.name = new_name
    workspace.name_changed_at = now
    try:
        with transaction.atomic():
            save_workspace(workspace, "name", "name_changed_at")
    except IntegrityError as error:  # another workspace took the name between the check and the write
        raise _name_taken(new_name) from error
    admin_login_id = workspace.members.filter(is_admin=True).values_list("login_id", flat=True).first()
    return Renamed(workspace=workspace, subscription=subscription, old_name=old_name, admin_login_id=admin_login_id)


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
    workspace, _subscription = lock_open_workspace(workspace)
    if workspace.domain_verified_at is None:
        workspace.domain_verified_at = now
        save_workspace(workspace, "domain_verified_at")
    return workspace


# --- Deletion (SPEC 6 purge) -------------------------------------------------------------------------------------


def _delete_admin_log_entries(*, workspace_ids: list[int]) -> None:
    """Django admin's history names objects by their `str()`, e.g. a member's account ID: it goes too. One
    DELETE: the members', units' and groups' ids are subqueries (LogEntry keeps an object's id as text)."""
    if not workspace_ids:
        return
    types = ContentType.objects.get_for_models(Workspace, Member, OrgUnit, WorkGroup)
    condition = Q(content_type=types[Workspace], object_id__in=[str(pk) for pk in workspace_ids])
    for model in (Member, OrgUnit, WorkGroup):
        ids = model.objects.filter(workspace_id__in=workspace_ids).values(text_id=Cast("pk", CharField()))
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


@transaction.atomic(savepoint=False)
def workspace_delete_many(*, workspace_ids: list[int]) -> None:
    """Delete the workspaces and everything in them: members (admin account included), group memberships,
    units, groups, and Django admin's history of them, in a fixed number of queries whatever their number.

    The NAVER WORKS side of the purge (SPEC 6); ``subscriptions.services.purge`` scrubs the subscription side.
    The caller holds the subscriptions' and the workspaces' row locks. The freed names can be applied for again.
    """
    if not workspace_ids:
        return
    _delete_admin_log_entries(workspace_ids=workspace_ids)
    _delete_workspace_rows(workspace_ids=workspace_ids)
