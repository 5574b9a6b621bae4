from django.urls import path

from . import import_views as transfers
from . import views

app_name = "scans"

urlpatterns = [
    path("devices/", views.device_list, name="device_list"),
    path("devices/new/", views.device_form, name="device_create"),
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
    path("devices/<int:pk>/edit/", views.device_form, name="device_edit"),
    path("devices/<int:pk>/precision/new/", views.precision_create, name="precision_create"),
    path("patient/<int:pk>/frax/new/", views.frax_create, name="frax_create"),
    path("frax/<int:pk>/error/", views.frax_error, name="frax_error"),
    path("patient/<int:pk>/new/", views.scan_create, name="scan_create"),
    path("patient/<int:pk>/chart/<str:kind>.svg", views.chart, name="chart"),
    path("<int:pk>/", views.scan_detail, name="scan_detail"),
    path("<int:pk>/edit/", views.scan_edit, name="scan_edit"),
    path("<int:pk>/review/", views.scan_review, name="scan_review"),
    path("<int:pk>/error/", views.scan_error, name="scan_error"),
    path("import/", transfers.import_upload, name="import"),
    path("import/template.csv", transfers.import_template, name="import_template"),
    path("import/<int:pk>/", transfers.import_job, name="import_job"),
    path("import/<int:pk>/confirm/", transfers.import_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", transfers.import_cancel, name="import_cancel"),
    path("import/<int:pk>/rejected.csv", transfers.import_rejects, name="import_rejects"),
    path("export.csv", transfers.export_csv, name="export_csv"),
    path("patient/<int:pk>/export.csv", transfers.export_patient_csv, name="export_patient_csv"),
    path("patient/<int:pk>/fhir.json", transfers.export_fhir, name="export_fhir"),
]
