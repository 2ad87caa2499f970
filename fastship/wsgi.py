"""WSGI entry point (runserver and WSGI servers); the ASGI one is for production."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastship.settings")

application = get_wsgi_application()
