"""Measure the other two ways of using a sheet — naive gspread and st-gsheets-connection — on the emulator.

Both are charged for the same change sets the app saves (bench/scripted.py), on a spreadsheet of
their own holding the same register.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import naive
from bench.emulator import BenchEmulator, reads, writes
from bench.protocol import run_counted
from lib import cells, schema
from lib.store.base import ChangeSet, RawRegister, row_texts

BENCH = Path(__file__).resolve().parent
GSC_VENV = BENCH / ".venv-gsc"
GSC_PACKAGES = ["st-gsheets-connection==0.1.0", "streamlit", "pandas"]
SPREADSHEET_LINK = "https://docs.google.com/spreadsheets/d/{}/edit"


def pair(counts: Counter) -> tuple[int, int]:
    return reads(counts), writes(counts)


def measure_naive(emulator: BenchEmulator, raw: RawRegister, saves: dict[str, ChangeSet]) -> dict:
    """Requests of one naive rerun and of each save, counted by the emulator."""
    book = emulator.fill(raw)
    app = naive.NaiveApp(naive.client(emulator.url), book, raw.tabs)
    mark = emulator.mark()
    app.rerun()
    out = {"refresh": pair(emulator.since(mark)), "saves": {}}
    for kind, changes in saves.items():
        mark = emulator.mark()
        app.save(changes, raw.lang)
        out["saves"][kind] = pair(emulator.since(mark))
    emulator.drop(book)
    return out


# ---- st-gsheets-connection -------------------------------------------------------------------------

def gsc_python(log) -> Path:
    """Create bench/.venv-gsc with st-gsheets-connection once; return its python."""
    python = GSC_VENV / "bin" / "python"
    ready = GSC_VENV / ".installed"
    if ready.exists() and ready.read_text() == " ".join(GSC_PACKAGES):
        return python
    print(f"setting up {GSC_VENV.relative_to(BENCH.parent)} for st-gsheets-connection (once) …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(GSC_VENV)], check=True, stdout=log, stderr=log)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *GSC_PACKAGES], check=True, stdout=log, stderr=log)
    ready.write_text(" ".join(GSC_PACKAGES))
    return python


def _service_account(spreadsheet_link: str) -> str:
    """A [connections.gsheets] section with a throwaway key (never sent anywhere: the emulator needs none)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    fields = {"type": "service_account", "project_id": "bench", "private_key_id": "bench", "private_key": key,
              "client_email": "bench@bench.iam.gserviceaccount.com", "client_id": "1",
              "token_uri": "https://oauth2.googleapis.com/token", "spreadsheet": spreadsheet_link}
    return "[connections.gsheets]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in fields.items())


def gsc_plan(raw: RawRegister, saves: dict[str, ChangeSet]) -> dict:
    """What the probe writes per save: for each tab touched, its new rows and changed cells (by header)."""
    plan = {"titles": [tab.title for tab in raw.tabs.values()], "saves": {}}
    for kind, changes in saves.items():
        touched: dict[str, dict] = {}
        for row in changes.rows_to_append:
            tab = raw.tabs[row.table]
            touched.setdefault(tab.title, {"append": [], "updates": []})["append"].append(row_texts(tab, row, raw.lang))
        for update in changes.updates:
            tab = raw.tabs[update.table]
            table = schema.TABLES[update.table]
            touched.setdefault(tab.title, {"append": [], "updates": []})["updates"].append(
                [tab.headers[tab.column(table.id_field)], update.record_id, tab.headers[tab.column(update.field)],
                 cells.write(table.field(update.field), update.new, raw.lang)])
        plan["saves"][kind] = touched
    return plan


def measure_gsc(emulator: BenchEmulator, raw: RawRegister, saves: dict[str, ChangeSet], log) -> dict:
    """Run bench/gsc_probe.py in its own venv against a copy of the register; fall back to replaying its pattern."""
    book = emulator.fill(raw)
    try:
        python = gsc_python(log)
        with tempfile.TemporaryDirectory(prefix="bench-gsc-") as folder:
            (Path(folder) / ".streamlit").mkdir()
            (Path(folder) / ".streamlit" / "secrets.toml").write_text(
                _service_account(SPREADSHEET_LINK.format(book)), encoding="utf-8")
            plan = Path(folder) / "plan.json"
            plan.write_text(json.dumps(gsc_plan(raw, saves), ensure_ascii=False), encoding="utf-8")
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
            counts, result = run_counted([str(python), str(BENCH / "gsc_probe.py"), "--endpoint", emulator.url,
                                          "--plan", str(plan)], emulator, cwd=folder, env=env, log=log)
        return {"measured": True, "versions": result["versions"], "refresh": pair(counts["refresh"]),
                "cached": pair(counts["cached"]),
                "saves": {kind: pair(counts[f"save_{kind}"]) for kind in saves}}
    except (subprocess.CalledProcessError, RuntimeError, OSError, KeyError) as e:
        print(f"st-gsheets-connection could not be run ({type(e).__name__}: {e}); replaying its documented "
              "request pattern instead", file=sys.stderr)
        return replay_gsc(raw, saves) | {"why": f"{type(e).__name__}: {e}"}
    finally:
        emulator.drop(book)


def replay_gsc(raw: RawRegister, saves: dict[str, ChangeSet]) -> dict:
    """st-gsheets-connection's request pattern, when it cannot be run: read = 1 spreadsheets.get + 1 values.get
    per worksheet; update = 1 values.clear + 1 values.update of the whole worksheet."""
    tabs = len(raw.tabs)
    out = {"measured": False, "refresh": (2 * tabs, 0), "cached": (0, 0), "saves": {}}
    for kind, changes in saves.items():
        touched = {r.table for r in changes.rows_to_append} | {u.table for u in changes.updates}
        out["saves"][kind] = (0, 2 * len(touched))
    return out
