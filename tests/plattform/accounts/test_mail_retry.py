"""Account mails survive a mail server that refuses for a while: retried, and delivered once."""

from __future__ import annotations

import pytest

from tests.plattform.accounts.mailbox import link_path, messages_to
from tests.plattform.accounts.test_registration import register


@pytest.fixture
def app_config(app_config):
    """Eager tasks retry in-process only when their errors are not propagated (Celery's apply())."""
    celery = {**app_config["CELERY"], "task_eager_propagates": False}
    return {**app_config, "CELERY": celery}


def test_confirmation_mail_is_retried_when_the_mail_server_refuses_and_sent_once(client, smtp_server):
    smtp_server.fail_next = 2  # the server answers 451 twice
    response = register(client)
    assert response.status_code == 302  # the person is not bothered with the outage
    mails = messages_to(smtp_server, "cdo@kreuzau.de")
    assert len(mails) == 1
    assert smtp_server.fail_next == 0  # both refusals were met, then the third attempt went through
    assert link_path(mails[0], "/konto/bestaetigen/").startswith("/konto/bestaetigen/")
