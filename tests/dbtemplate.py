"""Migrated databases for tests, made by copying a template instead of migrating each time.

Running the Alembic chain costs about 1.3 s on SQLite and 3-4 s on PostgreSQL on the 2-core CI
machine, and the suite asks for well over a hundred fresh databases. So each test process
migrates once per backend, into a template, and every "fresh, migrated database" after that is a
copy of it:

- SQLite: the template file is copied with SQLite's online-backup API (pages and header, so the
  WAL journal mode and ``alembic_version`` come along), a few milliseconds;
- PostgreSQL: ``CREATE DATABASE ... TEMPLATE`` of a migrated database of this process, and the
  copies are dropped by one background thread so no test waits for the drop's checkpoint.

The copies are what ``migrate()`` would have produced (``tests/store/test_migrations.py`` still
runs the real chain, and the session databases of ``tests/conftest.py`` are migrated for real).
Template names carry the process id, so parallel runs and pytest-xdist workers never share one.
"""

from __future__ import annotations

import atexit
import dataclasses
import itertools
import os
import queue
import sqlite3
import tempfile
import threading
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from pingan.store.engine import make_engine, migrate, unit_of_work
from tests.factories import SmallCity, build_small_city

_lock = threading.Lock()
_sqlite_template: Path | None = None
_city_template: tuple[Path, SmallCity] | None = None
_pg_templates: dict[str, str] = {}  # URL given -> name of this process's migrated template
_admins: dict[str, Engine] = {}
_copies = itertools.count(1)


def _template_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix=f"pingan-test-template-{os.getpid()}-"))


def _copy_sqlite(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


def migrated_sqlite(path: Path) -> str:
    """A migrated SQLite database at ``path`` (a copy of this process's template); its URL."""
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            tpl = _template_dir() / "migrated.db"
            eng = make_engine(f"sqlite:///{tpl}")
            migrate(eng)
            eng.dispose()
            _sqlite_template = tpl
    _copy_sqlite(_sqlite_template, path)
    return f"sqlite:///{path}"


def city_sqlite(path: Path) -> tuple[str, SmallCity]:
    """A migrated SQLite file at ``path`` with the small city committed; its URL and the city.

    The city is built once per process and the file copied: the rows (ids, password hashes,
    tokens) are the same in every copy. The returned :class:`SmallCity` has lists and dicts of its
    own, but the detached row objects in them (attributes loaded) are shared: read them, don't
    change them."""
    global _city_template
    with _lock:
        if _city_template is None:
            tpl = _template_dir() / "city.db"
            url = f"sqlite:///{tpl}"
            engine = make_engine(url)
            migrate(engine)
            with unit_of_work(engine) as s:
                city = build_small_city(s)
                s.commit()
            engine.dispose()
            _city_template = (tpl, city)
    tpl, city = _city_template
    _copy_sqlite(tpl, path)
    own = dataclasses.replace(
        city,
        stations=list(city.stations),
        communities=list(city.communities),
        cells=list(city.cells),
        users=dict(city.users),
        tokens=dict(city.tokens),
    )
    return f"sqlite:///{path}", own


# PostgreSQL ----------------------------------------------------------------------------------

_drops: queue.Queue[tuple[Engine, str] | None] = queue.Queue()
_dropper: threading.Thread | None = None


def _drop_loop() -> None:
    while (item := _drops.get()) is not None:
        admin, name = item
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as exc:  # a leftover database must not fail an unrelated test
            print(f"pingan tests: could not drop database {name}: {exc}")
        finally:
            _drops.task_done()


def drop_later(admin: Engine, name: str) -> None:
    """Drop database ``name`` in the background (one thread, in order); :func:`finish` waits."""
    global _dropper
    with _lock:
        if _dropper is None:
            _dropper = threading.Thread(target=_drop_loop, name="pg-dropper", daemon=True)
            _dropper.start()
    _drops.put((admin, name))


def admin_engine(url: str) -> Engine:
    """An autocommit engine on the database ``url`` names (kept for the session), to create and
    drop databases beside it."""
    with _lock:
        eng = _admins.get(url)
        if eng is None:
            eng = _admins[url] = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
        return eng


def fresh_pg(url: str, suffix: str = "", *, migrated: bool) -> tuple[Engine, Engine, str]:
    """A new database beside the one ``url`` names (``<db>_<pid><suffix>``, numbered after the
    first: an earlier one may still wait for its background drop), empty or migrated (a copy of
    this process's migrated template); its engine, an admin engine and its name."""
    base = make_url(url)
    admin = admin_engine(url)
    n = next(_copies)
    name = f"{base.database}_{os.getpid()}{suffix}" + (f"_{n}" if suffix else "")
    template = _pg_template(url) if migrated else None
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if template:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        else:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng = make_engine(base.set(database=name).render_as_string(hide_password=False))
    return eng, admin, name


def _pg_template(url: str) -> str:
    admin = admin_engine(url)
    with _lock:
        name = _pg_templates.get(url)
        if name is not None:
            return name
        base = make_url(url)
        name = f"{base.database}_{os.getpid()}_template"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        eng = make_engine(base.set(database=name).render_as_string(hide_password=False))
        try:
            migrate(eng)
        finally:
            eng.dispose()  # CREATE DATABASE ... TEMPLATE needs it without connections
        _pg_templates[url] = name
        return name


def finish() -> None:
    """Wait for the background drops, drop the templates and close the admin engines (end of
    the test session; also registered with atexit for a run that dies)."""
    if _dropper is not None:
        _drops.join()
    with _lock:
        templates = list(_pg_templates.items())
        _pg_templates.clear()
        admins = dict(_admins)
        _admins.clear()
    for url, name in templates:
        with admins[url].connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    for eng in admins.values():
        eng.dispose()


atexit.register(finish)
