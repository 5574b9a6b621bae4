from django.urls import path

from . import portal, portal_caregivers

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("chart/<str:kind>.svg", portal.chart, name="chart"),
    path("education/<int:pk>/", portal.education_page, name="education"),
    path("pages/<slug:slug>/", portal.library_page, name="page"),
    path("symptoms/", portal.symptoms, name="symptoms"),
    path("symptoms/chart.svg", portal.pain_chart, name="pain_chart"),
    path("access/", portal.access_log, name="access_log"),
    path("caregivers/", portal_caregivers.caregivers_page, name="caregivers"),
    path(
        "caregivers/<int:pk>/revoke/", portal_caregivers.caregiver_revoke, name="caregiver_revoke"
    ),
    path("choose/", portal_caregivers.choose, name="choose"),
    path(
        "caregiver-invitation/<str:gidb64>/<str:token>/",
        portal_caregivers.caregiver_invitation,
        name="caregiver_invitation",
    ),
    path("messages/", portal.messages_page, name="messages"),
    path("emails/", portal.notifications_page, name="notifications"),
]
