"""``pingan import incidents FILE --preset …``, ``pingan import jurisdictions FILE`` and
``pingan import footprints FILE``."""

from __future__ import annotations

from pathlib import Path

import typer

from pingan.commands import fail

app = typer.Typer(help="Import incidents and jurisdictions from files.", no_args_is_help=True)


@app.command("incidents")
def incidents_cmd(
    file: Path,
    preset: str = typer.Option(
        "generic",
        help="chicago, vancouver, portland-nij, police-uk or generic (needs --mapping)",
    ),
    mapping: Path | None = typer.Option(None, help="YAML column mapping (docs/importing.md)"),
    dataset: str | None = typer.Option(None, help="dataset name (default: the preset)"),
    max_reject_share: float = typer.Option(0.5, help="abort if more rows than this fail"),
    dry_run: bool = typer.Option(False, help="check everything, write nothing"),
    encoding: str = typer.Option(
        "auto", help="the file's text encoding (auto: UTF-8 with or without BOM, or GB18030)"
    ),
) -> None:
    """Import incidents from a CSV (or .csv.gz): all rows or none; rejected rows are
    listed with their line number and reason in FILE.rejects.csv."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pingan.audit.service import Actor
    from pingan.errors import PingAnError
    from pingan.incidents.importers import PRESETS, import_incidents, load_mapping
    from pingan.store.engine import get_engine, migrate, unit_of_work

    if preset != "generic" and preset not in PRESETS:
        fail(f"--preset: {preset!r}; use one of {', '.join([*PRESETS, 'generic'])}")
    if preset == "generic" and mapping is None:
        fail("--mapping: the generic preset needs a YAML mapping file")
    if not file.is_file():
        fail(f"FILE: not found: {file}")
    try:
        chosen = PRESETS.get(preset)
        if mapping is not None:
            chosen = load_mapping(mapping, chosen)
        assert chosen is not None
        migrate(get_engine())
        with Progress(
            TextColumn("importing {task.fields[name]}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
            transient=True,
        ) as prog:
            task = prog.add_task("import", total=None, name=file.name)
            with unit_of_work() as s:
                rep = import_incidents(
                    s,
                    file,
                    preset=chosen,
                    actor=Actor.system("cli"),
                    dataset=dataset,
                    encoding=encoding,
                    max_reject_share=max_reject_share,
                    dry_run=dry_run,
                    progress=lambda n: prog.update(task, completed=n),
                )
                if dry_run:
                    s.rollback()
                else:
                    s.commit()
    except PingAnError as exc:
        fail(exc.message)
        return
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{verb} {rep.accepted:,} of {rep.rows:,} rows into dataset {rep.dataset!r} "
        f"in {rep.seconds:.1f} s ({rep.encoding}); rejected {rep.rejected:,}"
    )
    for reason, n in sorted(rep.reasons.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {n:>8,}  {reason}")
    if rep.rejects_file:
        typer.echo(f"rejected rows: {rep.rejects_file}")


@app.command("jurisdictions")
def jurisdictions_cmd(
    file: Path,
    level: str = typer.Option("district", help="bureau, district, station, community or cell"),
    parent: str | None = typer.Option(
        None,
        help="parent jurisdiction code (default: the bureau, created if the tree is empty)",
    ),
    code_field: str | None = typer.Option(None, help="property holding the code"),
    name_field: str | None = typer.Option(None, help="property holding the name"),
    name_en_field: str | None = typer.Option(None, help="property holding the English name"),
    prefix: str | None = typer.Option(None, help="prefix for the codes (default: file stem)"),
    bureau_name: str | None = typer.Option(None, help="name of a bureau created here"),
    repair: bool = typer.Option(
        False, help="repair invalid polygons with make_valid instead of refusing them"
    ),
) -> None:
    """Import polygons (GeoJSON, KML or GeoPackage) as jurisdictions: all or none."""
    from pingan.audit.service import Actor
    from pingan.errors import PingAnError
    from pingan.jurisdictions.importers import import_jurisdictions
    from pingan.store.engine import get_engine, migrate, unit_of_work

    try:
        migrate(get_engine())
        with unit_of_work() as s:
            made = import_jurisdictions(
                s,
                file,
                actor=Actor.system("cli"),
                level=level,
                parent=parent,
                code_field=code_field,
                name_field=name_field,
                name_en_field=name_en_field,
                prefix=prefix,
                bureau_name=bureau_name,
                repair=repair,
            )
            s.commit()
    except PingAnError as exc:
        fail(exc.message)
        return
    typer.echo(f"imported {len(made)} {level} polygons from {file.name}")


@app.command("footprints")
def footprints_cmd(
    file: Path = typer.Argument(..., help="a GeoJSON FeatureCollection of building polygons"),
    crs: str = typer.Option("WGS84", help="coordinates: WGS84, GCJ02 (AMap) or BD09 (Baidu)"),
    replace: bool = typer.Option(False, "--replace", help="delete every footprint first"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check only, write nothing"),
    user: str | None = typer.Option(
        None, "--user", help="act as this user (default: an administrator)"
    ),
) -> None:
    """Load building footprints (GeoJSON polygons): the cameras' occlusion layer — a building
    between a camera and a point hides it in the coverage figures and the siting."""
    from pingan.commands.cameras import import_footprints

    import_footprints(file, crs=crs, replace=replace, dry_run=dry_run, user=user)
