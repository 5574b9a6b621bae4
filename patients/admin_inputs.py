"""Every input of an admin page has a name a screen reader can say (WCAG 2.2 AA 1.3.1, 4.1.2).

Django's admin labels each field once: a date-and-time field is two inputs under one label that
points at neither, and a tabular inline has column headings but no label on its inputs.
"""

from django import forms
from django.contrib import admin


def name_inputs(formfield, *, each: bool = False):
    """Name a date-and-time field's two inputs; with `each`, name a single input too."""
    if formfield is None:
        return formfield
    widget = getattr(formfield.widget, "widget", formfield.widget)  # a related-field wrapper
    label = str(formfield.label)
    if isinstance(widget, forms.SplitDateTimeWidget):
        for part, subwidget in zip(("date", "time"), widget.widgets, strict=True):
            subwidget.attrs.setdefault("aria-label", f"{label}: {part}")
    elif each:
        widget.attrs.setdefault("aria-label", label)
    return formfield


class NamedInputsMixin:
    """For a ModelAdmin: its date-and-time fields name their two inputs."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return name_inputs(super().formfield_for_dbfield(db_field, request, **kwargs))


class NamedTabularInline(admin.TabularInline):
    """A tabular inline whose every input is named by its column's label."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        return name_inputs(formfield, each=True)
