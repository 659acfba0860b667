"""A group name change as the lifecycle sees it (SPEC 7.2).

`workspaces/` owns the name rules and renames the workspace; the subscription follows here, in the same
transaction and under the row lock the rename took: My Product shows the new name and account ID, and the
change is logged on the subscription. workspaces/ never writes a subscription or a lifecycle event.
"""

from datetime import datetime

from django.db import transaction

from subscriptions.models import Subscription, next_version
from subscriptions.services.core import Actor, record_event
from workspaces.models import Workspace
from workspaces.services import workspace_rename

# Who acts on the workspace side, as written on lifecycle events (never the account ID: it is personal data).
WORKSPACE_ADMIN: Actor = ("workspace_admin", None)


@transaction.atomic
def subscription_rename_workspace(*, workspace: Workspace, new_name: str, now: datetime) -> Workspace:
    renamed = workspace_rename(workspace=workspace, new_name=new_name, now=now)
    subscription = renamed.subscription
    subscription.name = new_name
    subscription.admin_account_id = f"{renamed.admin_login_id}@{new_name}" if renamed.admin_login_id else ""
    Subscription.objects.filter(pk=subscription.pk).update(
        name=subscription.name, admin_account_id=subscription.admin_account_id, version=next_version()
    )
    record_event(
        subscription,
        "workspace_renamed",
        by=WORKSPACE_ADMIN,
        at=now,
        details={"from_name": renamed.old_name, "to_name": new_name},
    )
    return renamed.workspace
