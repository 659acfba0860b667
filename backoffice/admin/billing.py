"""Django admin for operators: the plan catalog, invoices (read-only) and customer credits (SPEC 3)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from billing.models import CreditNote, CustomerCredit, Invoice, InvoiceLine, Plan
from billing.money import format_won
from billing.services import credit_grant
from billing.views import document_download

from ..names import UnicodeNameSearch
from ..operator_pages import ObjectTools, Tool
from ..permissions import GRANT_CREDIT, may_run


def won(name: str, description):
    """An admin column or read-only field showing the amount ``name`` as ``₩3,960`` (SPEC 11)."""

    @admin.display(description=description, ordering=name)
    def show(obj) -> str:
        return format_won(getattr(obj, name))

    show.__name__ = f"{name}_won"
    return show


class ReadOnlyMixin:
    """What the services write and operators only read: changing it here would bypass them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """Rows listed on another row's page (an invoice's lines, a customer's invoices...)."""

    extra = 0
    max_num = 0
    can_delete = False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class DocumentPdfAdmin(ObjectTools, ReadOnlyAdmin):
    """An invoice's or a credit note's change page with `Download PDF` (SPEC 12): the same kept bytes the customer
    gets, for anyone who may view the document here."""

    def pdf_view(self, request: HttpRequest, object_id: str):
        document = self.get_object(request, object_id)
        if document is None or not self.has_view_permission(request, document):
            raise Http404
        return document_download(document)

    def object_tools(self, request: HttpRequest, obj) -> list[Tool]:
        (_route, _view, url_name) = self.object_pages[0]
        return [Tool(reverse(f"admin:{url_name}", args=[obj.pk]), _("Download PDF"))]


def _features_field(language_name: str) -> forms.CharField:
    return forms.CharField(
        label=format_lazy("{} [{}]", _("features"), language_name),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_("One line per feature, shown on the plan cards of the application wizard."),
    )


# django-modeltranslation's per-language columns (billing/translation.py), English first.
PLAN_LANGUAGES = [code for code, _name in settings.LANGUAGES]
FEATURE_FIELDS = [f"features_{code}" for code in PLAN_LANGUAGES]


class PlanAdminForm(forms.ModelForm):
    """Names, features and notes per language (SPEC 3, issue 12); features as text, one per line (a JSON list).

    A language left empty shows the English text in the console.
    """

    class Meta:
        model = Plan
        fields = [
            "code",
            *[f"name_{code}" for code in PLAN_LANGUAGES],
            "tier",
            "monthly_unit_price",
            "annual_unit_price",
            *FEATURE_FIELDS,
            *[f"notes_{code}" for code in PLAN_LANGUAGES],
            "is_active",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            field = f"features_{code}"
            self.fields[field] = _features_field(name)
            if self.instance.pk and not self.is_bound:
                self.initial[field] = "\n".join(getattr(self.instance, field) or [])

    def _clean_features(self, field: str) -> list[str]:
        return [line.strip() for line in self.cleaned_data[field].splitlines() if line.strip()]

    def clean(self) -> dict:
        cleaned = super().clean()
        for field in FEATURE_FIELDS:
            if field in cleaned:
                cleaned[field] = self._clean_features(field)
        return cleaned


@admin.register(Plan)
class PlanAdmin(TranslationAdmin):
    """Prices edited here apply to new rate segments only; running contracts keep theirs (SPEC 3)."""

    form = PlanAdminForm
    list_display = [
        "name",
        "code",
        "tier",
        won("annual_unit_price", _("annual contract unit price")),
        won("monthly_unit_price", _("monthly contract unit price")),
        "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    ordering = ["tier"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Subscriptions, segments and reservations refer to plans (PROTECT); retire a plan by un-offering it.
        return False


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = [
        "kind",
        "description",
        "plan_name",
        "contract_type",
        won("unit_price", _("unit price")),
        "quantity",
        "days",
        "period_days",
        won("amount", _("amount")),
    ]
    readonly_fields = fields


CREDIT_NOTE_FIELDS = [
    "number",
    "public_id",
    "invoice",
    "issued_on",
    "kind",
    "description",
    won("amount", _("amount")),
    won("vat", _("VAT")),
    won("total", _("total")),
    "reason",
    "issued_by",
]


class CreditNoteInline(ReadOnlyInline):
    """Credit notes against the invoice (a waived penalty): written by billing.credit_notes only."""

    model = CreditNote
    fields = [name for name in CREDIT_NOTE_FIELDS if name != "invoice"]
    readonly_fields = fields


class InvoiceInline(ReadOnlyInline):
    """Invoices on a customer's or a subscription's page, newest first; each row links to the invoice."""

    model = Invoice
    fields = [
        "number",
        "subscription",
        "period_start",
        "period_end",
        "issued_on",
        "is_final",
        won("total", _("total")),
    ]
    readonly_fields = fields
    ordering = ["-issued_on", "-period_index", "-id"]
    show_change_link = True
    verbose_name_plural = _("invoices")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subscription")


@admin.register(Invoice)
class InvoiceAdmin(UnicodeNameSearch, DocumentPdfAdmin):
    """Invoices are issued by the billing services only; operators read them (adjust with credits)."""

    object_pages = [("pdf/", "pdf_view", "billing_invoice_pdf")]
    list_display = [
        "number",
        "subscription",
        "customer",
        "period_start",
        "period_end",
        "issued_on",
        "is_final",
        won("total", _("total")),
    ]
    list_filter = ["is_final", "issued_on"]
    search_fields = ["number", "public_id", "subscription__name", "subscription__public_id", "customer__email"]
    date_hierarchy = "issued_on"
    list_select_related = ["subscription", "customer"]
    inlines = [InvoiceLineInline, CreditNoteInline]
    readonly_fields = [
        "number",
        "public_id",
        "subscription",
        "customer",
        "period_index",
        "period_start",
        "period_end",
        "issued_on",
        "is_final",
        won("subtotal", _("subtotal")),
        won("credit_applied", _("credit applied")),
        won("vat", _("VAT")),
        won("total", _("total")),
        "created_at",
    ]
    fields = readonly_fields


class CreditGrantForm(forms.ModelForm):
    class Meta:
        model = CustomerCredit
        fields = ["customer", "amount", "reason"]

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise ValidationError(_("A credit grant must be more than 0 KRW."), code="not_positive")
        return amount


class CustomerPicker(AutocompleteSelect):
    """The customer search of the credit form, shown only for values that can be a customer's id.

    Django's widget looks the chosen value up to show its label, and the database refuses a value that is not an
    id (`?customer=abc`, or `abc` posted): a 500 where the form says "Select a valid choice" (issue 21).
    """

    def optgroups(self, name, value, attr=None):
        key = self.field.remote_field.model._meta.get_field(self.field.remote_field.field_name)
        return super().optgroups(name, [choice for choice in value if _is_value_of(key, choice)], attr)


def _is_value_of(field, value) -> bool:
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


@admin.register(CustomerCredit)
class CustomerCreditAdmin(admin.ModelAdmin):
    """The credit ledger: operators grant credit with a reason (credit_grant); invoices record its use.

    Rows are never edited or deleted: a mistaken grant is corrected by a further row.
    """

    form = CreditGrantForm
    list_display = ["customer", won("amount", _("amount")), "reason", "invoice", "granted_by", "created_at"]
    list_select_related = ["customer", "invoice", "granted_by"]
    search_fields = ["customer__email", "reason", "invoice__public_id"]
    # The customer is found by e-mail, name, workspace or account ID (the customer admin's search), not by id.
    autocomplete_fields = ["customer"]
    read_only_fields = ["customer", won("amount", _("amount")), "reason", "invoice", "granted_by", "created_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "customer":
            kwargs["widget"] = CustomerPicker(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None) -> list:
        if obj is not None:
            return self.read_only_fields
        return []

    def get_fields(self, request, obj=None) -> list:
        if obj is not None:
            return self.read_only_fields
        return ["customer", "amount", "reason"]

    def has_change_permission(self, request, obj=None) -> bool:
        # The change page is a read-only view of a ledger row.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        # Granting credit is a Billing action (SPEC 13, backoffice/permissions.py), here as on the customer's page.
        return may_run(request.user, GRANT_CREDIT)

    def save_model(self, request, obj: CustomerCredit, form, change: bool) -> None:
        if change:
            raise PermissionDenied
        credit = credit_grant(customer=obj.customer, amount=obj.amount, reason=obj.reason, by=request.user)
        # The admin logs the addition against `obj`: let it be the row the service wrote.
        obj.pk = credit.pk
        obj.granted_by = credit.granted_by
        obj.created_at = credit.created_at
        obj._state.adding = False


@admin.register(CreditNote)
class CreditNoteAdmin(DocumentPdfAdmin):
    """Credit notes are written by the `Waive penalty` action only (SPEC 11); operators read them here."""

    object_pages = [("pdf/", "pdf_view", "billing_creditnote_pdf")]
    list_display = ["number", "invoice", "kind", won("total", _("total")), "reason", "issued_on", "issued_by"]
    list_select_related = ["invoice", "issued_by"]
    search_fields = [
        "number",
        "public_id",
        "invoice__number",
        "invoice__public_id",
        "invoice__customer__email",
        "reason",
    ]
    fields = [*CREDIT_NOTE_FIELDS, "created_at"]
    readonly_fields = fields
