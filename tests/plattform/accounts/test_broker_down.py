"""With the Celery broker unreachable, account mails are sent from the web request instead."""

from __future__ import annotations

import pytest

from tests import services
from tests.plattform.accounts.mailbox import link_path, messages_to
from tests.plattform.accounts.test_registration import register


@pytest.fixture
def app_config(app_config):
    """A Redis broker on a port where nothing listens; publishing gives up at once."""
    return services.with_unreachable_broker(app_config)


def test_registration_mail_arrives_although_the_broker_is_down(client, smtp_server):
    response = register(client)
    assert response.status_code == 302
    (mail,) = messages_to(smtp_server, "cdo@kreuzau.de")
    assert link_path(mail, "/konto/bestaetigen/").startswith("/konto/bestaetigen/")
