"""``{% load messages_extra %}`` ... ``{{ message|change_set_url }}``: the page of the change set
a message's action wrote (``core.views.say`` puts it in the message's tags), or ""."""

from django import template
from django.urls import reverse

from core.views import CHANGE_SET_TAG

register = template.Library()


@register.filter
def change_set_url(message) -> str:
    for tag in str(getattr(message, "extra_tags", "") or "").split():
        if tag.startswith(CHANGE_SET_TAG):
            return reverse("audit:change_set", args=[tag[len(CHANGE_SET_TAG) :]])
    return ""
