"""Cut the demo region out of a full GV-ISys extract (run once by developers; the result is committed).

Usage: python scripts/make_demo_region.py ../shared/data/gv-isys-auszug-2020q4.csv
The demo region: Kreis Düren (kdvz cooperation of Kreuzau and Aldenhoven) with its neighbours
Städteregion Aachen and Kreis Euskirchen, and the ANDI cities of Baden-Württemberg with their Kreise.
"""

import sys
from pathlib import Path

KREISE = {
    "05358",  # Kreis Düren
    "05334",  # Städteregion Aachen
    "05366",  # Kreis Euskirchen
    "08311",  # Freiburg im Breisgau
    "08222",  # Mannheim
    "08212",  # Karlsruhe
    "08215",  # Landkreis Karlsruhe (Ettlingen)
    "08421",  # Ulm
    "08335",  # Landkreis Konstanz
    "08435",  # Bodenseekreis (Friedrichshafen)
}
LAENDER = {k[:2] for k in KREISE}

source = Path(sys.argv[1])
target = (
    Path(__file__).resolve().parent.parent / "plattform" / "kommunen" / "data" / "demo-region-gv-isys.csv"
)
lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)
kept = [lines[0]]
for line in lines[1:]:
    cells = line.split(",")
    satzart, land, rb, kreis = cells[0], cells[2], cells[3], cells[4]
    in_region = satzart in {"40", "50", "60"} and land + rb + kreis in KREISE
    if (satzart == "10" and land in LAENDER) or in_region:
        kept.append(line)
target.write_text("\ufeff" + "".join(kept), encoding="utf-8")
print(f"{len(kept) - 1} Zeilen nach {target}")
