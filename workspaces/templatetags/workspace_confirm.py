"""`<form ... {{ person|confirm:"member_remove" }}>`: the data attributes of a destructive action's question."""

from django import template

from works_console.confirm import confirm_filter
from workspaces import confirmations

register = template.Library()
register.filter("confirm", confirm_filter(confirmations.QUESTIONS))
