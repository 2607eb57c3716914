"""Paging of list endpoints: ``page`` and ``per_page`` (at most 100), a ``Link`` header (RFC 8288) with
first/prev/next/last, and the body envelope ``{"items": [...], "page", "per_page", "total"}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import jsonify, request

from plattform.api.problems import field_error, validation_error
from plattform.extensions import db

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Paging:
    """The requested page."""

    page: int
    per_page: int

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.per_page


def _positive_int(name: str, default: int, maximum: int, errors: list[dict]) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit():
        errors.append(field_error(name, f"{name} muss eine ganze Zahl ab 1 sein."))
        return default
    value = int(raw)
    if not 1 <= value <= maximum:
        errors.append(field_error(name, f"{name} muss zwischen 1 und {maximum} liegen."))
        return default
    return value


def paging_from_request(errors: list[dict] | None = None) -> Paging:
    """Read page and per_page; invalid values are a 422 (or appended to ``errors`` when given)."""
    collect = errors if errors is not None else []
    page = _positive_int("page", 1, MAX_PAGE, collect)
    per_page = _positive_int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE, collect)
    if errors is None and collect:
        raise validation_error(collect)
    return Paging(page, per_page)


def page_of_query(stmt: sa.Select, paging: Paging) -> tuple[list, int]:
    """One page of a SELECT and the total number of rows."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(stmt.limit(paging.per_page).offset(paging.offset)))
    return rows, total


def page_of_list(items: Sequence, paging: Paging) -> tuple[list, int]:
    """One page of an already loaded list."""
    return list(items[paging.offset : paging.offset + paging.per_page]), len(items)


def _link(page: int, per_page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    args["per_page"] = [str(per_page)]
    return f"{request.base_url}?{urlencode(args, doseq=True)}"


def paged_response(
    rows: list, total: int, paging: Paging, serialize: Callable[[Any], dict], extra: dict | None = None
):
    """The envelope with a Link header pointing to the neighbouring pages."""
    last = max(1, -(-total // paging.per_page))
    links = [f'<{_link(1, paging.per_page)}>; rel="first"']
    if paging.page > 1:
        links.append(f'<{_link(min(paging.page - 1, last), paging.per_page)}>; rel="prev"')
    if paging.page < last:
        links.append(f'<{_link(paging.page + 1, paging.per_page)}>; rel="next"')
    links.append(f'<{_link(last, paging.per_page)}>; rel="last"')
    body = {
        "items": [serialize(row) for row in rows],
        "page": paging.page,
        "per_page": paging.per_page,
        "total": total,
    }
    if extra:
        body.update(extra)
    response = jsonify(body)
    response.headers["Link"] = ", ".join(links)
    return response
