from django.urls import path

from . import views

app_name = "patients"

# The patient list and record pages combine several apps: they are `patient_list` and
# `patient_record` in osteoclinic.
urlpatterns = [
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/history/", views.patient_history, name="history"),
    path("<int:pk>/fractures/new/", views.fracture_create, name="fracture_create"),
    path("fractures/<int:fracture_pk>/edit/", views.fracture_edit, name="fracture_edit"),
    path("fractures/<int:fracture_pk>/error/", views.fracture_error, name="fracture_error"),
    path("<int:pk>/heights/new/", views.height_create, name="height_create"),
    path("heights/<int:height_pk>/edit/", views.height_edit, name="height_edit"),
    path("heights/<int:height_pk>/error/", views.height_error, name="height_error"),
    path("<int:pk>/treatments/new/", views.treatment_create, name="treatment_create"),
    path("treatments/<int:treatment_pk>/edit/", views.treatment_edit, name="treatment_edit"),
    path("treatments/<int:treatment_pk>/error/", views.treatment_error, name="treatment_error"),
    path("<int:pk>/portal/invite/", views.portal_invite, name="portal_invite"),
    path("<int:pk>/portal/revoke/", views.portal_revoke, name="portal_revoke"),
    path(
        "invitation/<str:uidb64>/<str:token>/",
        views.invitation_accept,
        name="invitation_accept",
    ),
    path("<int:pk>/caregivers/invite/", views.caregiver_invite, name="caregiver_invite"),
    path("caregivers/<int:grant_pk>/revoke/", views.caregiver_revoke, name="caregiver_revoke"),
    path("<int:pk>/messages/", views.messages_thread, name="messages"),
    path("<int:pk>/messages/done/", views.messages_done, name="messages_done"),
    path("<int:pk>/symptoms/new/", views.symptom_create, name="symptom_create"),
    path(
        "symptoms/<int:report_pk>/acknowledge/",
        views.symptom_acknowledge,
        name="symptom_acknowledge",
    ),
]
