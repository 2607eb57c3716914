"""WSGI entry for gunicorn and `flask --app wsgi`."""

from plattform import create_app

app = create_app()
