from patients.access import Role, role_of


def role(request):
    """The signed-in user's role, for the navigation and the "signed in as" line."""
    current = role_of(request.user)
    return {"role": current, "role_label": Role.LABELS[current]}
