"""The sign-in forms: Django's, with the username's length actually enforced."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError


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
