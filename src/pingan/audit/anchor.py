"""Anchors written outside the database: the chain's head, with the time, appended to a file.

A forger who can rewrite the whole chain and its head inside the database (the owner of the
tables, a restored backup) still cannot change what was written elsewhere before:
``pingan audit verify --anchor-file FILE`` checks every anchor in the file. The built-in
scheduler calls :func:`write_anchor` daily; ``pingan audit anchor --dir DIR`` does it by hand.
Keep ``DIR`` on another machine or medium (a mounted share, a write-once bucket, a printer).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pingan.audit.service import ChainHeadMissing, chain_head, parse_anchor

__all__ = ["ANCHOR_FILE", "read_anchors", "write_anchor"]

ANCHOR_FILE = "pingan-audit-anchors.txt"


def write_anchor(engine: Engine, directory: Path) -> Path:
    """Append ``<UTC time> <SEQ:HASH>`` (the chain's head, as ``pingan audit head`` prints it)
    as one line to ``directory/pingan-audit-anchors.txt`` (made if missing), flushed to disk;
    the file's path. :class:`ChainHeadMissing` if the head is gone (nothing is written)."""
    with Session(engine) as session:
        head = chain_head(session)
        session.rollback()
    if head is None:
        raise ChainHeadMissing()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ANCHOR_FILE
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with path.open("a", encoding="utf-8") as out:
        out.write(f"{at} {head.anchor}\n")
        out.flush()
        os.fsync(out.fileno())
    return path


def read_anchors(path: Path) -> list[tuple[int, str]]:
    """The ``(seq, hash)`` anchors of a file written by :func:`write_anchor` (the last word of
    each non-empty line); :class:`pingan.errors.Invalid` naming ``anchor`` for a bad line."""
    anchors = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            anchors.append(parse_anchor(line.split()[-1]))
    return anchors
