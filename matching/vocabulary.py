"""Canonical vocabulary (slugs) of Kommunalmatch, fixed by the design notes.

Slugs are the contract of every data format, API and test; labels are German UI text.
The study's figures that belong to these slugs live in ``matching.taxonomy``.
"""

from __future__ import annotations

from dataclasses import dataclass

# The study's four clusters, in the column order of every table of KGSt/ÖFIT 2020.
TYPES: tuple[str, ...] = ("bedaechtige", "optimierer", "serviceorientierte", "community-manager")
TYPE_LABELS_DE: dict[str, str] = {
    "bedaechtige": "Die Bedächtigen",
    "optimierer": "Die Optimierer",
    "serviceorientierte": "Die Serviceorientierten",
    "community-manager": "Die Community Manager",
}

# The ten digitalisation goals of the type test, in the row order of the study's Table 1.
GOALS: tuple[str, ...] = (
    "rechtliche-vorgaben",
    "foerdermittel",
    "effizienz",
    "leistungsangebot",
    "buergernaehe",
    "attraktivitaet",
    "daseinsvorsorge",
    "wirtschaft",
    "zivilgesellschaft",
    "innovation",
)
GOAL_LABELS_DE: dict[str, str] = {
    "rechtliche-vorgaben": "Rechtliche Vorgaben umsetzen",
    "foerdermittel": "Fördermittel erhalten",
    "effizienz": "Effizienz und Effektivität der Verwaltung erhöhen",
    "leistungsangebot": "Leistungsangebot der Verwaltung erhöhen",
    "buergernaehe": "Bürgernahe und offene Verwaltung stärken",
    "attraktivitaet": "Attraktivität der Kommune stärken",
    "daseinsvorsorge": "Kommunale Daseinsvorsorge weiterentwickeln",
    "wirtschaft": "Wirtschaft fördern",
    "zivilgesellschaft": "Zivilgesellschaftliches Engagement fördern",
    "innovation": "Innovationen fördern",
}

# The eleven fields of action (Handlungsfelder), in the study's order.
HANDLUNGSFELDER: tuple[str, ...] = (
    "verwaltungshandeln",
    "digitale-infrastruktur",
    "sicherheit",
    "verkehr-mobilitaet",
    "bildung-kultur-wissenschaft",
    "wirtschaft-handel",
    "gesundheit-pflege",
    "energie-umwelt",
    "soziales",
    "ehrenamt-engagement",
    "integration",
)
HANDLUNGSFELD_LABELS_DE: dict[str, str] = {
    "verwaltungshandeln": "Verwaltungshandeln",
    "digitale-infrastruktur": "Digitale Infrastruktur",
    "sicherheit": "Sicherheit",
    "verkehr-mobilitaet": "Verkehr und Mobilität",
    "bildung-kultur-wissenschaft": "Bildung, Kultur, Wissenschaft",
    "wirtschaft-handel": "Wirtschaft und Handel",
    "gesundheit-pflege": "Gesundheit und Pflege",
    "energie-umwelt": "Energie und Umwelt",
    "soziales": "Soziales",
    "ehrenamt-engagement": "Ehrenamt und gesellschaftliches Engagement",
    "integration": "Integration",
}


@dataclass(frozen=True)
class Topic:
    """A topic a Kommune can teach (Stärke), wants to learn (Bedarf) or works on (Projekt)."""

    slug: str
    label_de: str
    group: str


TOPIC_GROUPS: tuple[str, ...] = (
    "E-Government",
    "Daten",
    "Strategie und Steuerung",
    "Mitarbeitende",
    "Infrastruktur",
    "Örtliche Gemeinschaft",
    "Fachverfahren",
)

_TOPIC_ROWS: tuple[tuple[str, str, str], ...] = (
    ("ozg-umsetzung", "OZG und EfA-Nachnutzung", "E-Government"),
    ("fim", "Föderales Informationsmanagement (FIM)", "E-Government"),
    ("e-akte", "DMS/E-Akte", "E-Government"),
    ("e-rechnung", "E-Rechnung", "E-Government"),
    ("online-formulare", "Formularserver mit Workflow", "E-Government"),
    ("e-payment", "E-Payment", "E-Government"),
    ("servicekonto-eid", "Servicekonto/BundID, eID", "E-Government"),
    ("chatbot", "Chatbot", "E-Government"),
    ("mobile-app", "Mobile App", "E-Government"),
    ("prozessmanagement", "Prozessmanagement", "E-Government"),
    ("datenmanagement", "Datenmanagement (systematische Bestandsaufnahme)", "Daten"),
    ("datennutzung", "Datennutzung (Prozessoptimierung, Personaleinsatzplanung, Automatisierung)", "Daten"),
    ("open-data", "Open Data", "Daten"),
    ("digitalisierungsstrategie", "Digitalisierungsstrategie", "Strategie und Steuerung"),
    ("cdo-rolle", "Rollen und Governance (CDO/CIO)", "Strategie und Steuerung"),
    ("foerdermittelakquise", "Fördermittelakquise", "Strategie und Steuerung"),
    ("innovative-vergabe", "Innovative Vergabe", "Strategie und Steuerung"),
    ("it-sicherheit", "IT-Sicherheit", "Strategie und Steuerung"),
    ("fortbildung-fachverfahren", "Fortbildung zu Fachverfahren", "Mitarbeitende"),
    ("digitale-arbeitsweisen", "Arbeitsweisen und Methoden", "Mitarbeitende"),
    ("fuehrung-digital", "Führung in der Digitalisierung", "Mitarbeitende"),
    ("digitallotsen", "Digitallotsen", "Mitarbeitende"),
    ("mitarbeitendenbeteiligung", "Beteiligung der Mitarbeitenden", "Mitarbeitende"),
    ("glasfaserausbau", "Glasfaserausbau", "Infrastruktur"),
    ("wlan-lorawan", "Freies WLAN, LoRaWAN, Sensorik", "Infrastruktur"),
    ("smart-mobility", "Smart Mobility (Verkehrsfluss, Parkraum)", "Infrastruktur"),
    ("maengelmelder", "Mängelmelder, Ideenmanagement", "Örtliche Gemeinschaft"),
    (
        "online-beteiligung",
        "Online-Beteiligung (Bürgerhaushalt, Planung, Befragungen)",
        "Örtliche Gemeinschaft",
    ),
    ("digitales-ehrenamt", "Digitales Ehrenamt", "Örtliche Gemeinschaft"),
    ("lokale-wirtschaft", "Digitalisierung der lokalen Wirtschaft, Startups", "Örtliche Gemeinschaft"),
    (
        "digitalkompetenz",
        "Digitalkompetenz (VHS, Bibliotheken, Makerspaces, Hackathons)",
        "Örtliche Gemeinschaft",
    ),
    ("civic-tech", "Civic Tech", "Örtliche Gemeinschaft"),
    ("smart-city", "Smart City", "Örtliche Gemeinschaft"),
    ("hundesteuer-digital", "Hundesteuer digital", "Fachverfahren"),
    ("bauantrag-digital", "Digitaler Bauantrag", "Fachverfahren"),
    ("kita-anmeldung", "Kita-Anmeldung online", "Fachverfahren"),
    ("gewerbe-digital", "Gewerbe-An-/Ummeldung digital", "Fachverfahren"),
)

TOPICS: tuple[Topic, ...] = tuple(Topic(*row) for row in _TOPIC_ROWS)
TOPIC_SLUGS: tuple[str, ...] = tuple(t.slug for t in TOPICS)
TOPIC_INDEX: dict[str, int] = {slug: i for i, slug in enumerate(TOPIC_SLUGS)}
TOPIC_LABELS_DE: dict[str, str] = {t.slug: t.label_de for t in TOPICS}

PROJECT_STATUSES: tuple[str, ...] = ("geplant", "laufend", "abgeschlossen")
OPEN_FOR: tuple[str, ...] = ("lernpartnerschaft", "gemeinsames-projekt", "nachnutzung")
OPEN_FOR_LABELS_DE: dict[str, str] = {
    "lernpartnerschaft": "Lernpartnerschaft",
    "gemeinsames-projekt": "Gemeinsames Projekt",
    "nachnutzung": "Nachnutzung",
}
LEVELS: tuple[int, ...] = (1, 2, 3)

# English labels (the interface's second language); same keys as the German ones.
TOPIC_LABELS_EN: dict[str, str] = {
    "ozg-umsetzung": "OZG and EfA reuse",
    "fim": "Federal Information Management (FIM)",
    "e-akte": "Document management / e-files",
    "e-rechnung": "E-invoicing",
    "online-formulare": "Form server with workflow",
    "e-payment": "E-payment",
    "servicekonto-eid": "Service account/BundID, eID",
    "chatbot": "Chatbot",
    "mobile-app": "Mobile app",
    "prozessmanagement": "Process management",
    "datenmanagement": "Data management (systematic inventory)",
    "datennutzung": "Data use (process optimisation, staff planning, automation)",
    "open-data": "Open data",
    "digitalisierungsstrategie": "Digitalisation strategy",
    "cdo-rolle": "Roles and governance (CDO/CIO)",
    "foerdermittelakquise": "Acquiring funding",
    "innovative-vergabe": "Innovative procurement",
    "it-sicherheit": "IT security",
    "fortbildung-fachverfahren": "Training in specialist software",
    "digitale-arbeitsweisen": "Ways of working and methods",
    "fuehrung-digital": "Leadership in digitalisation",
    "digitallotsen": "Digital guides",
    "mitarbeitendenbeteiligung": "Staff participation",
    "glasfaserausbau": "Fibre rollout",
    "wlan-lorawan": "Free Wi-Fi, LoRaWAN, sensors",
    "smart-mobility": "Smart mobility (traffic flow, parking)",
    "maengelmelder": "Issue reporting, ideas management",
    "online-beteiligung": "Online participation (citizens' budget, planning, surveys)",
    "digitales-ehrenamt": "Digital volunteering",
    "lokale-wirtschaft": "Digitalising local business, start-ups",
    "digitalkompetenz": "Digital skills (adult education, libraries, makerspaces, hackathons)",
    "civic-tech": "Civic tech",
    "smart-city": "Smart city",
    "hundesteuer-digital": "Dog tax online",
    "bauantrag-digital": "Digital building application",
    "kita-anmeldung": "Online nursery registration",
    "gewerbe-digital": "Business registration online",
}
TYPE_LABELS_EN: dict[str, str] = {
    "bedaechtige": "The Deliberate",
    "optimierer": "The Optimisers",
    "serviceorientierte": "The Service-Oriented",
    "community-manager": "The Community Managers",
}

HANDLUNGSFELD_LABELS_EN: dict[str, str] = {
    "verwaltungshandeln": "Administrative action",
    "digitale-infrastruktur": "Digital infrastructure",
    "sicherheit": "Security",
    "verkehr-mobilitaet": "Transport and mobility",
    "bildung-kultur-wissenschaft": "Education, culture, science",
    "wirtschaft-handel": "Business and trade",
    "gesundheit-pflege": "Health and care",
    "energie-umwelt": "Energy and environment",
    "soziales": "Social affairs",
    "ehrenamt-engagement": "Volunteering and civic engagement",
    "integration": "Integration",
}
OPEN_FOR_LABELS_EN: dict[str, str] = {
    "lernpartnerschaft": "Learning partnership",
    "gemeinsames-projekt": "Joint project",
    "nachnutzung": "Reuse",
}
GOAL_LABELS_EN: dict[str, str] = {
    "rechtliche-vorgaben": "Implement legal requirements",
    "foerdermittel": "Obtain funding",
    "effizienz": "Make the administration more efficient and effective",
    "leistungsangebot": "Extend the administration's services",
    "buergernaehe": "Strengthen a citizen-oriented, open administration",
    "attraktivitaet": "Make the municipality more attractive",
    "daseinsvorsorge": "Develop municipal public services",
    "wirtschaft": "Promote the economy",
    "zivilgesellschaft": "Promote civic engagement",
    "innovation": "Promote innovation",
}
# Keyed by the German group name (the group is stored as its German name in TOPICS).
TOPIC_GROUP_LABELS_EN: dict[str, str] = {
    "E-Government": "E-government",
    "Daten": "Data",
    "Strategie und Steuerung": "Strategy and steering",
    "Mitarbeitende": "Staff",
    "Infrastruktur": "Infrastructure",
    "Örtliche Gemeinschaft": "Local community",
    "Fachverfahren": "Specialist procedures",
}


def topic_label(slug: str, language: str = "de") -> str:
    """A topic's label in German or English (the slug itself if unknown)."""
    labels = TOPIC_LABELS_EN if language == "en" else TOPIC_LABELS_DE
    return labels.get(slug, slug)


def type_label(slug: str, language: str = "de") -> str:
    """A type's label in German or English (the slug itself if unknown)."""
    labels = TYPE_LABELS_EN if language == "en" else TYPE_LABELS_DE
    return labels.get(slug, slug)
