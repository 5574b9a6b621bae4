from django.urls import path

from . import views

app_name = "education"

# The editors' pages are in the Django admin (admin.py); these are the record page's forms.
urlpatterns = [
    path("patient/<int:pk>/attach/", views.attach, name="attach"),
    path("attachment/<int:pk>/detach/", views.detach, name="detach"),
]
