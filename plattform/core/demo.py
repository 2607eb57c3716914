"""The demo data set: the real demo region and what other domains add on top of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

# Domains append (name, function) pairs; each function returns a line to print.
DEMO_STEPS: list[tuple[str, Callable[[], str]]] = []


def demo_step(name: str):
    """Register a function as a step of `demo seed`, run after the directory is loaded."""

    def register(func: Callable[[], str]) -> Callable[[], str]:
        DEMO_STEPS.append((name, func))
        return func

    return register


def seed_demo(with_profiles: bool = True) -> Iterator[str]:
    """Load the demo region, then run the registered steps in order."""
    from plattform.kommunen.services import load_demo_region

    stats = load_demo_region()
    yield (
        f"Demo-Region geladen: {stats.kreise} Kreise, {stats.gemeinden} Gemeinden "
        f"({stats.inserted} neu, {stats.updated} aktualisiert)."
    )
    if with_profiles:
        for _name, step in DEMO_STEPS:
            yield step()
