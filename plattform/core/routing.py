"""URL converters: `<int:…>` only matches ids that fit the id columns, so larger ones answer 404."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, ValidationError

# Every id column is sa.Integer: int4 on PostgreSQL. A larger value names no row, and binding it raises
# DataError ("integer out of range"); SQLite raises OverflowError beyond 2**63 - 1.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` capped at PostgreSQL's integer range: a larger number does not match (404)."""

    def to_python(self, value: str) -> int:
        """The number, or no match when it exceeds MAX_ID."""
        number = super().to_python(value)
        if number > MAX_ID:
            raise ValidationError()
        return number
