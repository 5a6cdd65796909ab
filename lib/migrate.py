"""Move a register from one backend to another (a sheet or SQLite to PostgreSQL) with nothing lost."""
from __future__ import annotations

import hashlib
import json

from lib.errors import RegisterError
from lib.store import Store, open_store, register_config, store_from_environment
from lib.store.base import RawRegister


def content_checksum(raw: RawRegister) -> str:
    """A SHA-256 of every tab's title, header row and cells (rows padded to the header width)."""
    digest = hashlib.sha256()
    for key in sorted(raw.tabs):
        tab = raw.tabs[key]
        width = len(tab.headers)
        rows = [(list(r) + [""] * width)[:width] for r in tab.rows]
        digest.update(json.dumps([key, tab.headers, rows], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def row_counts(raw: RawRegister) -> dict[str, int]:
    """Data rows per tab."""
    return {key: len(tab.rows) for key, tab in sorted(raw.tabs.items())}


def migrate(source: Store, target: Store, progress=None) -> dict:
    """Copy every tab from `source` into the empty `target`, then prove it by counts and checksum.

    Tabs next to the register that are not part of it are not copied; the report names them (`left_behind`).
    """
    if not target.is_empty():
        raise RegisterError("目标档案不是空的；为避免覆盖数据，迁移只写入空的数据库或表格。",
                            "The target register is not empty. To avoid overwriting data, migration only "
                            "writes into an empty database or sheet.")
    before = source.load()
    target.clear()  # leftover Settings rows give way to the source's
    target.restore(before, progress=progress)
    after = target.load()
    report = {"counts_before": row_counts(before), "counts_after": row_counts(after),
              "checksum_before": content_checksum(before), "checksum_after": content_checksum(after),
              "left_behind": source.other_tabs()}
    report["identical"] = (report["counts_before"] == report["counts_after"]
                           and report["checksum_before"] == report["checksum_after"])
    return report


def _run(args) -> int:
    source = (store_from_environment() if not args.source else
              open_store(args.source, **{k: v for k, v in register_config().items()
                                         if k in ("endpoint", "credentials_file", "credentials_info")}))
    target = open_store(args.to)
    report = migrate(source, target, progress=lambda share: print(f"\r{share:4.0%}", end="", flush=True))
    print()
    for key, count in report["counts_before"].items():
        print(f"{key:14} {count:>8} → {report['counts_after'][key]:>8}")
    print(f"checksum {report['checksum_before'][:16]} → {report['checksum_after'][:16]}")
    print("identical: yes" if report["identical"] else "identical: NO — the target differs; keep using the source")
    if report["left_behind"]:
        print("not moved (tabs that are not part of the register; copy them by hand if you need them): "
              + ", ".join(report["left_behind"]))
    return 0 if report["identical"] else 1


def add_cli(sub) -> None:
    p = sub.add_parser("migrate", help="copy the register into an empty PostgreSQL/SQLite database or sheet")
    p.add_argument("--to", required=True, help="target URL, e.g. postgresql+psycopg://user@host/db")
    p.add_argument("--from", dest="source", help="source URL (default: REGISTER_URL)")
    p.set_defaults(run=_run)
