"""Sign-in audit rows (django-axes) in the admin: read, never deleted by hand.

The sign-in and sign-out log is pruned only by `manage.py prune_signin_audit`, which keeps
SIGNIN_AUDIT_RETENTION_DAYS and writes down what it removed. Access attempts are the lockout's
counters, not the audit: deleting one is how an administrator lifts a lockout.
"""

from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog, AccessLog
from django.contrib import admin


class KeptAccessLogAdmin(AccessLogAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


class KeptAccessFailureLogAdmin(AccessFailureLogAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


for model, model_admin in (
    (AccessLog, KeptAccessLogAdmin),
    (AccessFailureLog, KeptAccessFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
