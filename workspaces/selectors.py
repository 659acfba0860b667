"""Reads of the NAVER WORKS side (SPEC 7): the signed-in member, the admin overview, access rules.

Nothing here writes. Queries are bounded per page: they do not grow with the number of members, units or groups.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.throttling import LoginFailures, failures_within_window
from billing.models import ContractType
from subscriptions.models import Status, Subscription

from .models import AdminLoginFailure, Member, OrgUnit, WorkGroup, Workspace

# SPEC 7.1: only these states let anyone into NAVER WORKS Admin.
OPEN_STATUSES = frozenset({Status.TRIAL, Status.ACTIVE})


def workspace_subscription(workspace: Workspace) -> Subscription | None:
    """The subscription of a workspace, or None (a workspace is created inside the application transaction)."""
    try:
        return workspace.subscription
    except Subscription.DoesNotExist:
        return None


def _live_members_per_workspace(**workspaces) -> QuerySet:
    """The live members of the ``workspaces`` (a filter on ``workspace_id``) grouped by workspace, each group's
    ``count`` annotated: the one definition of a member count behind ``member_counts`` and ``member_count_of``."""
    return Member.objects.live().filter(**workspaces).order_by().values("workspace_id").annotate(count=Count("pk"))


def member_counts(workspace_ids) -> dict[int, int]:
    """Members registered now per workspace, the admin account included (SPEC 3: the monthly quantity, the
    licence floor), in one aggregate. A workspace without members (or purged: a null id) counts 0."""
    ids = [pk for pk in workspace_ids if pk is not None]
    if not ids:
        return {}
    return dict(_live_members_per_workspace(workspace_id__in=ids).values_list("workspace_id", "count"))


def member_count_of(workspace) -> Coalesce:
    """``member_counts`` as a subquery expression of ``workspace`` (an ``OuterRef`` to a workspace id), for one
    query over many subscriptions (the admin dashboard): the same live members, a removed one does not count."""
    count = _live_members_per_workspace(workspace_id=workspace).values("count")
    return Coalesce(Subquery(count), Value(0))


def member_count(workspace_id: int | None) -> int:
    """``member_counts`` of one workspace."""
    return member_counts([workspace_id]).get(workspace_id, 0)


def member_access_error(member: Member) -> ValidationError | None:
    """Why `member` may not use NAVER WORKS now, or None (SPEC 7.1, 7.2).

    One rule for the login and for every request of an open session, so a session ends at its next request
    once the workspace is suspended or terminated.
    """
    workspace = member.workspace
    subscription = workspace_subscription(workspace)
    if subscription is None or subscription.purged_at is not None or subscription.status == Status.TERMINATED:
        return ValidationError(_("This workspace has been terminated and can no longer be used."), code="terminated")
    if subscription.status == Status.SUSPENDED:
        return ValidationError(
            _(
                "This workspace is suspended because its trial has ended. "
                "Convert it to a paid plan by %(deadline)s to keep it."
            ),
            code="suspended",
            params={"deadline": subscription.grace_last_day.isoformat()},
        )
    if subscription.status not in OPEN_STATUSES:  # a state added later is closed until someone opens it here
        return ValidationError(_("This workspace cannot be used now."), code="unavailable")
    if workspace.needs_domain_verification and not member.is_admin:
        return ValidationError(
            _(
                "The ownership of this domain has not been verified yet. "
                "Until the admin verifies it, only the admin account can log in."
            ),
            code="domain_unverified",
        )
    return None


def session_member(*, member_id: int | None, workspace_id: int | None) -> Member | None:
    """The member an admin session points at, with its workspace and subscription (one query)."""
    if not member_id or not workspace_id:
        return None
    return (
        Member.objects.live()
        .select_related("workspace", "workspace__subscription", "workspace__subscription__plan")
        .filter(pk=member_id, workspace_id=workspace_id)
        .first()
    )


def member_counts_at(
    *, workspace_ids: Iterable[int | None], instants: Iterable[datetime]
) -> dict[tuple[int, datetime], int]:
    """The members registered at each instant in each workspace: created before it and not removed by then, the
    admin account included (SPEC 3: a monthly period is billed on this count at its end instant, whenever the job
    runs). ``{(workspace id, instant): count}``, absent for 0. One query whatever the number of workspaces and
    instants: one conditional count per instant over the rows that could count at any of them."""
    ids = [pk for pk in workspace_ids if pk is not None]
    instants = sorted(set(instants))
    if not ids or not instants:
        return {}
    registered = {
        f"at_{index}": Count("pk", filter=Q(created_at__lt=at) & (Q(removed_at__isnull=True) | Q(removed_at__gt=at)))
        for index, at in enumerate(instants)
    }
    rows = (
        Member.objects.filter(workspace_id__in=ids, created_at__lt=instants[-1])
        .filter(Q(removed_at__isnull=True) | Q(removed_at__gt=instants[0]))
        .order_by()
        .values("workspace_id")
        .annotate(**registered)
    )
    return {
        (row["workspace_id"], at): row[f"at_{index}"]
        for row in rows
        for index, at in enumerate(instants)
        if row[f"at_{index}"]
    }


def member_limit(*, subscription: Subscription | None) -> int | None:
    """The most members the workspace may have now, or None for no limit (SPEC 3, 7.2).

    A trial caps members at TRIAL_MEMBER_LIMIT; an active annual contract at its licences. Monthly contracts
    are billed on the members registered, so they have no cap here.
    """
    if subscription is None:
        return None
    if subscription.status in (Status.TRIAL, Status.SUSPENDED):
        return settings.TRIAL_MEMBER_LIMIT
    if subscription.contract_type == ContractType.ANNUAL and subscription.licences:
        return subscription.licences
    return None


@dataclass(frozen=True)
class OrgUnitRow:
    unit: OrgUnit
    depth: int
    path: tuple[str, ...]


def org_unit_rows(units: list[OrgUnit]) -> list[OrgUnitRow]:
    """The units of one workspace as a depth-first list (parents before children, siblings by name)."""
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in sorted(units, key=lambda unit: unit.name):
        children.setdefault(unit.parent_id, []).append(unit)
    rows: list[OrgUnitRow] = []

    def walk(parent_id: int | None, depth: int, path: tuple[str, ...]) -> None:
        for unit in children.get(parent_id, []):
            unit_path = (*path, unit.name)
            rows.append(OrgUnitRow(unit=unit, depth=depth, path=unit_path))
            walk(unit.pk, depth + 1, unit_path)

    walk(None, 0, ())
    return rows


@dataclass
class AdminOverview:
    workspace: Workspace
    subscription: Subscription | None
    members: list[Member]
    org_units: list[OrgUnitRow]
    groups: list[WorkGroup]
    member_limit: int | None
    unit_paths: dict[int, str] = field(default_factory=dict)

    @property
    def member_count(self) -> int:
        return len(self.members)

    @property
    def at_member_limit(self) -> bool:
        return self.member_limit is not None and self.member_count >= self.member_limit


def admin_overview(*, workspace: Workspace) -> AdminOverview:
    """Everything the admin home shows, in a fixed number of queries."""
    subscription = workspace_subscription(workspace)
    members = list(
        workspace.members.live()
        .select_related("workspace")
        .prefetch_related(Prefetch("work_groups", queryset=WorkGroup.objects.order_by("name")))
    )
    rows = org_unit_rows(list(workspace.org_units.all()))
    groups = list(
        workspace.work_groups.prefetch_related(
            Prefetch(
                "members",
                queryset=Member.objects.live().select_related("workspace").order_by("-is_admin", "login_id"),
            )
        )
    )
    unit_paths = {row.unit.pk: " / ".join(row.path) for row in rows}
    for member in members:
        member.unit_path = unit_paths.get(member.org_unit_id, "")
    return AdminOverview(
        workspace=workspace,
        subscription=subscription,
        members=members,
        org_units=rows,
        groups=groups,
        member_limit=member_limit(subscription=subscription),
        unit_paths=unit_paths,
    )


def admin_login_failures(*, account_id: str, ip_address: str, now: datetime) -> LoginFailures:
    """Failed admin logins within the window for this account ID and address, in one query (SPEC 7.1)."""
    return failures_within_window(
        AdminLoginFailure.objects.all(),
        account=Q(account_id=account_id),
        address=Q(ip_address=ip_address),
        at="failed_at",
        now=now,
    )
