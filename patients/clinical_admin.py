"""How the admin treats a clinical record: every page of it is logged, nothing is deleted.

Changelists write one access-log entry for each patient listed on the page; the change and
history pages one for the record's patient (a refusal too, as on the site's own pages).
Nobody deletes a clinical record here, superusers included: "entered in error" is the way out,
and the history keeps every version.
"""

from simple_history.admin import SimpleHistoryAdmin

from .admin_inputs import NamedInputsMixin
from .audit import log_access_many, records_access
from .models import AccessAction


class ClinicalRecordAdmin(NamedInputsMixin, SimpleHistoryAdmin):
    # The attribute path from a listed object to its patient's id.
    patient_path = "patient_id"

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def patient_id_of(self, obj) -> int:
        value = obj
        for name in self.patient_path.split("__"):
            value = getattr(value, name)
        return value

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and response.status_code == 200:
            ids = [self.patient_id_of(obj) for obj in changelist.result_list]
            log_access_many(request, ids, AccessAction.ADMIN)
        return response

    def _logged(self, view, request, object_id, *args, **kwargs):
        # The admin's object_id names the record, as a URL argument names it on the site.
        logged = records_access(AccessAction.ADMIN, self.model, "object_id")(
            lambda request, object_id: view(request, object_id, *args, **kwargs)
        )
        return logged(request, object_id=object_id)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._logged(super().change_view, request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        return self._logged(super().history_view, request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return self._logged(
            super().history_form_view, request, object_id, version_id, extra_context
        )
