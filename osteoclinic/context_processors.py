from django.utils.functional import SimpleLazyObject

from patients.access import Role, role_of
from patients.models import ClinicDetails


def role(request):
    """The signed-in user's role, for the navigation and the "signed in as" line; the clinic's
    details, read only by the pages that show them (the portal's)."""
    current = role_of(request.user)
    return {
        "role": current,
        "role_label": Role.LABELS[current],
        "clinic": SimpleLazyObject(ClinicDetails.current),
    }
