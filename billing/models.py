"""Plans, rate segments, invoices and credits (SPEC 3). Money is integer KRW everywhere."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def new_public_id() -> str:
    return secrets.token_urlsafe(12)


class DocumentKind(models.TextChoices):
    """The kinds of billing document a customer keeps, each numbered on its own (SPEC 12): the value is the
    number's prefix (`INV-2027-000001`, `CN-2027-000001`)."""

    INVOICE = "INV", _("Invoice")
    CREDIT_NOTE = "CN", _("Credit note")


def pdf_upload_to(document, filename: str) -> str:
    """Where a document's PDF is kept in the default storage: by kind and year, named by its number."""
    return f"documents/{document.DOCUMENT_KIND.lower()}/{document.issued_on.year}/{filename}"


class ContractType(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class Plan(models.Model):
    """A price plan of the catalog, edited by operators (SPEC 3). A price change only affects new segments."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    # Upgrades go to a strictly higher tier only (SPEC 5.4).
    tier = models.PositiveSmallIntegerField(_("tier"), unique=True)
    # KRW per user per month, VAT excluded.
    monthly_unit_price = models.PositiveIntegerField(_("monthly contract unit price (KRW)"))
    annual_unit_price = models.PositiveIntegerField(_("annual contract unit price (KRW)"))
    features = models.JSONField(_("features"), default=list, blank=True, help_text=_("One line per feature."))
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["tier"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_unit_price__lte=models.F("monthly_unit_price")),
                name="billing_plan_annual_not_above_monthly",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def unit_price(self, contract_type: str) -> int:
        return self.annual_unit_price if contract_type == ContractType.ANNUAL else self.monthly_unit_price


class RateSegment(models.Model):
    """What a paid subscription costs over a span of days (SPEC 3, 5.4).

    Conversion, upgrade and a licence increase each end the open segment and start a new one, so an invoice is
    one usage line per segment within the period and the penalty reads the prices actually agreed.
    """

    subscription = models.ForeignKey(
        "subscriptions.Subscription", on_delete=models.CASCADE, related_name="rate_segments"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    contract_type = models.CharField(_("contract type"), max_length=8, choices=ContractType.choices)
    # The unit price agreed when the segment started (a later catalog change does not touch it).
    unit_price = models.PositiveIntegerField(_("unit price (KRW)"))
    # The plan's monthly-contract price at that time: the penalty's "discount received" (SPEC 5.6).
    list_unit_price = models.PositiveIntegerField(_("monthly list unit price (KRW)"))
    # Annual: the licences bought. Monthly: null, billed on the members registered at the period's close.
    quantity = models.PositiveIntegerField(_("licences"), null=True, blank=True)
    starts_on = models.DateField(_("from (KST, inclusive)"))
    # Exclusive; null while the segment is open.
    ends_on = models.DateField(_("to (KST, exclusive)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subscription_id", "starts_on", "id"]
        verbose_name = _("rate segment")
        verbose_name_plural = _("rate segments")
        constraints = [
            # At most one open segment per subscription.
            models.UniqueConstraint(
                fields=["subscription"], condition=Q(ends_on__isnull=True), name="billing_one_open_segment"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="billing_segment_not_empty",
            ),
            models.CheckConstraint(
                condition=~Q(contract_type="annual") | Q(quantity__gte=1), name="billing_annual_has_licences"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.contract_type} {self.starts_on}..{self.ends_on or ''}"


class Invoice(models.Model):
    """A postpaid invoice for one billing period of one subscription (SPEC 3)."""

    DOCUMENT_KIND = DocumentKind.INVOICE

    public_id = models.CharField(max_length=24, unique=True, default=new_public_id, editable=False)
    # `INV-2027-000001`: gap-free and increasing per KST calendar year of `issued_on`, given in the transaction that
    # issues the invoice (billing.numbers, SPEC 12). The public id stays the one in URLs.
    number = models.CharField(_("number"), max_length=20)
    subscription = models.ForeignKey("subscriptions.Subscription", on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices")
    period_index = models.PositiveIntegerField(_("period"))
    period_start = models.DateField(_("period start"))
    # Inclusive. A final invoice ends the day before the cancellation date.
    period_end = models.DateField(_("period end"))
    issued_on = models.DateField(_("issued on"))
    is_final = models.BooleanField(_("final invoice"), default=False)
    subtotal = models.BigIntegerField(_("subtotal"))
    credit_applied = models.BigIntegerField(_("credit applied"), default=0)
    vat = models.BigIntegerField(_("VAT"))
    total = models.BigIntegerField(_("total"))
    # The PDF once rendered (billing.documents): kept, so the same bytes are served ever after (SPEC 12).
    pdf = models.FileField(
        _("PDF"), upload_to=pdf_upload_to, max_length=200, blank=True, editable=False, default="", db_default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            # The last guard of the renewal job: one invoice per subscription per period (SPEC 3, 6).
            models.UniqueConstraint(fields=["subscription", "period_index"], name="billing_one_invoice_per_period"),
            # A number is never given twice (SPEC 12).
            models.UniqueConstraint(fields=["number"], name="billing_invoice_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    """One line of an invoice. Its text is rendered in the reader's language from the facts stored here (kind,
    plan, days), never stored as text in one language (issue 12); ``description`` is only a language-neutral
    record of the same facts (plan name, ISO dates) for lines stored before the facts were."""

    class Kind(models.TextChoices):
        USAGE = "usage", _("Usage")
        PENALTY = "penalty", _("Early-termination penalty")
        ADJUSTMENT = "adjustment", _("Adjustment")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    description = models.CharField(max_length=200, blank=True)
    # A usage line's plan: its name is shown in the reader's language. `plan_name` keeps the name it had then.
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    plan_name = models.CharField(max_length=64, blank=True)
    contract_type = models.CharField(max_length=8, blank=True)
    unit_price = models.PositiveIntegerField(null=True, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    days = models.PositiveIntegerField(null=True, blank=True)
    period_days = models.PositiveIntegerField(null=True, blank=True)
    # Usage: the first and last day billed (KST, inclusive). Penalty: the annual term's first and last day.
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("to (inclusive)"), null=True, blank=True)
    # Penalty: the cancellation date the penalty was computed for (SPEC 5.6).
    cancellation_date = models.DateField(_("cancellation date"), null=True, blank=True)
    amount = models.BigIntegerField()

    class Meta:
        ordering = ["invoice_id", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return f"{self.description or self.kind}: {self.amount}"

    @property
    def text(self) -> str:
        """What the line bills, in the active language (the reader's), from the stored facts."""
        if self.kind == self.Kind.USAGE and self.starts_on and self.ends_on:
            plan = self.plan.name if self.plan_id else self.plan_name
            return gettext("%(plan)s, %(start)s – %(end)s") % {
                "plan": plan,
                "start": self.starts_on.isoformat(),
                "end": self.ends_on.isoformat(),
            }
        if self.kind == self.Kind.PENALTY and self.cancellation_date and self.starts_on and self.ends_on:
            return gettext("Cancelled on %(day)s, before the end of the annual term %(start)s – %(end)s") % {
                "day": self.cancellation_date.isoformat(),
                "start": self.starts_on.isoformat(),
                "end": self.ends_on.isoformat(),
            }
        return self.description


class CreditQuerySet(models.QuerySet):
    def balance_for(self, customer_id: int) -> int:
        return self.filter(customer_id=customer_id).aggregate(total=Sum("amount"))["total"] or 0


class CustomerCredit(models.Model):
    """A credit ledger row: a grant (+) by an operator, or its use (-) by an invoice (SPEC 3)."""

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credits")
    amount = models.BigIntegerField(_("amount (KRW)"))
    reason = models.CharField(_("reason"), max_length=200)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="credits")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CreditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer credit")
        verbose_name_plural = _("customer credits")
        constraints = [
            # A use of credit belongs to an invoice, once.
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(invoice__isnull=False), name="billing_one_credit_use_per_invoice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.amount}"


class CreditNote(models.Model):
    """A credit note against an issued invoice: today only the waiver of its early-termination penalty (SPEC 11).

    The invoice stays as issued; the note carries the line that takes the penalty back, and the VAT charged on
    it, as negative amounts: the invoice total plus the note's total is what the customer owes.
    """

    class Kind(models.TextChoices):
        PENALTY_WAIVER = "penalty_waiver", _("Penalty waived")

    DOCUMENT_KIND = DocumentKind.CREDIT_NOTE

    public_id = models.CharField(max_length=24, unique=True, default=new_public_id, editable=False)
    # `CN-2027-000001`: numbered like invoices, in a sequence of its own (SPEC 12).
    number = models.CharField(_("number"), max_length=20)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    # Negative: the line taken back (VAT excluded), the VAT on it, and both together.
    amount = models.BigIntegerField(_("amount"))
    vat = models.BigIntegerField(_("VAT"))
    total = models.BigIntegerField(_("total"))
    reason = models.CharField(_("reason"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The PDF once rendered, as on the invoice (SPEC 12).
    pdf = models.FileField(
        _("PDF"), upload_to=pdf_upload_to, max_length=200, blank=True, editable=False, default="", db_default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [
            # A penalty is waived once: a second waiver of the same invoice is refused by the database too.
            models.UniqueConstraint(fields=["invoice", "kind"], name="billing_one_credit_note_per_kind"),
            models.CheckConstraint(condition=Q(total__lt=0), name="billing_credit_note_negative"),
            models.UniqueConstraint(fields=["number"], name="billing_credit_note_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class DocumentCounter(models.Model):
    """The last number given to a kind of document in a KST calendar year (SPEC 12).

    One row per (kind, year), created by the first document of the year and advanced by a whole batch in one
    statement (billing.numbers): the row lock it takes orders the issuing transactions, and a rolled-back batch
    rolls its numbers back with it, so the numbers have no gap.
    """

    kind = models.CharField(_("kind"), max_length=3, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"))

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")
        constraints = [
            # The conflict target of the allocation's INSERT ... ON CONFLICT (kind, year).
            models.UniqueConstraint(fields=["kind", "year"], name="billing_one_counter_per_kind_and_year"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}-{self.year}: {self.last}"
