"""Password hashing with Argon2id (argon2-cffi defaults, RFC 9106 low-memory profile)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# The hash of an account made through an identity provider: never a valid Argon2 hash, so no
# password matches it (verification of an invalid hash answers False).
NO_PASSWORD = "!oidc"
# A hash verified when the e-mail is unknown, so that timing does not reveal which addresses exist.
_DUMMY_HASH = _hasher.hash("kommunalmatch-dummy-password")


def hash_password(password: str) -> str:
    """Hash a new password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time and say no."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def has_password(user) -> bool:
    """Whether the account has a password at all (accounts made through a provider have none)."""
    return bool(user.password_hash) and user.password_hash != NO_PASSWORD
