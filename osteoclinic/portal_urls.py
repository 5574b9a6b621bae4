from django.urls import path

from . import portal

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("chart/<str:kind>.svg", portal.chart, name="chart"),
    path("education/<int:pk>/", portal.education_page, name="education"),
    path("symptoms/", portal.symptoms, name="symptoms"),
    path("symptoms/chart.svg", portal.pain_chart, name="pain_chart"),
    path("access/", portal.access_log, name="access_log"),
    path("messages/", portal.messages_page, name="messages"),
    path("emails/", portal.notifications_page, name="notifications"),
]
