"""`{{ name|unicode_name }}`: group and domain names, and account IDs, as people write them (issue 12)."""

from django import template

from workspaces.validators import unicode_name as to_unicode

register = template.Library()


@register.filter
def unicode_name(value) -> str:
    return to_unicode(str(value)) if value else value
