"""A small generated collection for the relevance-floor tests: one sentence per PDF page (a passage each) on
earth science, astronomy and biology — 24 passages, enough for a floor — and nothing about food."""

from __future__ import annotations

from pathlib import Path

from conftest import make_pdf

from workbench.measure.relevance_queries import TINY_CORPUS as SCIENCE

MORE = [
    "Meteor showers happen when the earth crosses a comet's trail of dust.",
    "Lichens are partnerships of a fungus and an alga growing on bare rock.",
    "Hurricanes draw their energy from warm ocean water.",
    "Fossils form when remains are buried and slowly replaced by minerals.",
    "Migrating birds navigate by the stars and the earth's magnetic field.",
    "Ice ages come and go with slow changes in the earth's orbit.",
    "Frogs lay eggs in water, and tadpoles grow legs as they mature.",
    "Mars has the tallest volcano known, Olympus Mons.",
    "Ants leave scent trails that lead the colony to food.",
    "Aurorae glow where charged particles from the sun strike the upper air.",
    "Earthworms turn and aerate the soil as they feed.",
    "Stalactites hang from cave ceilings where dripping water leaves calcite.",
]


def science_pdfs(folder: Path) -> list[Path]:
    """:data:`SCIENCE` as three PDFs in ``folder`` — earth, sky and life, eight pages each — one sentence
    (one passage) per page."""
    return [
        make_pdf(folder / f"{name}.pdf", SCIENCE[8 * i : 8 * i + 8]) for i, name in enumerate(("earth", "sky", "life"))
    ]


def more_pdf(folder: Path, pages: list[str], name: str) -> Path:
    """Further pages (from :data:`MORE`) as one more PDF."""
    return make_pdf(folder / name, pages)
