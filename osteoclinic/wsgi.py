"""WSGI entry point (gunicorn osteoclinic.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osteoclinic.settings")
application = get_wsgi_application()
