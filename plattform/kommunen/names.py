"""How a Kommune is named in running German text: the Kreis with its kind word ("Kreis Düren", never
"Kreis Städteregion Aachen"), the place phrase of a Gemeinde ("im Kreis Düren", "in der Städteregion
Aachen", "im Oberbergischen Kreis"), and one label per row for choice lists ("Aach, Stadt", never
"Aach, Stadt (Stadt)").

The names come from Destatis as they are: Kreise mostly without their kind ("Düren", kind "kreis"),
some with it ("Rhein-Erft-Kreis", "Region Hannover", "Landkreis Rostock", "Regionalverband
Saarbrücken"), kreisfreie Städte with a suffix ("Köln, Stadt", "Karlsruhe, Stadtkreis").
"""

from __future__ import annotations

import re

# Words that already say what kind of Kreis a name is: the kind word is then not put in front.
_KIND_WORDS = re.compile(r"kreis|region|verband", re.IGNORECASE)
# Feminine names take "in der" (die Städteregion, die Region); the rest "im" (der Kreis, der Verband).
_FEMININE_PREFIXES = ("Städteregion ", "Region ")
# "Oberbergischer Kreis" → dative "Oberbergischen Kreis" (an adjective before "Kreis" is declined).
_ADJECTIVE_KREIS = re.compile(r"^(\S+)er Kreis$")
KREIS_LEVEL_CITY_KINDS = ("kreisfreie-stadt", "stadtkreis")


def short_name(name: str) -> str:
    """The name without Destatis' suffix (", Stadt", ", Landeshauptstadt")."""
    return name.split(",")[0].strip()


def kreis_display_name(name: str, ebene: str, kind: str) -> str:
    """'Kreis Düren', 'Landkreis Gifhorn', 'Städteregion Aachen', 'Rhein-Erft-Kreis', 'Köln' (a city's
    Kreis row), a Gemeinde's short name: unambiguous in a sentence, never two kind words."""
    short = short_name(name)
    if ebene == "kreis" and kind in ("kreis", "landkreis") and not _KIND_WORDS.search(short):
        return f"{'Landkreis' if kind == 'landkreis' else 'Kreis'} {short}"
    return short


def listed_name(name: str, ebene: str, kind: str) -> str:
    """How headings and tables name a row: a Gemeinde by its official name ('Düren, Stadt'), a Kreis
    with its kind word ('Kreis Düren'), never the bare 'Düren' for both."""
    return kreis_display_name(name, ebene, kind) if ebene == "kreis" else name


def kreis_phrase(name: str, ebene: str, kind: str) -> tuple[str, str] | None:
    """(preposition, name in the dative) that places a Gemeinde in this Kreis: ("im", "Kreis Düren"),
    ("in der", "Städteregion Aachen"), ("im", "Oberbergischen Kreis"); None for the Kreis row of a
    kreisfreie Stadt (the city is not "im Köln")."""
    if ebene != "kreis" or kind in KREIS_LEVEL_CITY_KINDS:
        return None
    display = kreis_display_name(name, ebene, kind)
    if display.startswith(_FEMININE_PREFIXES):
        return ("in der", display)
    adjective = _ADJECTIVE_KREIS.match(display)
    if adjective:
        return ("im", f"{adjective.group(1)}en Kreis")
    return ("im", display)


def choice_label(name: str, ebene: str, kind_label: str, kind: str) -> str:
    """One label per row for choice lists: 'Kreuzau (Gemeinde)', 'Aach, Stadt' (its suffix already
    says it), 'Kreis Düren', 'Städteregion Aachen', 'Karlsruhe, Stadtkreis'."""
    if ebene == "kreis":
        if kind in KREIS_LEVEL_CITY_KINDS:
            return name if "," in name else f"{name} ({kind_label})"
        return kreis_display_name(name, ebene, kind)
    if "," in name:
        return name
    return f"{name} ({kind_label})"
