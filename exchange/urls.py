"""Addresses of what crosses the clinic's edge; the scan import and exports keep theirs."""

from django.urls import path

from . import fhir_views
from . import inbound_views as inbound
from . import views as transfers

app_name = "exchange"

urlpatterns = [
    path("scans/import/", transfers.import_upload, name="import"),
    path("scans/import/template.csv", transfers.import_template, name="import_template"),
    path("scans/import/<int:pk>/", transfers.import_job, name="import_job"),
    path("scans/import/<int:pk>/confirm/", transfers.import_confirm, name="import_confirm"),
    path("scans/import/<int:pk>/cancel/", transfers.import_cancel, name="import_cancel"),
    path("scans/import/<int:pk>/rejected.csv", transfers.import_rejects, name="import_rejects"),
    path("scans/export.csv", transfers.export_csv, name="export_csv"),
    path(
        "scans/patient/<int:pk>/export.csv", transfers.export_patient_csv, name="export_patient_csv"
    ),
    path("scans/patient/<int:pk>/fhir.json", transfers.export_fhir, name="export_fhir"),
    path("exchange/fhir/import/", fhir_views.fhir_import, name="fhir_import"),
    path("exchange/inbound/", inbound.inbound_list, name="inbound_list"),
    path("exchange/inbound/<int:pk>/", inbound.inbound_detail, name="inbound_detail"),
    path("exchange/inbound/<int:pk>/process/", inbound.inbound_process, name="inbound_process"),
]
