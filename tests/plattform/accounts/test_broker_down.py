"""With the Celery broker unreachable, account mails are sent from the web request instead."""

from __future__ import annotations

import pytest

from tests import services
from tests.plattform.accounts.mailbox import link_path, messages_to
from tests.plattform.accounts.test_registration import register


@pytest.fixture
def app_config(app_config):
    """A Redis broker on a port where nothing listens; publishing gives up at once."""
    celery = {
        **app_config["CELERY"],
        "task_always_eager": False,
        "broker_url": f"redis://127.0.0.1:{services.free_port()}/0",
        "task_publish_retry": False,
        "broker_connection_retry": False,
        "broker_connection_max_retries": 0,
        "broker_transport_options": {"max_retries": 0, "socket_connect_timeout": 1},
    }
    return {**app_config, "CELERY": celery}


def test_registration_mail_arrives_although_the_broker_is_down(client, smtp_server):
    response = register(client)
    assert response.status_code == 302
    (mail,) = messages_to(smtp_server, "cdo@kreuzau.de")
    assert link_path(mail, "/konto/bestaetigen/").startswith("/konto/bestaetigen/")
