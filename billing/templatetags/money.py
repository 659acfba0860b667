from django import template

from billing.money import format_won

register = template.Library()


@register.filter
def won(amount: int | None) -> str:
    """``{{ invoice.total|won }}`` -> ``₩3,960`` (SPEC 11)."""
    return format_won(amount)


@register.filter
def negate(amount: int | None) -> int | None:
    """``{{ note.total|negate|intcomma }}`` after a `−₩`: the console writes a credit as a minus sign and the
    amount (`−₩55,000`)."""
    return None if amount is None else -amount
