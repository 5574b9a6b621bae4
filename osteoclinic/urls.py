from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .signin import AdminSignInForm, PasswordResetView, SignInForm

admin.site.site_header = "OsteoClinic administration"
admin.site.site_title = "OsteoClinic"
admin.site.index_title = "Records and education pages"
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<int:pk>/", views.patient_record, name="patient_record"),
    path("patients/<int:pk>/summary/", views.patient_summary, name="patient_summary"),
    path("patients/", include("patients.urls")),
    path("scans/", include("scans.urls")),
    path("", include("exchange.urls")),
    path("education/", include("education.urls")),
    path("liaison/", include("liaison.urls")),
    path("portal/", include("osteoclinic.portal_urls")),
    path("jobs/", include("jobs.urls")),
    path("admin/", admin.site.urls),
]
