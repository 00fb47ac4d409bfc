"""``symbiosis generate``: write a synthetic region (benchmarks, scaling studies)."""
from __future__ import annotations

from pathlib import Path

import typer

from symbiosis.cli import app
from symbiosis.terminal import console, new_file

YAML_SUFFIXES = (".yaml", ".yml")


@app.command()
def generate(plants: int = typer.Option(300, "--plants", "-n", min=1, help="Number of plants."),
             seed: int = typer.Option(1, "--seed", "-s", help="Random seed: the same seed gives the same region."),
             out: Path = typer.Option(Path("region.yaml"), "--out", "-o", help="Case file to write (.yaml)."),
             listed: bool = typer.Option(False, "--listed", help="Write every candidate exchange under "
                                         "'exchanges:' (with its distance) instead of generating them from "
                                         "coordinates."),
             force: bool = typer.Option(False, "--force", "-f", help="Overwrite an existing file.")):
    """Write a synthetic region: plants of eight sectors from the shipped process library in
    park clusters over 200 x 200 km, 30 % candidates, exchanges within 50 km."""
    from symbiosis.generate import region, write_region
    new_file(out, YAML_SUFFIXES, "the region is written as YAML; name a .yaml file", force)
    data = region(plants, seed, listed=listed)
    write_region(data, out)
    n_cand = sum(1 for p in data["plants"].values() if p.get("status") == "candidate")
    parks = len({p["park"] for p in data["plants"].values()})
    what = (f"{len(data['exchanges']):,} exchanges listed" if listed else
            "exchanges generated from coordinates when the case is read")
    console.print(f"wrote {out}: {plants:,} plants ({n_cand:,} candidates) in {parks} parks; {what}")
