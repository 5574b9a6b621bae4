"""The editors' workplace: education pages in the admin, with preview, diff and restore.

Editors ("Education editors" group) may add, change and view pages, never delete them: a page
is unpublished instead. Patients' attachments are clinical data, for superusers only.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from patients.clinical_admin import ClinicalRecordAdmin
from patients.concurrency import EditGuardAdminMixin

from .forms import EducationPageForm
from .models import EducationPage, PatientEducation
from .services import education_page_restore
from .triggers import TRIGGER_CHOICES
from .versions import diff_versions


class TriggerFilter(admin.SimpleListFilter):
    title = "finding"
    parameter_name = "finding"

    def lookups(self, request, model_admin):
        return TRIGGER_CHOICES

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        if connection.features.supports_json_field_contains:
            return queryset.filter(triggers__contains=[code])
        # SQLite has no JSON containment: a clinic has tens of pages, so look in Python.
        return queryset.filter(pk__in=[p.pk for p in queryset if code in p.triggers])


class ReviewDueFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue"),
            ("soon", "Due within 90 days"),
            ("unset", "No review date"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.filter(review_due__lt=today)
        if self.value() == "soon":
            return queryset.filter(
                review_due__gte=today, review_due__lte=today + timezone.timedelta(days=90)
            )
        if self.value() == "unset":
            return queryset.filter(review_due__isnull=True)
        return queryset


@admin.register(EducationPage)
class EducationPageAdmin(EditGuardAdminMixin, SimpleHistoryAdmin):
    form = EducationPageForm
    list_display = ("title", "status", "audience", "findings", "order", "review_due", "updated_at")
    list_filter = ("status", "audience", TriggerFilter, ReviewDueFilter)
    search_fields = ("title", "slug", "summary", "body")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("reviewed_by", "reviewed_at")
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "body")}),
        ("Audience and findings", {"fields": ("audience", "status", "triggers", "order")}),
        ("Review", {"fields": ("mark_reviewed", "reviewed_by", "reviewed_at", "review_due")}),
    )
    object_history_list_template = "admin/education/educationpage/history_list.html"

    @admin.display(description="findings it answers")
    def findings(self, page):
        return ", ".join(page.triggers) or "—"

    def has_delete_permission(self, request, obj=None):
        # Pages are unpublished, never deleted: patients' attachments point at them.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def revert_disabled(self, request, obj=None):
        # Restoring goes through restore_view, which shows the changes first.
        return True

    def save_model(self, request, obj, form, change):
        form.apply_review(obj, request.user)
        super().save_model(request, obj, form, change)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/preview/",
                view(self.preview_view),
                name=f"{prefix}_preview",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/diff/",
                view(self.diff_view),
                name=f"{prefix}_diff",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                view(self.restore_view),
                name=f"{prefix}_restore",
            ),
            *super().get_urls(),
        ]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history's form would save a POST even with revert disabled.
        if request.method == "POST":
            raise PermissionDenied("Restore a version from the page's history.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- Custom views -------------------------------------------------------------------

    def _page(self, request, object_id) -> EducationPage:
        page = self.get_object(request, object_id)
        if page is None:
            raise Http404("No such education page.")
        if not self.has_view_or_change_permission(request, page):
            raise PermissionDenied
        return page

    def _context(self, request, page, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": page,
            "page": page,
            "title": title,
            "has_change_permission": self.has_change_permission(request, page),
            **extra,
        }

    def preview_view(self, request, object_id):
        """The page as the patient will see it: the portal's partial in the site's layout."""
        page = self._page(request, object_id)
        context = {
            "page": page,
            "change_url": reverse("admin:education_educationpage_change", args=[page.pk]),
        }
        return TemplateResponse(request, "education/page_preview.html", context)

    def diff_view(self, request, object_id, version_id):
        """One version against the one before it (or against ?against=<version id>)."""
        page = self._page(request, object_id)
        versions = page.history.all()
        version = get_object_or_404(versions, history_id=version_id)
        against = request.GET.get("against")
        if against and against.isdigit():
            older = get_object_or_404(versions, history_id=int(against))
        else:
            older = version.prev_record
        context = self._context(
            request,
            page,
            f"Changes in “{page.title}”",
            version=version,
            older=older,
            changes=diff_versions(older, version),
            can_restore=self.has_change_permission(request, page)
            and version.history_id != page.history.latest().history_id,
        )
        return TemplateResponse(request, "admin/education/educationpage/diff.html", context)

    def restore_view(self, request, object_id, version_id):
        """Confirm (GET) and restore (POST) a version; the restore is itself a new version."""
        page = self._page(request, object_id)
        if not self.has_change_permission(request, page):
            raise PermissionDenied
        version = get_object_or_404(page.history.all(), history_id=version_id)
        history_url = reverse("admin:education_educationpage_history", args=[page.pk])
        changes = diff_versions(page, version)
        if request.method == "POST" and not changes:
            self.message_user(
                request, "That version is the same as the current page: nothing to restore."
            )
            return HttpResponseRedirect(history_url)
        if request.method == "POST":
            try:
                education_page_restore(page=page, version=version, user=request.user)
            except ValidationError as error:
                self.message_user(
                    request,
                    "This version cannot be restored: " + " ".join(error.messages),
                    messages.ERROR,
                )
            else:
                when = timezone.localtime(version.history_date)
                self.message_user(request, f"The version of {when:%Y-%m-%d %H:%M} is restored.")
            return HttpResponseRedirect(history_url)
        context = self._context(
            request,
            page,
            f"Restore an earlier version of “{page.title}”",
            version=version,
            changes=changes,
            history_url=history_url,
        )
        return TemplateResponse(request, "admin/education/educationpage/restore.html", context)


@admin.register(PatientEducation)
class PatientEducationAdmin(ClinicalRecordAdmin):
    """Patient data: for superusers only, never for editors (even if given permissions)."""

    list_display = ("page", "patient", "source", "finding_code", "status", "first_viewed_at")
    list_filter = ("status", "source")
    list_select_related = ("page", "patient")
    search_fields = ("patient__mrn", "patient__family_name", "page__title")
    raw_id_fields = ("patient", "page", "added_by")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False
