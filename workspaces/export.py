"""The export of a workspace (SPEC 7.3): all its data as JSON, complete enough to restore it by hand. Read-only."""

from datetime import datetime

from subscriptions.models import Subscription

from .models import AccountType, Member, OrgUnit, WorkGroup, Workspace
from .selectors import org_unit_rows

EXPORT_FORMAT = "works-console-export/1"


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
        Member.objects.live()
        .filter(workspace_id=workspace.pk)
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
