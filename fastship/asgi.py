"""ASGI entry point served by gunicorn's uvicorn workers in production."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastship.settings")
# Under ASGI, database connections come from Django's bounded psycopg pool.
os.environ.setdefault("FASTSHIP_ASGI", "1")

from django.core.asgi import get_asgi_application

application = get_asgi_application()
