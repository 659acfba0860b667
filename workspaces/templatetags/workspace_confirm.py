"""`<form ... {{ person|confirm_member_remove }}>`: the data attributes of a destructive action's question."""

from django import template

from workspaces import confirmations

register = template.Library()


@register.filter
def confirm_member_remove(member):
    return confirmations.member_remove(member).attrs()


@register.filter
def confirm_unit_remove(unit):
    return confirmations.unit_remove(unit).attrs()


@register.filter
def confirm_group_remove(group):
    return confirmations.group_remove(group).attrs()


@register.simple_tag
def confirm_rename():
    return confirmations.rename().attrs()
