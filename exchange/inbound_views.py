"""Clinicians' pages for results received by HL7 v2: the inbound list and one message."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from patients.access import clinician_required
from patients.audit import records_access
from patients.models import AccessAction, Patient

from . import hl7v2
from .inbound import inbound_process_again, pending_warnings
from .models import InboundMessage, InboundStatus

PAGE_SIZE = 50
SEX = {"F": "female", "M": "male"}


class InboundFilterForm(forms.Form):
    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("attention", "Waiting or in error"), ("all", "Every message")],
    )


class ProcessForm(forms.Form):
    mrn = forms.CharField(
        label="Match to the patient with MRN",
        required=False,
        max_length=32,
        help_text="Leave empty to keep the patient found from PID-3.",
    )
    confirm = forms.BooleanField(
        label="Checked against the printed report: the values are right",
        required=False,
    )

    def __init__(self, *args, warnings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings = list(warnings)
        if not self.warnings:
            del self.fields["confirm"]

    def clean_mrn(self):
        mrn = self.cleaned_data["mrn"].strip()
        if not mrn:
            return None
        patient = Patient.objects.filter(mrn=mrn).first()
        if patient is None:
            raise forms.ValidationError(
                f"No patient has the MRN {mrn}: check it, or add the patient first.",
                code="unknown_mrn",
            )
        return patient


@clinician_required
def inbound_list(request):
    form = InboundFilterForm(request.GET)
    show = form.cleaned_data.get("show") if form.is_valid() else ""
    found = InboundMessage.objects.select_related("patient", "scan")
    if show != "all":
        found = found.needing_attention()
    page = Paginator(found.defer("raw"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "show": show or "attention"}
    return render(request, "exchange/inbound_list.html", context)


def _readable(inbound: InboundMessage) -> dict:
    """The message as a clinician reads it: what it says, or why it cannot be read."""
    try:
        message = hl7v2.parse(inbound.raw)
    except hl7v2.MessageError as error:
        return {"problem": str(error)}
    try:
        result = hl7v2.read_result(message)
    except hl7v2.MessageError as error:
        return {"problem": str(error), "segments": [str(s) for s in message]}
    return {"result": result, "segments": [str(s) for s in message]}


def _new_patient_url(result: hl7v2.Result | None) -> str:
    if result is None:
        return reverse("patients:create")
    mrn = next((i.value for i in result.identifiers if i.kind.upper() == "MR"), "")
    details = {
        "mrn": mrn or result.identifiers[0].value,
        "family_name": result.family_name,
        "given_name": result.given_name,
        "date_of_birth": f"{result.birth_date:%Y-%m-%d}" if result.birth_date else "",
        "sex": SEX.get(result.sex.upper(), ""),
    }
    return reverse("patients:create") + "?" + urlencode({k: v for k, v in details.items() if v})


def _detail(request, inbound: InboundMessage, form: ProcessForm | None = None):
    readable = _readable(inbound)
    warnings = pending_warnings(inbound)
    context = {
        "inbound": inbound,
        "form": form or ProcessForm(warnings=warnings),
        "warnings": warnings,
        "new_patient_url": _new_patient_url(readable.get("result")),
        **readable,
    }
    return render(request, "exchange/inbound_detail.html", context)


@records_access(AccessAction.SCAN, model=InboundMessage)
@clinician_required
def inbound_detail(request, pk):
    inbound = get_object_or_404(InboundMessage.objects.select_related("patient", "scan"), pk=pk)
    return _detail(request, inbound)


@records_access(AccessAction.FORM, model=InboundMessage)
@clinician_required
@require_POST
def inbound_process(request, pk):
    inbound = get_object_or_404(InboundMessage.objects.select_related("patient"), pk=pk)
    warnings = pending_warnings(inbound)
    form = ProcessForm(request.POST, warnings=warnings)
    if not form.is_valid():
        return _detail(request, inbound, form)
    confirm = warnings if form.cleaned_data.get("confirm") else None
    inbound = inbound_process_again(
        inbound=inbound, user=request.user, patient=form.cleaned_data["mrn"], confirm=confirm
    )
    if inbound.status == InboundStatus.STORED:
        messages.success(request, inbound.reason)
    else:
        messages.warning(request, f"{inbound.get_status_display()}: {inbound.reason}")
    return redirect(inbound.get_absolute_url())
