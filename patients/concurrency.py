"""Two clinicians editing one record at once: no change is ever lost silently.

An edit form carries the record's `updated_at` as it was when the form was opened. Saving
locks the row and compares. If someone saved in between, the two edits are merged field by
field against the version both started from (kept in the record's history): a field only
one of them changed takes that change. Only when both changed the same field differently is
the form shown again, with a message naming those fields, for a deliberate second save.
"""

import datetime

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError

VERSION_FIELD = "loaded_version"


def version_of(instance) -> str:
    return instance.updated_at.isoformat() if instance.updated_at else ""


class EditGuardMixin:
    """For ModelForms of models with `updated_at` and history: remembers the opened version.

    Every edit form of the site uses it; the view (or service) calls `changed_since_opened`
    inside the transaction that saves."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[VERSION_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        if self.instance.pk:
            self.fields[VERSION_FIELD].initial = version_of(self.instance)


class _GuardedModelForm(EditGuardMixin, forms.ModelForm):
    pass


class EditGuardAdminMixin:
    """For ModelAdmins: the same guard on the admin's change form, checked as the form is
    validated (the admin validates and saves in one transaction)."""

    form = _GuardedModelForm
    edit_guard_merge = True  # False where inlines change too (a scan's measurements)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        fields = [name for _, options in fieldsets for name in options["fields"]]
        if obj is None or VERSION_FIELD in fields:
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": (*options["fields"], VERSION_FIELD)}), *rest]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Declared on the base, so that the admin's form, built from the fieldsets' names,
        # has the field the fieldsets now name.
        version = forms.CharField(widget=forms.HiddenInput, required=False)
        kwargs["form"] = type(self.form.__name__, (self.form,), {VERSION_FIELD: version})
        form = super().get_form(request, obj, change=change, **kwargs)
        merge = self.edit_guard_merge

        def clean(bound):
            cleaned = form.clean(bound)
            if bound.instance.pk is not None and not bound.errors:
                changed_since_opened(bound, merge=merge)
            return cleaned

        return type(form.__name__, (form,), {"clean": clean})


def _opened_snapshot(current, loaded: str):
    try:
        when = datetime.datetime.fromisoformat(loaded)
    except ValueError:
        return None
    return current.history.filter(updated_at=when).order_by("-history_id").first()


def changed_since_opened(form, *, merge: bool = True) -> bool:
    """Inside a transaction: lock the stored row; True (with a message on the form) when a
    save now would overwrite someone else's change to the same field."""
    instance = form.instance
    if instance.pk is None:
        return False
    current = type(instance).objects.select_for_update().get(pk=instance.pk)
    loaded = form.cleaned_data.get(VERSION_FIELD) or ""
    if not loaded or loaded == version_of(current):
        return False
    names = [name for name in form.fields if name != VERSION_FIELD and name in form.cleaned_data]
    names = [name for name in names if _stored(current, name) is not _ABSENT]
    base = _opened_snapshot(current, loaded) if merge else None
    if base is not None:
        clashes = []
        for name in names:
            mine, theirs, was = (
                form.cleaned_data[name],
                _stored(current, name),
                _stored(base, name),
            )
            if mine == was:
                # Only they changed it: keep theirs (cleaned_data too, for the admin's form,
                # which builds the instance from it after this check).
                setattr(instance, name, theirs)
                form.cleaned_data[name] = theirs
            elif theirs != was and theirs != mine:
                clashes.append(name)
        if not clashes:
            return False
        detail = "both of you changed " + ", ".join(_label(form, name) for name in clashes)
    else:
        # No version to merge against: every field where their value differs from yours.
        clashes = [name for name in names if form.cleaned_data[name] != _stored(current, name)]
        detail = "their change and yours cannot be combined automatically"
    who = ""
    latest = current.history.select_related("history_user").first()
    if latest is not None and latest.history_user is not None:
        who = f" by {latest.history_user.get_username()}"
    form.add_error(
        None,
        ValidationError(
            f"This record was changed by someone else{who} at {current.updated_at:%H:%M:%S} "
            f"since you opened it, and {detail}. Review their change (see the history), "
            "then save again to keep your values.",
            code="stale",
        ),
    )
    for name in clashes:
        # Next to the field: what the other person saved; the box still holds what you typed.
        form.add_error(
            name,
            ValidationError(
                f"Saved meanwhile{who}: {_shown(form, name, _stored(current, name))}. "
                "Yours is kept in the box.",
                code="stale_field",
            ),
        )
    # The form now carries the newer version: saving again, after review, is deliberate.
    form.data = form.data.copy()
    form.data[form.add_prefix(VERSION_FIELD)] = version_of(current)
    return True


_ABSENT = object()


def _stored(record, name):
    # A form field that is not a model field (a tick box that acts on save) has no stored value.
    try:
        record._meta.get_field(name)
    except FieldDoesNotExist:
        return _ABSENT
    return getattr(record, name, _ABSENT)


def _label(form, name: str) -> str:
    return str(form.fields[name].label or name)


def _shown(form, name: str, value) -> str:
    """The stored value as the form's field would name it."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "ticked" if value else "not ticked"
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    if hasattr(value, "pk"):
        return str(value)
    choices = dict(getattr(form.fields[name], "flatchoices", None) or [])
    if not choices:
        choices = dict(getattr(form.fields[name], "choices", None) or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(item, item)) for item in value)
    return f"“{choices.get(value, value)}”"
