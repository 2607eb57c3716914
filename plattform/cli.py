"""The `kommunalmatch` console script: the same commands as `flask --app wsgi …`."""

from flask.cli import FlaskGroup

from plattform import create_app


def main() -> None:
    """Run the Flask CLI bound to the app factory."""
    FlaskGroup(create_app=create_app)()
