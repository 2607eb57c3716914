"""Password hashing with Argon2id (argon2-cffi defaults, RFC 9106 low-memory profile), and the check of
a new password against lists of common and breached passwords (zxcvbn's lists ship in the package:
no request leaves the host)."""

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# The hash of an account made through an identity provider: never a valid Argon2 hash, so no
# password matches it (verification of an invalid hash answers False).
NO_PASSWORD = "!oidc"


@functools.cache
def _dummy_hash() -> str:
    """A hash verified when the e-mail is unknown, so that timing does not reveal which addresses
    exist; made on first use (hashing at import cost every CLI command a third of a second)."""
    return _hasher.hash("kommunalmatch-dummy-password")


def hash_password(password: str) -> str:
    """Hash a new password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time and say no."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def has_password(user) -> bool:
    """Whether the account has a password at all (accounts made through a provider have none)."""
    return bool(user.password_hash) and user.password_hash != NO_PASSWORD


# zxcvbn estimates guessability from its shipped lists (30,000 passwords from breaches, names, words)
# and patterns (repeats, sequences, keyboard rows, dates). Score 0-1: guessed within ~10^6 tries.
MIN_STRENGTH_SCORE = 2
_ESTIMATE_CHARS = 100  # the estimate is quadratic in length; past 100 characters it adds nothing


def is_guessable(password: str, user_inputs: list[str] | None = None) -> bool:
    """Whether a new password is on the list of common/breached passwords or otherwise easy to guess."""
    from zxcvbn import zxcvbn
    from zxcvbn.matching import RANKED_DICTIONARIES

    if password.lower() in RANKED_DICTIONARIES["passwords"]:
        return True
    # The address in pieces ("anna", "kreuzau", "de"): a password made of them is easy to guess.
    inputs = [part for value in user_inputs or [] for part in re.split(r"[@.\s_+-]+", value) if part]
    return zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=inputs)["score"] < MIN_STRENGTH_SCORE
