"""The questions My Product's one-click withdrawals ask before acting (SPEC 10, issue 12)."""

from django.utils.translation import gettext as _

from works_console.confirm import Confirmation
from workspaces.validators import unicode_name

from .models import Subscription


def withdraw_conversion(subscription: Subscription) -> Confirmation:
    return Confirmation(
        title=_("Withdraw the reserved conversion of %(name)s?") % {"name": unicode_name(subscription.name)},
        message=_("The paid conversion will not start; the trial goes on as before and ends on its last day."),
        button=_("Withdraw conversion"),
    )


def withdraw_cancellation(subscription: Subscription) -> Confirmation:
    return Confirmation(
        title=_("Withdraw the reserved cancellation of %(name)s?") % {"name": unicode_name(subscription.name)},
        message=_("The service and its data are kept; it goes on as before."),
        button=_("Withdraw cancellation"),
    )


QUESTIONS = {"withdraw_conversion": withdraw_conversion, "withdraw_cancellation": withdraw_cancellation}
