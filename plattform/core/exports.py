"""Downloads of the platform in one form: the CSV dialect and charset of every export, and the headers.

Every CSV the platform writes uses the same dialect, documented in docs/betrieb.md: UTF-8 with a
byte-order mark (so Excel shows umlauts), ``;`` between cells (what a German Excel expects), lines
ended by CR LF, cells quoted only where needed. The Content-Type names the charset once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from flask import Response

from plattform.core.text import csv_cell

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_MIMETYPE = "application/json"


class ExportDialect(csv.excel):
    """The platform's CSV dialect: ';', CR LF, minimal quoting."""

    delimiter = ";"
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


CSV_DIALECT = ExportDialect


def csv_bytes(rows: Iterable[Mapping], columns: Sequence[str]) -> bytes:
    """Rows as CSV bytes in the platform's dialect, header first, UTF-8 with BOM; None becomes '';
    a formula-like text is written as text (core.text.csv_cell), so no export carries a live formula."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), dialect=CSV_DIALECT, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else csv_cell(row[c]) for c in columns})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def download(data: bytes, filename: str, mimetype: str) -> Response:
    """An attachment; the mimetype is sent as given (no second charset parameter)."""
    response = Response(data, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    response.headers["Content-Type"] = mimetype
    return response
