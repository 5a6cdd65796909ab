"""Drive Streamlit's st-gsheets-connection against the emulator (runs in bench/.venv-gsc, not the app's venv).

st-gsheets-connection 0.1.0 pins gspread<6, so it cannot share the app's environment. bench/run.py
creates bench/.venv-gsc, writes a secrets.toml with a throwaway service account into the working
folder, and runs this script there. The connection is the real `st.connection(..., type=
GSheetsConnection)`; only its gspread client's HTTP session is swapped for one that sends the Sheets
API calls to the emulator (as lib/store/sheets.py's endpoint_session does), so no token is fetched.

Steps (each framed by `@@begin`/`@@end` lines so bench/run.py can count the emulator's requests):
read every register tab with conn.read(ttl=60); read them again (served from its cache); then for
each kind of save, conn.update() every tab the save touches with the tab's rows plus the new rows
and changed cells — the connection can only write a whole worksheet.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from importlib.metadata import version

import requests
import streamlit as st
from streamlit_gsheets import GSheetsConnection

GOOGLE_SHEETS_API = "https://sheets.googleapis.com/v4/spreadsheets"


class EndpointSession(requests.Session):
    """Send Sheets API calls to the emulator instead of Google."""

    def __init__(self, endpoint: str):
        super().__init__()
        self.base = endpoint.rstrip("/") + "/v4/spreadsheets"

    def request(self, method, url, *args, **kwargs):
        if url.startswith(GOOGLE_SHEETS_API):
            url = self.base + url[len(GOOGLE_SHEETS_API):]
        elif url.startswith("https://"):
            raise RuntimeError(f"st-gsheets-connection tried to reach {url} (only the Sheets API is emulated)")
        return super().request(method, url, *args, **kwargs)


def protocol(line: str) -> None:
    print(line, flush=True)
    if sys.stdin.readline().strip() != "ok":
        raise SystemExit("bench/run.py stopped answering")


def apply(frame, change: dict):
    """The worksheet's rows plus the new rows and changed cells of one save."""
    import pandas as pd
    for id_header, record_id, header, text in change.get("updates", []):
        frame.loc[frame[id_header].astype(str) == record_id, header] = text
    new = change.get("append", [])
    if new:
        frame = pd.concat([frame, pd.DataFrame(new, columns=list(frame.columns)[:len(new[0])])], ignore_index=True)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--plan", required=True, help="JSON: {titles: [...], saves: {kind: {title: change}}}")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    with open(args.plan, encoding="utf-8") as f:
        plan = json.load(f)

    conn = st.connection("gsheets", type=GSheetsConnection)
    conn.client._client.session = EndpointSession(args.endpoint)   # gspread 5: Client.session makes every call

    protocol("@@begin refresh")
    frames = {title: conn.read(worksheet=title, ttl=60) for title in plan["titles"]}
    protocol("@@end refresh")
    protocol("@@begin cached")
    for title in plan["titles"]:
        conn.read(worksheet=title, ttl=60)
    protocol("@@end cached")
    for kind, tabs in plan["saves"].items():
        protocol(f"@@begin save_{kind}")
        for title, change in tabs.items():
            conn.update(worksheet=title, data=apply(frames[title].copy(), change))
        protocol(f"@@end save_{kind}")
    versions = {name: version(name) for name in ("st-gsheets-connection", "gspread", "streamlit", "pandas")}
    print("@@result " + json.dumps({"versions": versions}), flush=True)


if __name__ == "__main__":
    main()
