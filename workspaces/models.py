"""The NAVER WORKS side (SPEC 7): a workspace, its members (the admin first), organization and groups.

Everything here is workspace data: the purge (SPEC 6) deletes these rows; billing and the audit keep what
they need on the subscription.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from .validators import unicode_name


class AccountType(models.TextChoices):
    GROUP = "group", _("Group name")
    DOMAIN = "domain", _("Domain name")


def new_verification_token() -> str:
    return f"naverworks-verification={secrets.token_hex(16)}"


class Workspace(models.Model):
    kind = models.CharField(_("account type"), max_length=8, choices=AccountType.choices)
    # A group name or a domain name in its IDNA ASCII form; unique across both kinds (one column).
    name = models.CharField(_("group or domain name"), max_length=253, unique=True)
    name_changed_at = models.DateTimeField(null=True, blank=True)  # SPEC 7.2: not again within 24 hours
    company_name = models.CharField(_("company name"), max_length=100)
    company_phone = PhoneNumberField(_("company phone number"))
    company_address = models.CharField(_("company address"), max_length=200, blank=True)
    # Set when the admin confirmed company info after the first login (SPEC 5.1 step 5, 7.1).
    company_set_up_at = models.DateTimeField(null=True, blank=True)
    # Domain accounts: the TXT record value to publish, and when ownership was proven (SPEC 7.2).
    verification_token = models.CharField(max_length=80, default=new_verification_token, editable=False)
    domain_verified_at = models.DateTimeField(null=True, blank=True)
    # Not auto_now_add: services pass the `now` they were given (STYLE: the clock is read once, at the edge).
    created_at = models.DateTimeField(default=timezone.now)
    # Moves on with every change of the workspace's own fields (its services, the admin site): the subscription's
    # card on My Product is cached under it (subscriptions.cards, issue 17).
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")

    def __str__(self) -> str:
        return unicode_name(self.name)  # as people write it (issue 19); stored in ASCII

    @property
    def needs_domain_verification(self) -> bool:
        return self.kind == AccountType.DOMAIN and self.domain_verified_at is None


class MemberQuerySet(models.QuerySet):
    def live(self) -> "MemberQuerySet":
        """Members not removed: the ones who log in, count against limits and appear on the admin pages."""
        return self.filter(removed_at__isnull=True)


class Member(models.Model):
    """A NAVER WORKS account `login_id@workspace`; the admin account is the first member (SPEC 5.1).

    A removed member keeps its row, with `removed_at`, until the purge (SPEC 3): a monthly contract is billed on
    the members registered at each period's close, so a removal after the close must not change that period.
    Everything else counts live members only (`Member.objects.live()`).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="members")
    login_id = models.CharField(_("ID"), max_length=40)
    name = models.CharField(_("name"), max_length=100, blank=True)
    # Argon2 hash (django.contrib.auth.hashers.make_password); never shown again.
    password = models.CharField(max_length=255)
    is_admin = models.BooleanField(default=False)
    org_unit = models.ForeignKey("OrgUnit", on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    last_login_at = models.DateTimeField(null=True, blank=True)
    # SPEC 3: registered from `created_at` until `removed_at` (exclusive); billed at a close within that span.
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["workspace_id", "-is_admin", "login_id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            # A removed member's ID may be given to a new member (the removed row stays until the purge).
            models.UniqueConstraint(
                fields=["workspace", "login_id"],
                condition=Q(removed_at__isnull=True),
                name="workspaces_live_member_unique_id",
            ),
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(is_admin=True), name="workspaces_one_admin_account"
            ),
        ]

    def __str__(self) -> str:
        return self.account_id

    @property
    def account_id(self) -> str:
        return f"{self.login_id}@{self.workspace.name}"


class OrgUnit(models.Model):
    """A node of the organization tree (SPEC 7.2). Sibling names are unique, so a path of names
    (`Sales / Seoul`) names one unit, in the admin pages and in the export (SPEC 7.3)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="org_units")
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")

    class Meta:
        ordering = ["workspace_id", "name"]
        verbose_name = _("organization unit")
        verbose_name_plural = _("organization units")
        constraints = [
            # Two partial constraints rather than nulls_distinct=False, which SQLite (`make run`) lacks.
            models.UniqueConstraint(
                fields=["workspace", "name"], condition=Q(parent__isnull=True), name="workspaces_orgunit_unique_root"
            ),
            models.UniqueConstraint(
                fields=["parent", "name"], condition=Q(parent__isnull=False), name="workspaces_orgunit_unique_child"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkGroup(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="work_groups")
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(Member, blank=True, related_name="work_groups")

    class Meta:
        ordering = ["workspace_id", "name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="workspaces_group_unique_name")]

    def __str__(self) -> str:
        return self.name


class AdminLoginFailure(models.Model):
    """One failed NAVER WORKS Admin login: the counters of the login limits (SPEC 7.1, accounts/throttling.py).

    In the database rather than the cache, so a cache outage neither breaks the login nor resets the counts.
    Rows older than the window are deleted as new failures come in.
    """

    # In the form the login looks accounts up by (validators.normalize_account_id); it may name no account at all.
    account_id = models.CharField(max_length=300)
    ip_address = models.CharField(max_length=45)
    failed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["account_id", "failed_at"], name="admin_login_failure_account"),
            models.Index(fields=["ip_address", "failed_at"], name="admin_login_failure_address"),
            models.Index(fields=["failed_at"], name="admin_login_failure_time"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} from {self.ip_address} at {self.failed_at:%Y-%m-%d %H:%M:%S}"
