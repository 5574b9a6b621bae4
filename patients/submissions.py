"""A form sent twice (a double click, a resend after a slow answer) saves once.

Each create form carries a one-time token. The request that saves claims the token in the same
transaction as the record it makes; the token is unique, so a second request with the same
token waits for the first to commit, finds the token claimed and is sent where the first was
sent: to the record it made.

A save that a unique constraint refuses because someone else saved the same thing at the same
moment (two clinicians adding one MRN, one scan twice) does not end in an error page: the form
is validated again, now sees the other record, and says so next to the field.
"""

import functools
import secrets
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect

from .models import Submission

TOKEN_FIELD = "submission_token"
TOKEN_MAX_LENGTH = 64


def new_token() -> str:
    return secrets.token_urlsafe(24)


class OnceMixin:
    """For create forms: a hidden one-time token, fresh each time the empty form is shown."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[TOKEN_FIELD] = forms.CharField(
            widget=forms.HiddenInput,
            required=False,
            max_length=TOKEN_MAX_LENGTH,
            initial=new_token,
        )


def _claim(token: str, user) -> tuple[Submission | None, str | None]:
    """(our claim, None) for the first use of `token`; (None, where it went) for a repeat."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None, None
    try:
        with transaction.atomic():
            return Submission.objects.create(token=token, user=user), None
    except IntegrityError:
        # The first request has committed (the unique index made us wait for it).
        earlier = Submission.objects.filter(token=token).first()
        if earlier is None or earlier.user_id != getattr(user, "pk", None):
            return None, None
        return None, earlier.location


def _earlier(request) -> str | None:
    token = request.POST.get(TOKEN_FIELD, "")
    if not token:
        return None
    earlier = Submission.objects.filter(token=token, user_id=request.user.pk).first()
    return earlier.location if earlier is not None else None


ALREADY_SENT = "That form had already been sent: it was saved once, shown here."


def once_per_token(view):
    """For a view with a create form: a POST whose token was already used goes where the
    first use went, before the form is validated again (it would now find its own record)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and (earlier := _earlier(request)) is not None:
            messages.info(request, ALREADY_SENT)
            return redirect(earlier)
        return view(request, *args, **kwargs)

    return wrapped


def submission_save(request, *, save: Callable[[], str | None], form=None) -> str | None:
    """Run `save` once per token in one transaction; the address to go to, or None when the
    form (validated again after a unique clash, or stopped by `save`) has to be shown."""
    token = request.POST.get(TOKEN_FIELD, "")
    try:
        with transaction.atomic():
            claim, earlier = _claim(token, request.user)
            if earlier is not None:
                messages.info(request, ALREADY_SENT)
                return earlier
            location = save()
            if location is None:
                transaction.set_rollback(True)
                return None
            if claim is not None:
                claim.location = location[:300]
                claim.save(update_fields=["location"])
    except IntegrityError:
        if form is None or _valid_now(form):
            raise
        return None
    return location


def _valid_now(form) -> bool:
    # The clash was with a row committed meanwhile: the form's own checks now see it.
    form.full_clean()
    return form.is_valid()
