"""Caregiver access in the portal: the patient chooses who helps them and ends it; a caregiver
accepts an invitation and chooses which patient they are helping.

Which patient each portal page acts for is decided by `patients.access.portal_subject`.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from patients import caregivers
from patients.access import (
    PORTAL_CHOICE,
    patient_required,
    portal_choices,
    portal_choose,
    refuse_on_behalf,
)
from patients.audit import records_access
from patients.forms import CaregiverInviteForm
from patients.models import AccessAction, CaregiverGrant, GrantChannel
from patients.submissions import once_per_token, submission_save


def _grants(patient):
    return patient.caregiver_grants.select_related("caregiver").order_by(
        "revoked_at", "-created_at"
    )


@records_access(AccessAction.CAREGIVERS, None)
@patient_required
@once_per_token
def caregivers_page(request, patient):
    """Who can see my portal: invite a caregiver, see each grant, end one."""
    refuse_on_behalf(request)  # only the patient decides who sees their portal
    form = CaregiverInviteForm(request.POST if request.method == "POST" else None, patient=patient)
    if request.method == "POST" and form.is_valid():

        def save():
            grant = caregivers.caregiver_invite(
                patient=patient,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                relationship=form.cleaned_data["relationship"],
                channel=GrantChannel.PATIENT,
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
            )
            messages.success(request, f"An invitation is on its way to {grant.email}.")
            return request.path

        if location := submission_save(request, form=form, save=save):
            return redirect(location)
    context = {"patient": patient, "form": form, "grants": list(_grants(patient))}
    return render(request, "osteoclinic/portal_caregivers.html", context)


@records_access(AccessAction.CAREGIVERS, CaregiverGrant)
@require_POST
@patient_required
def caregiver_revoke(request, patient, pk):
    refuse_on_behalf(request)  # only the patient decides who sees their portal
    grant = get_object_or_404(CaregiverGrant.objects.filter(patient=patient), pk=pk)
    grant = caregivers.caregiver_revoke(grant=grant, user=request.user)
    messages.success(request, f"{grant.name} no longer has access to your portal.")
    return redirect("portal:caregivers")


@login_required
def choose(request):
    """A caregiver chooses whose portal to open (their own too, for a patient who helps)."""
    choices = portal_choices(request.user)
    if not choices:
        raise Http404("No portal is open to this account.")
    if request.method == "POST":
        try:
            chosen = portal_choose(request, int(request.POST.get("patient", "")))
        except ValueError:
            chosen = None
        if chosen is not None:
            return redirect("portal:home")
        messages.error(request, "Choose one of the people listed.")
    chosen_pk = request.session.get(PORTAL_CHOICE)
    context = {"choices": choices, "chosen_pk": chosen_pk}
    return render(request, "osteoclinic/portal_choose.html", context)


class CaregiverSignUpForm(UserCreationForm):
    """A caregiver's own account: their name, a username and a password."""

    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)

    class Meta(UserCreationForm.Meta):
        fields = ("first_name", "last_name", "username")


def caregiver_invitation(request, gidb64, token):
    """The link in the invitation: sign up, or accept with the account one is signed in to."""
    grant = caregivers.invitation_grant(gidb64, token)
    if grant is None:
        return render(request, "patients/invitation_invalid.html", status=410)
    user = request.user
    signed_in = user.is_authenticated
    form = (
        None
        if signed_in
        else CaregiverSignUpForm(request.POST if request.method == "POST" else None)
    )
    refusal = None
    if signed_in and not caregivers.may_be_caregiver(user, grant):
        refusal = (
            "You are signed in with an account that cannot be a caregiver (a staff account, or "
            "the patient's own). Sign out, then open the link again to create a personal account."
        )
    if request.method == "POST" and refusal is None and (signed_in or form.is_valid()):
        try:
            with transaction.atomic():
                if not signed_in:
                    user = form.save(commit=False)
                    user.email = grant.email
                    user.save()
                grant = caregivers.caregiver_accept(grant=grant, user=user)
        except caregivers.CaregiverRefused as refused:
            refusal = str(refused)
        else:
            if not signed_in:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            portal_choose(request, grant.patient_id)
            messages.success(
                request, f"You can now help {grant.patient.full_name} with their portal."
            )
            return redirect("portal:home")
    context = {"grant": grant, "form": form, "refusal": refusal}
    return render(request, "osteoclinic/caregiver_invitation.html", context)
