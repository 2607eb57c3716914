"""Rate limits shared by the domains: who counts, and how many mails one account may cause.

Limits on actions of logged-in people count per account (a town hall shares one address behind its
NAT; one account sending a mail per click must be stopped whatever address it comes from). Anonymous
requests count per client address. Hitting a limit shows the German 429 page.
"""

from __future__ import annotations

from flask_limiter.util import get_remote_address
from flask_login import current_user

# An action that sends a mail to other people (a membership request to the approvers, a link to a new
# address, a network invitation): enough for real work, not for flooding an inbox.
MAIL_ACTION_LIMIT = "5 per 10 minutes; 30 per day"
# Coordinators invite a Kreis's Gemeinden in one sitting.
INVITATION_LIMIT = "40 per hour; 200 per day"


def account_or_address() -> str:
    """The rate-limit key: the account when someone is logged in, else the client address."""
    if current_user and current_user.is_authenticated:
        return f"konto:{current_user.id}"
    return get_remote_address()
