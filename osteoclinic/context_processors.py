from django.utils.functional import SimpleLazyObject

from patients.access import Role, role_of
from patients.models import CaregiverGrant, ClinicDetails


def role(request):
    """The signed-in user's role, for the navigation and the "signed in as" line; on a portal
    page, the patient it acts for (a caregiver sees whom they are helping); the clinic's
    details, read only by the pages that show them (the portal's)."""
    current = role_of(request.user)

    def helps_others() -> bool:
        # Asked by the navigation of a patient only (a patient may help another).
        return CaregiverGrant.objects.active().filter(caregiver=request.user).exists()

    return {
        "role": current,
        "role_label": Role.LABELS[current],
        "portal_subject": getattr(request, "portal_subject", None),
        "portal_helps_others": helps_others,
        "clinic": SimpleLazyObject(ClinicDetails.current),
    }
