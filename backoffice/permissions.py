"""Which role may run which operator action (SPEC 13): the one table every action reads, as Oscar's dashboard keeps
its permissions in one place.

`Support` reads everything and runs the actions that keep a customer going; `Billing` adds the actions that move
money or contracts, and plan prices (billing.change_plan, given to the group). Superusers have every permission.
An action a role lacks is not offered (the object tools, the bulk actions, the `Add` of credits) and posting it
anyway is a 403 that changes nothing (``ensure_may_run``). The groups are made by migration
backoffice/0002_operator_roles.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .second_factor import is_operator

EXTEND_TRIAL = "extend-trial"
RESEND_REMINDER = "resend-reminder"
WITHDRAW_RESERVATION = "withdraw-reservation"
RETRY_FAILED_ITEMS = "retry-failed-items"
CONVERT = "convert"
CANCEL = "cancel"
WAIVE_PENALTY = "waive-penalty"
GRANT_CREDIT = "grant-credit"

# The permission each action needs (on the model it acts on). The roles hold them: `Support` the first four,
# `Billing` all (migration backoffice/0002_operator_roles).
ACTION_PERMISSIONS: dict[str, str] = {
    EXTEND_TRIAL: "subscriptions.extend_trial",
    RESEND_REMINDER: "subscriptions.resend_reminder",
    WITHDRAW_RESERVATION: "subscriptions.withdraw_reservation",
    # Not named by SPEC 13: it runs again what the jobs do anyway (docs/decisions.md, issue 19).
    RETRY_FAILED_ITEMS: "subscriptions.retry_failed_items",
    CONVERT: "subscriptions.convert_on_behalf",
    CANCEL: "subscriptions.cancel_on_behalf",
    WAIVE_PENALTY: "subscriptions.waive_penalty",
    GRANT_CREDIT: "billing.add_customercredit",
}
SUPPORT_ACTIONS = [EXTEND_TRIAL, RESEND_REMINDER, WITHDRAW_RESERVATION, RETRY_FAILED_ITEMS]
BILLING_ACTIONS = [*SUPPORT_ACTIONS, CONVERT, CANCEL, WAIVE_PENALTY, GRANT_CREDIT]


def may_run(user, action: str) -> bool:
    """True when ``user``, an operator signed in with both factors, holds the permission ``action`` needs."""
    return is_operator(user) and user.has_perm(ACTION_PERMISSIONS[action])


def ensure_may_run(request: HttpRequest, action: str) -> None:
    """Refuse (403, nothing changed) an action the operator's role does not have."""
    if not may_run(request.user, action):
        raise PermissionDenied
