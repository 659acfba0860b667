"""`<form ... {{ subscription|confirm:"withdraw_conversion" }}>`: the data attributes of a withdrawal's question."""

from django import template

from subscriptions import confirmations
from works_console.confirm import confirm_filter

register = template.Library()
register.filter("confirm", confirm_filter(confirmations.QUESTIONS))
