"""factory_boy factories for rows the tests need (users, memberships, Kommunen)."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from plattform.accounts.models import KommuneMembership, User
from plattform.accounts.passwords import hash_password
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune, Land

PASSWORD = "Sicheres-Passwort-2026"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashing once keeps the suite fast


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@kommune{n}.de")
    name = factory.Sequence(lambda n: f"Person {n}")
    funktion = "Digitalisierungsbeauftragte"
    password_hash = _PASSWORD_HASH
    email_confirmed_at = factory.LazyFunction(utcnow)
    is_admin = False


class LandFactory(BaseFactory):
    class Meta:
        model = Land
        sqlalchemy_get_or_create = ("schluessel",)

    schluessel = "05"
    name = "Nordrhein-Westfalen"


class KommuneFactory(BaseFactory):
    """A Gemeinde with coordinates; pass ebene='kreis' and a 5-digit ags for a Kreis."""

    class Meta:
        model = Kommune

    ags = factory.Sequence(lambda n: f"05{n:06d}")
    ebene = "gemeinde"
    name = factory.Sequence(lambda n: f"Testgemeinde {n}")
    name_search = factory.LazyAttribute(lambda o: o.name.lower())
    kind = "gemeinde"
    land = factory.SubFactory(LandFactory)
    population = 12000
    lat = 50.8
    lon = 6.5


class MembershipFactory(BaseFactory):
    class Meta:
        model = KommuneMembership

    user = factory.SubFactory(UserFactory)
    kommune = factory.SubFactory(KommuneFactory)
    role = "mitglied"
    status = "bestaetigt"
