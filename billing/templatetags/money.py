from django import template

from billing.money import format_won

register = template.Library()


@register.filter
def won(amount: int | None) -> str:
    """``{{ invoice.total|won }}`` -> ``₩3,960`` (SPEC 11)."""
    return format_won(amount)
