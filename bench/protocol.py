"""Run a measuring process and count the emulator's requests per step it announces.

The process prints `@@begin <step>` and `@@end <step>` around each step and waits for a line "ok"
on its stdin after each; its last line is `@@result <json>`. Other output goes to the log.
"""
from __future__ import annotations

import json
import subprocess
from collections import Counter

from bench.emulator import BenchEmulator


def run_counted(command: list[str], emulator: BenchEmulator | None, *, cwd=None, env=None,
                log=None) -> tuple[dict[str, Counter], dict]:
    """Run `command`; return the requests counted per step and the process's result."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                               encoding="utf-8", cwd=cwd, env=env, bufsize=1)
    counts: dict[str, Counter] = {}
    begun: dict[str, int] = {}
    result = None
    for line in process.stdout:
        if line.startswith("@@begin "):
            begun[line.split()[1]] = emulator.mark() if emulator else 0
        elif line.startswith("@@end "):
            step = line.split()[1]
            counts[step] = emulator.since(begun.pop(step)) if emulator else Counter()
        elif line.startswith("@@result "):
            result = json.loads(line[len("@@result "):])
            continue
        else:
            if log:
                log.write(line)
            continue
        process.stdin.write("ok\n")
        process.stdin.flush()
    process.stdin.close()
    if process.wait() != 0 or result is None:
        raise subprocess.CalledProcessError(process.returncode, command)
    return counts, result
