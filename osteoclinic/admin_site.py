"""The admin site: Django's, with a "view on site" link that cannot be used to probe ids."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404
from django.urls import path


class ClinicAdminSite(admin.AdminSite):
    def get_urls(self):
        urls = super().get_urls()
        # Django's /admin/r/<type>/<id>/ redirects to any object's page for any staff member,
        # and answers 404 only when the object does not exist: an editor could tell which
        # patient and scan ids exist. Ours answers 404 unless this user may view the object.
        ours = path(
            "r/<int:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [ours if getattr(url, "name", None) == "view_on_site" else url for url in urls]

    def view_on_site(self, request, content_type_id, object_id):
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist:
            model = None
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            raise Http404("No such object.")
        obj = model_admin.get_object(request, object_id)
        if obj is None or not model_admin.has_view_or_change_permission(request, obj):
            raise Http404("No such object.")
        return shortcut(request, content_type_id, object_id)
