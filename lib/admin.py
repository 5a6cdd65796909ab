"""Command line for scheduled jobs and admins: `python -m lib.admin <command> …`.

Every command works on the register that REGISTER_URL (or .streamlit/secrets.toml) names.
"""
from __future__ import annotations

import argparse
import sys

from lib import backup, importer, migrate, report
from lib.errors import RegisterError

COMMANDS = (backup, importer, report, migrate)  # each module adds its sub-commands with add_cli()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.admin", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.add_cli(sub)
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except RegisterError as e:
        print(e.message(args.lang if hasattr(args, "lang") else "en"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
