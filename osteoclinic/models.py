from django.db import models


class DemoDatabase(models.Model):
    """Written by `seed_demo`: this database holds the demo clinic, so it may be reset.

    `seed_demo --reset` wipes a database only when this row is there; a clinic's database
    never has one, so its records cannot be wiped by mistake.
    """

    seeded_at = models.DateTimeField()

    class Meta:
        verbose_name = "demo database mark"

    def __str__(self):
        return f"Demo data, seeded {self.seeded_at:%Y-%m-%d %H:%M}"
