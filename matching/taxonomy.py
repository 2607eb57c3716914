"""The figures of the KGSt/ÖFIT study behind the four municipality types, as constants.

Source (cite wherever these figures are shown): KGSt / ÖFIT (Kompetenzzentrum Öffentliche IT), 2020,
"Digital vorangehen. Wie sind die Kommunen digital aufgestellt? / Vier Typen von Kommunen";
survey of 412 KGSt member municipalities in Q1 2019, 325 assigned to a cluster. Tables from the
study's Tabellenanhang, transcribed by hand. The product must not read the project's study data file
at run time; ``tests/matching/test_taxonomy.py`` cross-checks every figure here against it.

Every per-type tuple is in the column order of the study and of ``vocabulary.TYPES``:
bedaechtige, optimierer, serviceorientierte, community-manager.
"""

from __future__ import annotations

import numpy as np

from matching.vocabulary import GOALS, HANDLUNGSFELDER, TOPIC_INDEX, TYPES

STUDY_CITATION_DE = (
    "KGSt/ÖFIT (2020): Digital vorangehen. Wie sind die Kommunen digital aufgestellt? "
    "Vier Typen von Kommunen."
)

# Tabelle 1: Bedeutung der Digitalisierungsziele nach Kommunentypen (Zentren der endgültigen
# Clusteranalyse). Rows: vocabulary.GOALS; columns: vocabulary.TYPES. Each respondent ranked its three
# most important goals (3/2/1 points), so a respondent's vector sums to 6; values are cluster means.
_TABLE1_BY_GOAL: dict[str, tuple[float, float, float, float]] = {
    "rechtliche-vorgaben": (2.91, 0.35, 0.35, 0.21),
    "foerdermittel": (0.24, 0.03, 0.06, 0.19),
    "effizienz": (0.91, 2.75, 1.00, 0.73),
    "leistungsangebot": (0.72, 1.08, 0.79, 0.44),
    "buergernaehe": (0.54, 0.90, 2.74, 0.63),
    "attraktivitaet": (0.22, 0.43, 0.60, 0.58),
    "daseinsvorsorge": (0.28, 0.32, 0.15, 2.52),
    "wirtschaft": (0.07, 0.03, 0.17, 0.48),
    "zivilgesellschaft": (0.00, 0.01, 0.04, 0.10),
    "innovation": (0.07, 0.05, 0.04, 0.08),
}

# GOAL_CENTRES[t, g]: centre of type t (vocabulary.TYPES order) on goal g (vocabulary.GOALS order).
GOAL_CENTRES: np.ndarray = np.array([_TABLE1_BY_GOAL[g] for g in GOALS], dtype=float).T
GOAL_CENTRES.setflags(write=False)

# Tabelle 1, "definierende Ziele": the goals that set each type apart.
DEFINING_GOALS: dict[str, tuple[str, ...]] = {
    "bedaechtige": ("rechtliche-vorgaben", "foerdermittel"),
    "optimierer": ("effizienz", "leistungsangebot"),
    "serviceorientierte": ("buergernaehe", "attraktivitaet"),
    "community-manager": ("daseinsvorsorge", "wirtschaft", "zivilgesellschaft", "innovation"),
}

# Tabelle 2: Anteile der Kommunentypen nach Art der Kommune in Prozent (each row sums to 100).
TYPE_SHARE_BY_KIND: dict[str, tuple[float, float, float, float]] = {
    "kreis": (13.6, 39.4, 33.3, 13.7),
    "stadt": (13.1, 33.0, 35.8, 18.2),
    "gemeinde": (18.1, 32.5, 36.1, 13.3),
    "alle": (14.5, 34.2, 35.4, 16.0),
}
KINDS: tuple[str, ...] = ("kreis", "stadt", "gemeinde")

# Tabelle 3: Durchschnittliche Einwohnerzahl nach Kommunentypen (gruppierte Mediane).
MEDIAN_POPULATION: dict[str, tuple[int, int, int, int]] = {
    "kreis": (135000, 178571, 183333, 135000),
    "stadt_gemeinde": (18824, 22321, 22829, 21413),
}

# The study's mottos of the four Steckbriefe.
TYPE_MOTTOS_DE: dict[str, str] = {
    "bedaechtige": "Digitalisierung gelingt nur gemeinsam!",
    "optimierer": "Eine effiziente und wirksame Verwaltung ist das A und O!",
    "serviceorientierte": "Wir l(i)eben und gestalten Service!",
    "community-manager": "Gemeinsam gestalten wir Kommune!",
}

# Steckbriefe: where each type is usually found.
TYPE_FOUND_AS_DE: dict[str, str] = {
    "bedaechtige": "häufig kleinere Stadt, Gemeinde oder Kreis",
    "optimierer": "besonders häufig ein Kreis",
    "serviceorientierte": "etwas häufiger eine Gemeinde",
    "community-manager": "am ehesten eine Stadt",
}

# Steckbriefe, "Was kann man von mir lernen?" (condensed).
PERSONA_CAN_TEACH_DE: dict[str, tuple[str, ...]] = {
    "bedaechtige": (
        "OZG-Umsetzung und Angebote von Bund/Land kennen und nachnutzen",
        "interkommunale Zusammenarbeit der öffentlichen Hand",
        "Orientierung an übergeordneten Strategien",
        "IT-Sicherheit",
        "Digitale Infrastruktur als Grundlage",
    ),
    "optimierer": (
        "Prozessinnovation",
        "E-Government-Basiskomponenten",
        "Kommunaldaten: Bestandsaufnahme, Personaleinsatzplanung, Automatisierung, Open Data",
        "Entwicklung von Digitalisierungsstrategien",
        "breites Fortbildungsangebot",
        "CDO/CIO-Rollen",
    ),
    "serviceorientierte": (
        "FIM und OZG für nutzerzentrierte Services",
        "integrierte Strategieentwicklung (Gesamtstrategie, IT-Strategie, Stadtentwicklung)",
        "Mängelmelder, Ideenmanagement, Online-Partizipation",
        "Datennutzung zur Prozessoptimierung und Personaleinsatzsteuerung",
        "Fortbildung zu Arbeitsweisen, Methoden und Führung",
    ),
    "community-manager": (
        "aktive Einbindung der örtlichen Gemeinschaft (Bürgerhaushalte, Beteiligung an Planungsverfahren)",
        "sektorübergreifendes, vernetztes Handeln",
        "Rollen (CDO) ausgestalten, Kompetenzstreitigkeiten vermeiden",
        "Glasfaserausbau mit anderen Gebietskörperschaften und Fördermitteln",
        "freies WLAN, LoRaWAN, Sharing, digitales Ehrenamt, Civic Tech, Startup-Förderung",
        "Open Data",
    ),
}

# Steckbriefe, "Was kann ich von anderen lernen?" (condensed).
PERSONA_WANTS_TO_LEARN_DE: dict[str, tuple[str, ...]] = {
    "bedaechtige": (
        "Verwaltungsdaten nutzen (Datennutzung)",
        "Glasfaserausbau (zukunftssichere technische Grundlagen)",
    ),
    "optimierer": (
        "Digitalisierung in der örtlichen Gemeinschaft",
        "Digitalisierung als Querschnitts- und Vernetzungsthema (sektorübergreifend)",
    ),
    "serviceorientierte": (
        "Bündelung der Ressourcen und Fokussierung",
        "klare Verantwortlichkeiten und Rollen",
    ),
    "community-manager": (
        "horizontale und vertikale Abstimmung mit übergeordneten Vorgaben und Konzepten "
        "(damit Investitionen nicht verloren gehen)",
    ),
}

# The persona cards above, mapped onto topic slugs (our reading of the card text, one line each).
PERSONA_CAN_TEACH: dict[str, tuple[str, ...]] = {
    # OZG/Bund-Land offers; "Orientierung an übergeordneten Strategien"; IT-Sicherheit.
    "bedaechtige": ("ozg-umsetzung", "digitalisierungsstrategie", "it-sicherheit"),
    # Prozessinnovation; Basiskomponenten (DMS, Formularserver); Kommunaldaten incl. Open Data;
    # Strategieentwicklung; Fortbildung; CDO/CIO.
    "optimierer": (
        "prozessmanagement",
        "e-akte",
        "online-formulare",
        "datenmanagement",
        "datennutzung",
        "open-data",
        "digitalisierungsstrategie",
        "fortbildung-fachverfahren",
        "cdo-rolle",
    ),
    # FIM/OZG; integrierte Strategie; Mängelmelder/Partizipation; Datennutzung; Arbeitsweisen, Führung.
    "serviceorientierte": (
        "fim",
        "ozg-umsetzung",
        "digitalisierungsstrategie",
        "maengelmelder",
        "online-beteiligung",
        "datennutzung",
        "digitale-arbeitsweisen",
        "fuehrung-digital",
    ),
    # Einbindung der Gemeinschaft; Rollen (CDO); Glasfaser; WLAN/LoRaWAN, Ehrenamt, Civic Tech,
    # Startups; Open Data; sektorübergreifend vernetzt (Smart City).
    "community-manager": (
        "online-beteiligung",
        "cdo-rolle",
        "glasfaserausbau",
        "wlan-lorawan",
        "digitales-ehrenamt",
        "civic-tech",
        "lokale-wirtschaft",
        "open-data",
        "smart-city",
    ),
}
PERSONA_WANTS_TO_LEARN: dict[str, tuple[str, ...]] = {
    "bedaechtige": ("datennutzung", "glasfaserausbau"),
    # "Digitalisierung in der örtlichen Gemeinschaft", "Querschnitts- und Vernetzungsthema".
    "optimierer": ("online-beteiligung", "lokale-wirtschaft", "smart-city"),
    # "klare Verantwortlichkeiten und Rollen".
    "serviceorientierte": ("cdo-rolle",),
    # "Abstimmung mit übergeordneten Vorgaben und Konzepten".
    "community-manager": ("digitalisierungsstrategie", "ozg-umsetzung"),
}

# Per-type shares (percent) of the topics the study measured, with the table they come from.
# Where the study reports a mean on a scale instead of a share (Tabelle 11 "Grad ... (0..3)",
# Tabelle 12 "Selbsteinschätzung (0..4)"), the mean is given as percent of the scale maximum, and the
# source string says so. Topics the study did not tabulate by type (e.g. E-Rechnung, E-Payment,
# Servicekonto, Fachverfahren like Hundesteuer) have no entry.
TOPIC_TYPE_SHARES: dict[str, tuple[tuple[float, float, float, float], str]] = {
    "ozg-umsetzung": (
        (90.9, 83.7, 95.8, 85.7),
        "Tabelle 9: OZG als prioritäres Handlungsfeld berücksichtigt",
    ),
    "fim": ((21.6, 24.2, 38.1, 24.5), "Tabelle 10: Bekanntheit FIM"),
    "e-akte": ((47.5, 62.2, 52.2, 55.8), "Tabelle 9: Dokumentenmanagementsystem (DMS/E-Akte)"),
    "chatbot": ((0.0, 3.6, 0.0, 0.0), "Tabelle 9: Chatbots"),
    "mobile-app": ((14.9, 26.1, 17.4, 17.3), "Tabelle 9: Mobile Apps"),
    # 0.76/1.27/1.06/1.14 on a 0..3 scale, as percent of 3.
    "datenmanagement": (
        (25.3, 42.3, 35.3, 38.0),
        "Tabelle 11: Grad der systematischen Bestandsaufnahme von Daten (Skala 0–3, in % von 3)",
    ),
    "datennutzung": ((14.9, 33.3, 43.5, 34.6), "Tabelle 11: Datennutzung zur Prozessoptimierung"),
    # 0.33/0.57/0.51/0.56 on a 0..3 scale, as percent of 3.
    "open-data": (
        (11.0, 19.0, 17.0, 18.7),
        "Tabelle 11: Grad der Bereitstellung offener Daten (Skala 0–3, in % von 3)",
    ),
    "digitalisierungsstrategie": ((17.0, 17.1, 12.2, 9.6), "Tabelle 5: Digitalisierungsstrategie vorhanden"),
    "cdo-rolle": ((8.5, 21.9, 13.2, 14.0), "Tabelle 7: CDO"),
    "foerdermittelakquise": ((41.3, 46.3, 43.8, 63.5), "Tabelle 13: Durch Fördermittel"),
    # The study's field of action "Sicherheit" (Table 4); the Bedächtige's card names IT-Sicherheit.
    "it-sicherheit": ((27.3, 19.3, 14.9, 7.9), "Tabelle 4: Handlungsfeld Sicherheit"),
    "fortbildung-fachverfahren": (
        (73.8, 82.9, 69.4, 71.2),
        "Tabelle 12: Fortbildung Fachverfahren und Anwendungen (angeboten)",
    ),
    "digitale-arbeitsweisen": (
        (12.5, 24.5, 13.4, 19.6),
        "Tabelle 12: Fortbildung Arbeitsweisen und Methoden (angeboten)",
    ),
    "fuehrung-digital": (
        (21.1, 27.1, 22.2, 26.0),
        "Tabelle 12: Fortbildung Führungskräfte in der Digitalisierung (angeboten)",
    ),
    # 2.26/2.44/2.38/2.20 on a 0..4 scale, as percent of 4.
    "mitarbeitendenbeteiligung": (
        (56.5, 61.0, 59.5, 55.0),
        "Tabelle 12: Selbsteinschätzung Mitarbeitendenbeteiligung (Skala 0–4, in % von 4)",
    ),
    "glasfaserausbau": ((50.0, 38.0, 45.5, 63.5), "Tabelle 13: Mit anderen Gebietskörperschaften"),
    "wlan-lorawan": ((54.4, 66.4, 65.5, 71.2), "Tabelle 14: Freies WLAN / LoRaWAN"),
    "smart-mobility": ((9.1, 18.4, 24.6, 23.5), "Tabelle 4: Handlungsfeld Verkehr und Mobilität"),
    "maengelmelder": ((45.7, 49.1, 59.3, 48.1), "Tabelle 16: Online-Mängelmelder"),
    "online-beteiligung": ((15.2, 21.8, 16.8, 30.8), "Tabelle 16: Online-Beteiligung Planungsverfahren"),
    "digitales-ehrenamt": ((8.7, 17.3, 13.3, 19.2), "Tabelle 14: Digitalisierung des Ehrenamtes"),
    "lokale-wirtschaft": ((15.2, 21.8, 20.4, 50.0), "Tabelle 14: Digitalisierung der lokalen Wirtschaft"),
    "digitalkompetenz": ((47.8, 36.4, 45.1, 51.9), "Tabelle 15: Angebote von Bibliotheken, VHS etc."),
    "civic-tech": ((0.0, 2.7, 0.9, 3.9), "Tabelle 16: Civic Tech"),
}

# Tabelle 4: share naming the field of action among its most important ones (Verwaltungshandeln: as the
# most important; Digitale Infrastruktur: among the two most important). Soziales, Ehrenamt and
# Integration were asked but not tabulated by type.
HANDLUNGSFELD_TYPE_SHARES: dict[str, tuple[float, float, float, float]] = {
    "verwaltungshandeln": (61.4, 70.0, 65.8, 44.2),
    "digitale-infrastruktur": (70.5, 62.7, 54.4, 57.7),
    "wirtschaft-handel": (11.4, 18.2, 25.4, 36.5),
    "bildung-kultur-wissenschaft": (15.9, 22.9, 27.2, 19.6),
    "verkehr-mobilitaet": (9.1, 18.4, 24.6, 23.5),
    "sicherheit": (27.3, 19.3, 14.9, 7.9),
    "energie-umwelt": (0.0, 5.5, 5.3, 7.8),
    "gesundheit-pflege": (0.0, 0.9, 0.0, 9.8),
}


def topic_share_matrix() -> tuple[np.ndarray, np.ndarray]:
    """Return (shares[4, n_topics], measured[n_topics]) so vectorised code can use the study's shares."""
    shares = np.zeros((len(TYPES), len(TOPIC_INDEX)), dtype=float)
    measured = np.zeros(len(TOPIC_INDEX), dtype=bool)
    for slug, (values, _source) in TOPIC_TYPE_SHARES.items():
        shares[:, TOPIC_INDEX[slug]] = values
        measured[TOPIC_INDEX[slug]] = True
    return shares, measured


def _check_consistency() -> None:
    """Fail at import if a slug here is not in the vocabulary, so typos cannot hide."""
    for slug in TOPIC_TYPE_SHARES:
        assert slug in TOPIC_INDEX, slug
    for mapping in (PERSONA_CAN_TEACH, PERSONA_WANTS_TO_LEARN):
        assert set(mapping) == set(TYPES)
        for slugs in mapping.values():
            for slug in slugs:
                assert slug in TOPIC_INDEX, slug
    for slug in HANDLUNGSFELD_TYPE_SHARES:
        assert slug in HANDLUNGSFELDER, slug
    for goals in DEFINING_GOALS.values():
        for g in goals:
            assert g in GOALS, g


_check_consistency()
