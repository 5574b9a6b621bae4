from django.urls import path

from . import views

app_name = "liaison"

urlpatterns = [
    path("patients/<int:pk>/new/", views.episode_create, name="episode_create"),
    path("episodes/<int:pk>/", views.episode_detail, name="episode_detail"),
    path("episodes/<int:pk>/step/<slug:step>/", views.episode_step, name="episode_step"),
    path("episodes/<int:pk>/error/", views.episode_error, name="episode_error"),
    path("kpis/", views.kpi_page, name="kpis"),
    path("kpis/chart/<int:number>.svg", views.kpi_chart, name="kpi_chart"),
    path("kpis/export.csv", views.kpi_csv, name="kpi_csv"),
]
