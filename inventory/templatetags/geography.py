"""``{% load geography %}`` ... ``{{ d.number|intl }}``, ``{{ d.number|place }}``: a DID shown
in international format, and where it is (``inventory.geography``); the stored form stays as
entered."""

from django import template

from inventory import geography

register = template.Library()


@register.filter
def intl(number):
    return geography.place(number or "").international


@register.filter
def place(number):
    return geography.place(number or "")
