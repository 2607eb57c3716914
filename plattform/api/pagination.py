"""Paging of list endpoints: ``page`` and ``per_page`` (at most 100; the query model ``schemas.Paging``),
a ``Link`` header (RFC 8288) with first/prev/next/last, and the body envelope
``{"items": [...], "page", "per_page", "total"}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import request

from plattform.extensions import db

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_PAGE = 100_000


def _offset(paging) -> int:
    return (paging.page - 1) * paging.per_page


def page_of_query(stmt: sa.Select, paging) -> tuple[list, int]:
    """One page of a SELECT and the total number of rows."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(stmt.limit(paging.per_page).offset(_offset(paging))))
    return rows, total


def page_of_list(items: Sequence, paging) -> tuple[list, int]:
    """One page of an already loaded list."""
    return list(items[_offset(paging) : _offset(paging) + paging.per_page]), len(items)


def _link(page: int, per_page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    args["per_page"] = [str(per_page)]
    return f"{request.base_url}?{urlencode(args, doseq=True)}"


def paged(rows: list, total: int, paging, serialize: Callable[[Any], dict], extra: dict | None = None):
    """The page's body and its Link header pointing to the neighbouring pages (for ``@operation``)."""
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
        **(extra or {}),
    }
    return body, {"Link": ", ".join(links)}
