"""Customers in Django admin (SPEC 11): the customer's page lists their subscriptions, invoices and credit history
inline, with `Grant credit`; search by e-mail, workspace name, account ID or public id. Amounts as `₩3,960`."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from billing.models import CustomerCredit
from billing.money import format_won
from billing.selectors import credit_balance
from billing.services import credit_grant
from subscriptions.models import Subscription

from ..forms import GrantCreditForm
from ..names import UnicodeNameSearch, name_with_ascii
from ..operator_pages import Done, ObjectTools, Tool, operator_form_page
from ..permissions import GRANT_CREDIT, ensure_may_run, may_run
from .billing import InvoiceInline, ReadOnlyInline, won


class SubscriptionInline(ReadOnlyInline):
    show_change_link = True
    model = Subscription
    fields = [
        "workspace_name",
        "public_id",
        "admin_account_id",
        "plan",
        "status",
        "contract_type",
        "trial_last_day",
        "term_end",
    ]
    readonly_fields = fields
    verbose_name_plural = _("subscriptions")

    @admin.display(description=_("name"))
    def workspace_name(self, subscription: Subscription) -> str:
        return name_with_ascii(subscription.name)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("plan")


class CreditInline(ReadOnlyInline):
    show_change_link = True
    model = CustomerCredit
    fk_name = "customer"
    fields = ["created_at", won("amount", _("amount")), "reason", "invoice", "granted_by"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    verbose_name_plural = _("credit history")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("invoice", "granted_by")


@admin.register(User)
class UserAdmin(UnicodeNameSearch, ObjectTools, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "language", "is_staff", "date_joined"]
    # SPEC 11: e-mail, workspace (group or domain) name, admin account ID, subscription public id.
    search_fields = [
        "email",
        "first_name",
        "last_name",
        "subscriptions__name",
        "subscriptions__admin_account_id",
        "subscriptions__public_id",
    ]
    readonly_fields = ["credit_balance"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "language"]}),
        (_("Credit"), {"fields": ["credit_balance"]}),
        # Folded: the customer's page is about their business, listed inline below (SPEC 11).
        (
            _("Permissions"),
            {
                "classes": ["collapse"],
                "fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"],
            },
        ),
        (_("Important dates"), {"classes": ["collapse"], "fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "password1", "password2"]}),
    ]
    inlines = [SubscriptionInline, InvoiceInline, CreditInline]
    object_pages = [("grant-credit/", "grant_credit_view", "accounts_user_grant_credit")]

    @admin.display(description=_("credit balance"))
    def credit_balance(self, user: User) -> str:
        return format_won(credit_balance(customer_id=user.pk)) if user.pk else "-"

    def get_inlines(self, request: HttpRequest, obj=None):
        return self.inlines if obj is not None else []

    def object_tools(self, request: HttpRequest, obj: User) -> list[Tool]:
        if not may_run(request.user, GRANT_CREDIT):
            return []
        return [Tool(reverse("admin:accounts_user_grant_credit", args=[obj.pk]), gettext_now("Grant credit"))]

    def grant_credit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """`Grant credit` (SPEC 3, 11): an amount and a reason, through billing.services.credit_grant."""
        ensure_may_run(request, GRANT_CREDIT)
        customer = get_object_or_404(User, pk=object_id)
        change_url = reverse("admin:accounts_user_change", args=[customer.pk])

        def perform(form) -> Done:
            credit = credit_grant(
                customer=customer,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
            message = gettext_now("%(amount)s of credit granted to %(email)s.") % {
                "amount": format_won(credit.amount),
                "email": customer.email,
            }
            return Done(message, change_url)

        return operator_form_page(
            self,
            request,
            form=GrantCreditForm(request.POST if request.method == "POST" else None),
            submitted=request.method == "POST",
            perform=perform,
            template="admin/accounts/user/grant_credit.html",
            label=gettext_now("Grant credit"),
            back_url=change_url,
            crumb=customer.email,
            customer=customer,
            balance=format_won(credit_balance(customer_id=customer.pk)),
        )
