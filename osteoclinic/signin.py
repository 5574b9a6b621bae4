"""The sign-in forms and the password reset page: Django's, with the username's length
enforced and reset emails rate-limited."""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django_ratelimit.core import is_ratelimited

from patients.client_ip import client_ip


class UsernameLengthMixin:
    # Django sets the username field's max_length without a validator, so an over-long name
    # reached authenticate() and the lockout's log (255 characters on PostgreSQL). It is
    # refused first, with the same message as any wrong username.
    def clean_username(self):
        username = self.cleaned_data.get("username", "")
        if len(username) > self.username_field.max_length:
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
        return username


class SignInForm(UsernameLengthMixin, AuthenticationForm):
    pass


class AdminSignInForm(UsernameLengthMixin, AdminAuthenticationForm):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, sending at most so many emails an hour to one address and from one
    client (the reset link is a way to flood an inbox, or to probe which addresses exist)."""

    def form_valid(self, form):
        request = self.request
        if is_ratelimited(
            request,
            group="password-reset-client",
            key=lambda _group, req: client_ip(req) or "unknown",
            rate=f"{settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR}/h",
            increment=True,
        ):
            form.add_error(
                None,
                "Too many reset links were asked for from here in the last hour: wait an hour, "
                "or ask the clinic to reset your password.",
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        address = form.cleaned_data["email"].strip().lower()
        if is_ratelimited(
            request,
            group="password-reset-address",
            key=lambda _group, _req: address,
            rate=f"{settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR}/h",
            increment=True,
        ):
            # The same answer as a sent link: the page never tells whether an address exists.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
