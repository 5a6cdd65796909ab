"""The registers the benchmark measures, generated once and kept in bench/.cache between runs.

Generating 50,000 customers and writing them into SQLite takes minutes and is not what is being
measured, so both are kept, keyed by the size and by the source of the code that makes them (a
change to the generator, the cell writer, the schema or the SQL store makes them again).
"""
from __future__ import annotations

import functools
import hashlib
import pickle
import shutil
from pathlib import Path

from lib import demo, schema
from lib.store.base import RawRegister
from lib.store.sql import SqlStore

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
GENERATOR = ("lib/demo.py", "lib/cells.py", "lib/schema.py", "lib/settings.py")
SQL_STORE = (*GENERATOR, "lib/store/base.py", "lib/store/sql.py")


def _fingerprint(size: int, lang: str, today, sources: tuple[str, ...] = GENERATOR) -> str:
    digest = hashlib.sha256(f"{size}|{lang}|{today}".encode())
    for name in sources:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:16]


def register(size: int, *, lang: str, today) -> RawRegister:
    """The generated register of this size (from the cache when the code that makes it is unchanged)."""
    path = CACHE / f"register-{size}-{_fingerprint(size, lang, today)}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    raw = demo.generate(size, today=today, lang=lang)
    CACHE.mkdir(exist_ok=True)
    for old in CACHE.glob(f"register-{size}-*.pickle"):
        old.unlink()
    path.write_bytes(pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL))
    return raw


def sqlite_file(raw: RawRegister, size: int, target: Path, *, today) -> str:
    """Write the register into a fresh SQLite file at `target` (copied from the cache when possible); return its URL."""
    cached = CACHE / f"register-{size}-{_fingerprint(size, raw.lang, today, SQL_STORE)}.db"
    if not cached.exists():
        for old in CACHE.glob(f"register-{size}-*.db"):
            old.unlink()
        CACHE.mkdir(exist_ok=True)
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        store = SqlStore(f"sqlite:///{partial}", lang=raw.lang)
        with _headers_mapped_once():
            store.restore(raw)
        store.ensure_layout(raw.lang)
        store.engine.dispose()
        partial.rename(cached)
    shutil.copyfile(cached, target)
    return f"sqlite:///{target}"


class _headers_mapped_once:
    """Map each tab's header row once while the file is written (restore maps it for every row)."""

    def __enter__(self):
        self.original = schema.map_headers
        remembered = functools.lru_cache(maxsize=64)(lambda table, headers: tuple(self.original(table, list(headers)).items()))
        schema.map_headers = lambda table, headers: dict(remembered(table, tuple(headers)))

    def __exit__(self, *exc):
        schema.map_headers = self.original
