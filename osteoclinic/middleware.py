"""Site-wide protections: security headers, no stored copies, and the staff idle timeout."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.cache import patch_cache_control

from patients.access import Role, role_of

# Only our own origin: no inline script, no third-party anything (our SVG charts are images).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Our pages may show patient data (an invitation page too, before sign-in): no browser
        # or proxy keeps a copy, so a shared clinic computer cannot show one again after
        # sign-out (Back, history). Static files are answered before this, and cached.
        patch_cache_control(response, no_store=True, private=True)
        return response


def mark_activity(request) -> None:
    """Start or renew the idle clock of this session (also called when a user signs in)."""
    request.session[IdleTimeoutMiddleware.KEY] = time.time()


class IdleTimeoutMiddleware:
    """Signs staff out after SESSION_IDLE_MINUTES without a request (a shared clinic PC)."""

    KEY = "last_activity"
    STAFF_ROLES = (Role.CLINICIAN, Role.EDITOR, Role.SUPERUSER)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and role_of(request.user) in self.STAFF_ROLES:
            now = time.time()
            last = request.session.get(self.KEY)
            if last is not None and now - last > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
                return redirect_to_login(request.get_full_path())
            # Written at most once a minute, so a busy page does not save the session each time.
            if last is None or now - last > 60:
                mark_activity(request)
        return self.get_response(request)
