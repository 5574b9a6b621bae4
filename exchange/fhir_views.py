"""The clinicians' page for importing a FHIR Bundle of DXA results."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from patients.access import clinician_required
from scans.models import Device

from .fhir_import import BundleError, import_bundle, read_bundle
from .views import max_upload_bytes


class FhirUploadForm(forms.Form):
    file = forms.FileField(
        label="FHIR Bundle (JSON)",
        help_text="An OsteoClinic export, or another system's Bundle of Observations with LOINC "
        "DXA codes and their DiagnosticReport.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/fhir+json"}),
    )
    device = forms.ModelChoiceField(
        label="Scanner for Observations that name none",
        queryset=Device.objects.filter(active=True),
        required=False,
    )
    checked = forms.BooleanField(
        label="Flagged results were checked against the printed reports: store them too",
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size > limit:
            raise ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}.",
                code="too_large",
            )
        self.text = upload.read()
        try:
            read_bundle(self.text)
        except BundleError as error:
            raise ValidationError(str(error), code="invalid") from None
        return upload


@clinician_required
def fhir_import(request):
    form = FhirUploadForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        outcome = import_bundle(
            text=form.text,
            user=request.user,
            device=form.cleaned_data["device"],
            checked=form.cleaned_data["checked"],
        )
    return render(request, "exchange/fhir_import.html", {"form": form, "outcome": outcome})
