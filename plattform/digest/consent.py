"""The consent texts of the weekly digest, versioned: a subscription stores the version it agreed to.

Never edit a published text; add a new version and point CURRENT_CONSENT_VERSION at it. Existing
subscriptions keep the version they confirmed (docs/digest.md says when re-consent is needed).
"""

from __future__ import annotations

from plattform.i18n import N_

CONSENT_TEXTS: dict[str, str] = {
    # The German text is the version a subscription records; the page shows it translated (N_).
    "2026-11": N_(
        "Ich möchte einmal pro Woche eine E-Mail von Kommunalmatch erhalten. Sie enthält neue "
        "Partnervorschläge für die Kommunen, für die ich handle, Kontaktanfragen, die auf eine Antwort "
        "warten, und weitere Neuigkeiten der Plattform. Gibt es nichts Neues, wird keine E-Mail "
        "versandt. Dafür speichert Kommunalmatch meine E-Mail-Adresse, den Zeitpunkt meiner "
        "Einwilligung und die Fassung dieses Textes. Ich kann die E-Mail jederzeit über den Link in "
        "jeder E-Mail oder auf der Seite „Wochen-E-Mail“ abbestellen."
    ),
}

CURRENT_CONSENT_VERSION = "2026-11"


def consent_text(version: str = CURRENT_CONSENT_VERSION) -> str:
    """The German consent text of a version (KeyError for an unknown version)."""
    return CONSENT_TEXTS[version]
