"""The patient list's filters: the record's own ones plus the stored reading of the scans."""

from django import forms

from patients.forms import PatientListForm
from scans.rules.diagnosis import WhoCategory, ZCategory, who_label, z_label


class ClinicPatientListForm(PatientListForm):
    NO_SCAN = "none"
    category = forms.ChoiceField(
        label="Latest scan",
        required=False,
        choices=[
            ("", "Any result"),
            *((c.value, who_label(c)) for c in WhoCategory),
            *((c.value, f"Z-score: {z_label(c).lower()}") for c in ZCategory),
            (NO_SCAN, "No scan yet"),
        ],
    )
    significant_loss = forms.BooleanField(
        label="Significant loss on the latest scan", required=False
    )
    overdue = forms.BooleanField(label="Scan overdue", required=False)

    def patients(self, patients, *, today):
        """Searched, filtered and sorted, with each patient's stored reading."""
        patients = super().patients(patients).select_related("bone_status")
        options = self.cleaned_data
        if options.get("category") == self.NO_SCAN:
            patients = patients.filter(bone_status__latest_scan_date__isnull=True)
        elif options.get("category"):
            patients = patients.filter(bone_status__category=options["category"])
        if options.get("significant_loss"):
            patients = patients.filter(bone_status__significant_loss=True)
        if options.get("overdue"):
            patients = patients.filter(bone_status__next_due__lt=today)
        return patients
