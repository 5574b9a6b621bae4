"""The site's URLs plus one page nobody put in the access table."""

from django.http import HttpResponse
from django.urls import path

from osteoclinic.urls import urlpatterns as site_patterns

urlpatterns = [
    *site_patterns,
    path("forgotten/", lambda request: HttpResponse("oops"), name="forgotten_page"),
]
