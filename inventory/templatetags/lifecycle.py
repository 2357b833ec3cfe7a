"""``{% load lifecycle %}`` ... ``{% if d.status|can:"block" %}``: pages offer a DID only the
moves that ``inventory.lifecycle``'s table has for its status."""

from django import template

from inventory import lifecycle

register = template.Library()


@register.filter
def can(status, trigger):
    return lifecycle.can(status, trigger)
