from django.urls import path

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
]
