"""Browser contexts of the tests talk only to the hosts a test names: other requests are refused
and collected, and the test fails on them."""

from __future__ import annotations


def allow_only(context, *prefixes: str) -> list[str]:
    """Let `context` request only URLs starting with one of `prefixes` (and data: URLs); returns the
    list into which every refused URL goes."""
    foreign: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(prefixes) or url.startswith("data:"):
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    context.route("**/*", guard)
    return foreign
