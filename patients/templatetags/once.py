"""`{% submission_token %}`: the one-time token of a create form that has no form class."""

from django import template
from django.utils.html import format_html

from ..submissions import TOKEN_FIELD, new_token

register = template.Library()


@register.simple_tag
def submission_token():
    return format_html('<input type="hidden" name="{}" value="{}">', TOKEN_FIELD, new_token())
