"""The trial application (SPEC 5.1): a workspace, its admin account and a `trial` subscription, in one transaction."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing.models import Plan
from subscriptions.models import Status, Subscription
from subscriptions.services.core import customer_actor, record_event
from works_console.dates import kst_date
from works_console.shell import PLATFORMS, REGIONS
from workspaces.models import AccountType, Workspace
from workspaces.services import workspace_create
from workspaces.validators import (
    admin_account_id,
    clean_workspace_name,
    field_errors,
    validate_admin_id,
    validate_admin_password,
)

logger = logging.getLogger(__name__)


def name_taken_error(kind: str) -> ValidationError:
    """The message shown at the name field when the group or domain name belongs to another workspace."""
    message = (
        _("This domain name is already in use.")
        if kind == AccountType.DOMAIN
        else _("This group name is already in use.")
    )
    return ValidationError({"name": ValidationError(message, code="name_taken")})


def _check_input(
    plan: Plan, kind: str, name: str, admin_login_id: str, admin_password: str, region: str, platform: str
) -> str:
    """Re-check every SPEC 5.1 rule the form checked (a service must be safe whoever calls it).

    Returns the name in its stored form; raises one ValidationError keyed by field.
    """
    errors = field_errors(
        {
            "admin_login_id": (validate_admin_id, admin_login_id),
            "admin_password": (validate_admin_password, admin_password),
        }
    )
    stored_name = name
    try:
        stored_name = clean_workspace_name(kind, name)
    except ValidationError as error:
        errors = {"name": error, **errors}
    if not plan.is_active:
        errors["plan"] = ValidationError(_("This plan is no longer offered."), code="plan_unavailable")
    if region not in REGIONS or platform not in PLATFORMS:
        errors["region"] = ValidationError(_("Choose a region and a platform."), code="shell")
    if errors:
        raise ValidationError(errors)
    return stored_name


@transaction.atomic
def subscription_apply(
    *,
    customer,
    plan: Plan,
    kind: str,
    name: str,
    admin_login_id: str,
    admin_password: str,
    company_name: str,
    company_phone,
    region: str,
    platform: str,
    now: datetime,
) -> Subscription:
    """Apply for NAVER WORKS: create the workspace, its admin account and a 30-day `trial` (SPEC 5.1).

    Applied on KST date D, the last trial day is D+29 and the grace ends TRIAL_GRACE_DAYS later (SPEC 6).
    The unique constraint on Workspace.name is the guard against two applications racing for one name:
    the loser gets ``ValidationError({"name": ...}, code="name_taken")`` and nothing of its application
    remains (the whole transaction rolls back when the error leaves this function).
    """
    name = _check_input(plan, kind, name, admin_login_id, admin_password, region, platform)
    if Workspace.objects.filter(name=name).exists():
        raise name_taken_error(kind)
    try:
        # A savepoint, so that after a lost race the transaction can still ask which constraint failed.
        with transaction.atomic():
            workspace = workspace_create(
                kind=kind,
                name=name,
                admin_login_id=admin_login_id,
                admin_password=admin_password,
                company_name=company_name,
                company_phone=company_phone,
                now=now,
            )
    except IntegrityError:
        # Under READ COMMITTED the failed insert waited for the winner to commit, so its row is visible now.
        if Workspace.objects.filter(name=name).exists():
            logger.info("application lost the race for a workspace name")
            raise name_taken_error(kind) from None
        raise

    applied_on = kst_date(now)
    trial_last_day = applied_on + timedelta(days=settings.TRIAL_DAYS - 1)
    subscription = Subscription.objects.create(
        customer=customer,
        workspace=workspace,
        account_type=kind,
        name=name,
        admin_account_id=admin_account_id(admin_login_id, name),
        region=region,
        platform=platform,
        plan=plan,
        status=Status.TRIAL,
        applied_on=applied_on,
        trial_last_day=trial_last_day,
        grace_last_day=trial_last_day + timedelta(days=settings.TRIAL_GRACE_DAYS),
    )
    record_event(
        subscription,
        "applied",
        by=customer_actor(customer),
        at=now,
        to_status=Status.TRIAL,
        details={"plan": plan.code, "account_type": kind, "name": name, "trial_last_day": trial_last_day.isoformat()},
    )
    logger.info("trial applied for subscription %s", subscription.public_id)
    return subscription
