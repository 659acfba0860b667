"""The directory of a NAVER WORKS workspace (SPEC 3, 7.2): members, organization units, groups.

Every change takes the subscription's row lock, then the workspace's (``services.lock_open_workspace``), so a
member added while the customer converts to an annual contract, or while a job purges the workspace, is decided
on fresh rows.
"""

import logging
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from subscriptions.models import Status, Subscription

from .models import Member, OrgUnit, WorkGroup, Workspace
from .selectors import member_limit
from .services import lock_open_workspace
from .validators import field_errors, too_long, validate_admin_id, validate_admin_password

logger = logging.getLogger(__name__)

MEMBER_NAME_MAX_LENGTH = 100
UNIT_NAME_MAX_LENGTH = 100
GROUP_TITLE_MAX_LENGTH = 100


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
    workspace, subscription = lock_open_workspace(workspace)
    errors = field_errors({"login_id": (validate_admin_id, login_id), "password": (validate_admin_password, password)})
    name = (name or "").strip()
    if not name:
        errors["name"] = ValidationError(_("Enter the member's name."), code="required")
    elif len(name) > MEMBER_NAME_MAX_LENGTH:
        errors["name"] = too_long(_("A name can have at most %(max)d characters."), MEMBER_NAME_MAX_LENGTH)
    if errors:
        raise ValidationError(errors)
    org_unit = _unit_of(workspace, org_unit, field="org_unit")
    limit = member_limit(subscription=subscription)
    if limit is not None and workspace.members.live().count() >= limit:
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
    if workspace.members.live().filter(login_id=login_id).exists():
        raise taken
    try:
        with transaction.atomic():
            member = Member(workspace=workspace, login_id=login_id, name=name, org_unit=org_unit, created_at=now)
            member.password = make_password(password)
            member.save(force_insert=True)
            return member
    except IntegrityError as error:  # the unique constraint, should a concurrent insert slip past the check
        raise taken from error


@transaction.atomic
def member_remove(*, member: Member, now: datetime) -> None:
    """Remove a member; the admin account is never removed (it is how the workspace is administered).

    The row stays, with `removed_at = now`, until the purge deletes it (SPEC 3): the member can no longer log in,
    leaves its groups, and no longer counts, except for a monthly period that closed before `now`.
    """
    lock_open_workspace(member.workspace)
    if member.is_admin:
        raise ValidationError(_("The admin account cannot be removed."), code="admin_not_removable")
    removed = Member.objects.live().filter(pk=member.pk, is_admin=False).update(removed_at=now)
    if not removed:
        raise ValidationError(_("This member has already been removed."), code="member_gone")
    WorkGroup.members.through.objects.filter(member_id=member.pk).delete()
    logger.info("removed member %d of workspace %d", member.pk, member.workspace_id)


# --- Organization units (SPEC 7.2) ----------------------------------------------------------------------------


def _clean_title(value: str, *, field: str, maximum: int, required_message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: ValidationError(required_message, code="required")})
    if len(value) > maximum:
        raise ValidationError({field: too_long(_("A name can have at most %(max)d characters."), maximum)})
    return value


@transaction.atomic
def org_unit_add(*, workspace: Workspace, name: str, parent: OrgUnit | None = None) -> OrgUnit:
    """Add a unit at the top level or under `parent`; sibling names are unique."""
    workspace, _subscription = lock_open_workspace(workspace)
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
    lock_open_workspace(org_unit.workspace)
    if OrgUnit.objects.filter(parent_id=org_unit.pk).exists():
        raise ValidationError(
            _("Remove the units under “%(name)s” first."), code="unit_has_children", params={"name": org_unit.name}
        )
    OrgUnit.objects.filter(pk=org_unit.pk).delete()


# --- Groups (SPEC 7.2) ----------------------------------------------------------------------------------------


@transaction.atomic
def work_group_add(*, workspace: Workspace, name: str) -> WorkGroup:
    workspace, _subscription = lock_open_workspace(workspace)
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
    lock_open_workspace(work_group.workspace)
    WorkGroup.objects.filter(pk=work_group.pk).delete()


@transaction.atomic
def work_group_add_member(*, work_group: WorkGroup, member: Member) -> WorkGroup:
    lock_open_workspace(work_group.workspace)
    if member.workspace_id != work_group.workspace_id:
        raise ValidationError(
            {"member": ValidationError(_("Choose a member of this workspace."), code="invalid_member")}
        )
    work_group.members.add(member)  # adding a present member is a no-op
    return work_group


@transaction.atomic
def work_group_remove_member(*, work_group: WorkGroup, member: Member) -> WorkGroup:
    lock_open_workspace(work_group.workspace)
    work_group.members.remove(member)
    return work_group
