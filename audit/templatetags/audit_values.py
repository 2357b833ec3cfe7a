"""``{% load audit_values %}`` ... ``{% for k, v in r.before_shown|audit_fields %}``: a change
log record's before or after as bounded (key, value) pairs (``audit.display``)."""

from django import template

from audit import display

register = template.Library()


@register.filter
def audit_fields(shown):
    return display.fields(shown)
