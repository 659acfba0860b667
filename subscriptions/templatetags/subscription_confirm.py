"""`<form ... {{ subscription|confirm_withdraw_conversion }}>`: the data attributes of a withdrawal's question."""

from django import template

from subscriptions import confirmations

register = template.Library()


@register.filter
def confirm_withdraw_conversion(subscription):
    return confirmations.withdraw_conversion(subscription).attrs()


@register.filter
def confirm_withdraw_cancellation(subscription):
    return confirmations.withdraw_cancellation(subscription).attrs()
