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
from patients.concurrency import VERSION_FIELD, EditGuardAdminMixin

from .forms import EducationPageForm
from .models import REVISED_FIELDS, EducationPage, PageRevision, PatientEducation
from .rendering import (
    READERS,
    for_reader,
    linked_slugs,
    outside_links,
    removals,
    resolve_page_links,
)
from .services import education_page_restore, page_revision_publish, page_revision_save
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
        return ", ".join(page.trigger_labels()) or "—"

    def has_delete_permission(self, request, obj=None):
        # Pages are unpublished, never deleted: patients' attachments point at them.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def revert_disabled(self, request, obj=None):
        # Restoring goes through restore_view, which shows the changes first.
        return True

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The form opens on the revision waiting to be published, if any: the editor goes on
        # from there rather than from the published text.
        request._education_edit = True
        return super().change_view(request, object_id, form_url, extra_context)

    def get_object(self, request, object_id, from_field=None):
        page = super().get_object(request, object_id, from_field)
        pending = page.pending_revision() if page is not None else None
        if getattr(request, "_education_edit", False) and request.method == "GET" and pending:
            for name in REVISED_FIELDS:
                setattr(page, name, getattr(pending, name))
        return page

    def save_model(self, request, obj, form, change):
        """An edit to a published page that stays published is kept as a pending revision;
        the status and the review record change at once."""
        form.apply_review(obj, request.user)
        stored = EducationPage.objects.get(pk=obj.pk) if change else None
        live = stored is not None and stored.is_published and obj.is_published
        if live and any(getattr(obj, name) != getattr(stored, name) for name in REVISED_FIELDS):
            values = {name: getattr(obj, name) for name in REVISED_FIELDS}
            pending = stored.pending_revision()
            if pending and values == {name: getattr(pending, name) for name in REVISED_FIELDS}:
                obj._revision = pending  # saved again as it was: still the same revision
            else:
                obj._revision = page_revision_save(page=stored, values=values, user=request.user)
            for name in REVISED_FIELDS:
                setattr(obj, name, getattr(stored, name))
            if not set(form.changed_data) - set(REVISED_FIELDS) - {VERSION_FIELD}:
                return
        super().save_model(request, obj, form, change)

    def response_change(self, request, obj):
        revision = getattr(obj, "_revision", None)
        if revision is None:
            return super().response_change(request, obj)
        self.message_user(
            request,
            "Saved as a revision waiting to be published: patients still read the published "
            "page. Check the preview and the changes below, then publish.",
        )
        return HttpResponseRedirect(self._revision_url(revision))

    def _revision_url(self, revision) -> str:
        return reverse(
            "admin:education_educationpage_revision", args=[revision.page_id, revision.pk]
        )

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
                "<path:object_id>/revisions/<int:revision_id>/",
                view(self.revision_view),
                name=f"{prefix}_revision",
            ),
            path(
                "<path:object_id>/revisions/<int:revision_id>/publish/",
                view(self.publish_view),
                name=f"{prefix}_publish",
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
        reader = _reader(request)
        context = {
            "page": page,
            "body": page.body_for(reader=reader, link_for=preview_link),
            "readers": _reader_choices(page.body, reader),
            "change_url": reverse("admin:education_educationpage_change", args=[page.pk]),
        }
        return TemplateResponse(request, "education/page_preview.html", context)

    def revision_view(self, request, object_id, revision_id):
        """A revision as the patient will see it, what the sanitizer takes out of it, and its
        changes against the published page, side by side; publish it from here."""
        page = self._page(request, object_id)
        revision = get_object_or_404(page.revisions.all(), pk=revision_id)
        reader = _reader(request)
        linked = resolve_page_links(for_reader(revision.body, None), preview_link)
        context = self._context(
            request,
            page,
            f"Revision of “{page.title}”",
            revision=revision,
            body=revision.body_for(reader=reader, link_for=preview_link),
            readers=_reader_choices(revision.body, reader),
            removals=removals(linked),
            broken_links=[
                slug for slug in linked_slugs(revision.body) if preview_link(slug) is None
            ],
            outside_links=outside_links(linked),
            changes=diff_versions(page, revision, reader=reader),
            before_label="Published page",
            after_label="This revision",
            can_publish=revision.is_pending and self.has_change_permission(request, page),
        )
        return TemplateResponse(request, "admin/education/educationpage/revision.html", context)

    def publish_view(self, request, object_id, revision_id):
        page = self._page(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(
                self._revision_url(get_object_or_404(page.revisions, pk=revision_id))
            )
        if not self.has_change_permission(request, page):
            raise PermissionDenied
        revision = get_object_or_404(page.revisions.all(), pk=revision_id)
        try:
            page_revision_publish(revision=revision, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(self._revision_url(revision))
        self.message_user(request, f"Published: patients now read this version of “{page.title}”.")
        return HttpResponseRedirect(reverse("admin:education_educationpage_change", args=[page.pk]))

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
                restored = education_page_restore(page=page, version=version, user=request.user)
            except ValidationError as error:
                self.message_user(
                    request,
                    "This version cannot be restored: " + " ".join(error.messages),
                    messages.ERROR,
                )
            else:
                when = timezone.localtime(version.history_date)
                if isinstance(restored, PageRevision):
                    self.message_user(
                        request,
                        f"The version of {when:%Y-%m-%d %H:%M} is saved as a revision waiting to "
                        "be published: patients still read the published page.",
                    )
                    return HttpResponseRedirect(self._revision_url(restored))
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


def preview_link(slug: str) -> str | None:
    """A link between pages, in the editors' preview: to the other page's preview."""
    page = EducationPage.objects.filter(slug=slug).only("pk").first()
    return reverse("admin:education_educationpage_preview", args=[page.pk]) if page else None


def _reader(request) -> str | None:
    reader = request.GET.get("reader")
    return reader if reader in READERS else None


def _reader_choices(body: str, reader: str | None) -> list[tuple[str, str, bool]]:
    """The readers a body has parts for, to preview as each: (value, label, chosen)."""
    if for_reader(body, "women") == for_reader(body, "men"):
        return []
    return [("", "Everyone (all parts)", reader is None)] + [
        (value, label, value == reader) for value, label in READERS.items()
    ]


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
