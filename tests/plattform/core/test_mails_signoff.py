"""One sign-off for all mails: every mail template (text and HTML) and every mail built in code ends
with templates/mail/_signoff.*, in the recipient's language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from jinja2 import ChainableUndefined

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"


def mail_templates() -> list[str]:
    """Every template that is the body of a mail (not the partials and layouts it is built from)."""
    found = set(TEMPLATES.glob("*/mail/*.txt")) | set(TEMPLATES.glob("*/mail/*.html"))
    found |= set(TEMPLATES.glob("*/*mail*.txt")) | set(TEMPLATES.glob("*/*mail*.html"))
    names = sorted(str(p.relative_to(TEMPLATES)) for p in found if not p.name.startswith("_"))
    return [n for n in names if n != "accounts/email.html"]  # the page to change the address


# Values the templates format as numbers or dates; everything else renders as empty.
CONTEXT = {
    "hours": 72,
    "minutes": 60,
    "days": 7,
    "since_local": datetime(2026, 11, 30, 7, tzinfo=UTC),
    "confirmed_local": None,
    "digest": SimpleNamespace(week_number=49, sections=[], user=SimpleNamespace(name="Frau Beispiel")),
    "user": SimpleNamespace(name="Frau Beispiel"),
    "event": "gesendet",
}


def render(app, name: str, lang: str) -> str:
    env = app.jinja_env.overlay(undefined=ChainableUndefined)
    with app.test_request_context(), force_locale(lang):
        return env.get_template(name).render(membership_role_label=lambda role: "", **CONTEXT)


def test_there_are_mail_templates_of_every_domain():
    names = mail_templates()
    assert {n.split("/")[0] for n in names} >= {"accounts", "digest", "kontakte"}
    assert len(names) >= 20


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_mail_template_renders_the_same_signoff(app, lang):
    with app.test_request_context(), force_locale(lang):
        text = app.jinja_env.get_template("mail/_signoff.txt").render().strip()
        html = app.jinja_env.get_template("mail/_signoff.html").render().strip()
    assert text.splitlines() == (
        ["Freundliche Grüße", "Ihr Kommunalmatch-Team"]
        if lang == "de"
        else ["Kind regards", "Your Kommunalmatch team"]
    )
    for name in mail_templates():
        body = render(app, name, lang)
        signoff = text if name.endswith(".txt") else html
        assert body.count(signoff) == 1, name
        for other in ("Mit freundlichen Grüßen", "Yours sincerely", "Best regards"):
            assert other not in body, (name, other)


def test_mails_built_in_code_end_with_the_signoff(app, monkeypatch):
    from plattform.core.mail import signoff_text
    from plattform.netzwerke import services as netzwerke
    from plattform.projekte import notices

    with app.test_request_context(), force_locale("de"):
        letter = notices.letter(SimpleNamespace(name="Frau Beispiel"), "Neu.", "http://x/", "Ansehen")
        assert letter.rstrip().endswith(signoff_text().strip())
        sent = []
        monkeypatch.setattr(netzwerke, "send_message", sent.append)
        einladung = SimpleNamespace(
            email="a@b.de", token="t", kommune=None, netzwerk=SimpleNamespace(name="kdvz")
        )
        netzwerke.send_invitation_mail(einladung)
        assert sent[0].get_content().rstrip().endswith(signoff_text().strip())
