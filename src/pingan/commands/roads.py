"""``pingan roads import``: build the road network from OpenStreetMap beside the database."""

from __future__ import annotations

from pathlib import Path

import typer

from pingan.commands import bbox_option, fail

app = typer.Typer(help="Road network: import from OpenStreetMap.", no_args_is_help=True)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="an .osm.pbf, .osm or .osm.bz2 extract"),
    bbox: str | None = typer.Option(None, help="W,S,E,N: keep only roads inside"),
) -> None:
    """Read the roads of an OSM extract (pyosmium) and save them as the network the app
    uses (``<data_dir>/roads.npz``), replacing the previous one."""
    import time

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from pingan.config import get_settings
    from pingan.rapid_response.data import clear_network_cache, network_path
    from pingan.roads import RoadNetwork

    if not file.is_file():
        fail(f"FILE: not found: {file}")
    box = bbox_option(bbox)
    out = network_path(get_settings().data_dir)
    console = Console()
    t0 = time.perf_counter()
    cols = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*cols, console=console, transient=True) as prog:
        task = prog.add_task(f"reading {file.name}", total=None)
        try:
            net = RoadNetwork.from_osm(file, bbox=box)
        except ValueError as exc:
            prog.stop()
            fail(f"FILE: {str(exc).removeprefix('path: ')}")
            return
        except RuntimeError as exc:  # pyosmium: not an OSM file
            prog.stop()
            fail(f"FILE: {file.name} is not a readable OSM file ({exc})")
            return
        prog.update(task, description=f"saving {net.n_nodes:,} nodes to {out}")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.stem + ".tmp.npz")
        net.save(tmp)
        tmp.replace(out)
        clear_network_cache()
    t_load = time.perf_counter()
    RoadNetwork.load(out)
    load_s = time.perf_counter() - t_load
    console.print(
        f"road network saved: {out} — {net.n_nodes:,} nodes, {net.n_edges:,} directed edges, "
        f"{float(net.length_m.sum()) / 2000:,.1f} km of road; built in "
        f"{t_load - t0:.1f} s, loads in {load_s * 1000:.0f} ms"
    )
