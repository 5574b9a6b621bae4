"""Display helpers for densitometry numbers: real minus signs and signed changes."""

from django import template

from scans.rules.basics import MINUS, format_score

register = template.Library()


@register.filter
def score(value):
    """A T- or Z-score to one decimal with a real minus sign."""
    return "—" if value is None else format_score(float(value))


@register.filter
def signed(value, places=3):
    """A change with its sign: +0.012 or −0.045."""
    if value is None:
        return "—"
    text = f"{float(value):+.{int(places)}f}"
    return text.replace("-", MINUS)
