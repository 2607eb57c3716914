"""Names and place phrases right for every row of the directory shipped in the repository
(tests/data, all 11,004 Gemeinden and 401 Kreise) and of the demo region (issue 14 item 6)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from plattform.extensions import db
from plattform.kommunen.models import KIND_LABELS_DE, Kommune
from plattform.kommunen.names import choice_label, kreis_display_name, kreis_phrase
from tests.plattform.profile.html import text

KIND_WORDS = ("Kreis", "Landkreis", "Städteregion", "Region", "Regionalverband", "Stadtkreis")
# "im" needs a masculine/neuter Kreis word in the name, "in der" a feminine one.
IM_NAME = re.compile(r"(kreis|Regionalverband)", re.IGNORECASE)
IN_DER_NAME = re.compile(r"^(Städteregion|Region) ")


@pytest.mark.parametrize(
    ("name", "kind", "display", "phrase"),
    [
        ("Düren", "kreis", "Kreis Düren", ("im", "Kreis Düren")),
        ("Städteregion Aachen", "kreis", "Städteregion Aachen", ("in der", "Städteregion Aachen")),
        ("Rhein-Erft-Kreis", "kreis", "Rhein-Erft-Kreis", ("im", "Rhein-Erft-Kreis")),
        ("Oberbergischer Kreis", "kreis", "Oberbergischer Kreis", ("im", "Oberbergischen Kreis")),
        ("Gifhorn", "landkreis", "Landkreis Gifhorn", ("im", "Landkreis Gifhorn")),
        ("Landkreis Rostock", "landkreis", "Landkreis Rostock", ("im", "Landkreis Rostock")),
        ("Region Hannover", "landkreis", "Region Hannover", ("in der", "Region Hannover")),
        ("Heidekreis", "landkreis", "Heidekreis", ("im", "Heidekreis")),
        (
            "Regionalverband Saarbrücken",
            "regionalverband",
            "Regionalverband Saarbrücken",
            ("im", "Regionalverband Saarbrücken"),
        ),
        ("Köln, Stadt", "kreisfreie-stadt", "Köln", None),
        ("Karlsruhe, Stadtkreis", "stadtkreis", "Karlsruhe", None),
    ],
)
def test_kreis_names_and_phrases(name, kind, display, phrase):
    assert kreis_display_name(name, "kreis", kind) == display
    assert kreis_phrase(name, "kreis", kind) == phrase


def test_choice_labels_say_the_kind_once():
    assert choice_label("Aach, Stadt", "gemeinde", "Stadt", "stadt") == "Aach, Stadt"
    assert choice_label("Kreuzau", "gemeinde", "Gemeinde", "gemeinde") == "Kreuzau (Gemeinde)"
    assert choice_label("Düren", "kreis", "Kreis", "kreis") == "Kreis Düren"
    assert (
        choice_label("Karlsruhe, Stadtkreis", "kreis", "Stadtkreis", "stadtkreis") == "Karlsruhe, Stadtkreis"
    )


@pytest.fixture
def full_directory(app, full_directory_path):
    from plattform.kommunen.services import import_gv_file

    return import_gv_file(full_directory_path)


def _check_every_row() -> int:
    kommunen = db.session.scalars(sa.select(Kommune).where(Kommune.active.is_(True))).all()
    kreise = {k.id: k for k in kommunen if k.ebene == "kreis"}
    checked = 0
    for k in kommunen:
        display = k.display_name
        words = [w for w in re.findall(r"[\wäöüÄÖÜß]+", display) if w in KIND_WORDS]
        assert len(words) <= 1, (k.ags, display)  # no "Kreis Städteregion Aachen", "Kreis Landkreis …"
        assert "," not in display, (k.ags, display)
        label = k.choice_label
        kind = KIND_LABELS_DE[k.kind]
        assert not label.endswith(f", {kind} ({kind})"), (k.ags, label)  # no "Aach, Stadt (Stadt)"
        assert label.count(kind) <= 1 or kind in k.short_name, (k.ags, label)
        if k.ebene != "gemeinde" or k.kreis_id is None:
            continue
        phrase = kreis.kreis_phrase if (kreis := kreise.get(k.kreis_id)) else None
        if kreis.kind in ("kreisfreie-stadt", "stadtkreis"):
            assert phrase is None, (k.ags, phrase)  # never "Kreisfreie Stadt im Köln"
            continue
        preposition, name = phrase
        sentence = f"{kind} {preposition} {name}"
        if preposition == "im":
            assert IM_NAME.search(name), sentence  # never "Gemeinde im Düren"
        else:
            assert preposition == "in der" and IN_DER_NAME.match(name), sentence
        assert not re.search(r"\b(Kreis|Landkreis) (Kreis|Landkreis|Städteregion|Region)", sentence), sentence
        checked += 1
    return checked


def test_every_row_of_the_shipped_directory(full_directory):
    assert _check_every_row() > 10_000


def test_every_row_of_the_demo_region_and_its_pages(client, demo_region):
    assert _check_every_row() > 100
    assert "Gemeinde im Kreis Düren, Nordrhein-Westfalen" in text(client.get("/kommunen/05358028").text)
    assert "Stadt in der Städteregion Aachen" in text(client.get("/kommunen/05334004").text)
    karlsruhe = text(client.get("/kommunen/08212000").text)
    assert re.search(r"(Stadtkreis|Kreisfreie Stadt), Baden-Württemberg", karlsruhe)
    assert " im Karlsruhe" not in karlsruhe


def test_pages_of_and_for_the_kreis_call_it_kreis_dueren(client, login, demo_region):
    """The Kreis row is "Düren" in the directory like the town: its page, its dashboard, its map and
    the choice of the acting Kommune say "Kreis Düren"; the town's page keeps the official name."""
    from tests.factories import MembershipFactory
    from tests.plattform.kontakte.helpers import make_world

    world = make_world()
    MembershipFactory(user=world.coordinator, kommune=world.a)  # two Kommunen: the dashboard offers a choice
    db.session.commit()
    kreis_page = client.get("/kommunen/05358").text
    assert (
        "<title>Kreis Düren" in kreis_page and '<h1 class="kern-heading-large">Kreis Düren</h1>' in kreis_page
    )
    town_page = client.get("/kommunen/05358008").text
    assert '<h1 class="kern-heading-large">Düren, Stadt</h1>' in town_page
    login(world.coordinator)
    dashboard = client.get(f"/vorschlaege/?kommune={world.kreis.id}").text
    assert '<h1 class="kern-heading-large">Vorschläge für Kreis Düren</h1>' in dashboard
    assert (
        re.search(r"<option[^>]*>Kreis Düren</option>", dashboard)
        and "Kreuzau (Gemeinde)</option>" in dashboard
    )
    assert (
        '<p class="kern-subline">Kreis Düren</p>'
        in client.get(f"/vorschlaege/karte?kommune={world.kreis.id}").text
    )
