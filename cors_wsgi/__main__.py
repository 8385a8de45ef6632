"""``python -m cors_wsgi``: command-line tools for operators.

- ``probe URL --origin ORIGIN``: act as a browser against a live server and say whether it would allow
  the request, why not, and what to change (:mod:`cors_wsgi.probe`);
- ``check [FILE | --env]``: validate a configuration offline (:mod:`cors_wsgi.check`).

Each subcommand is a module with ``configure(parser)`` and ``run(args) -> int``; adding one is adding a
line to :data:`COMMANDS`. Exit status 2 means the command could not run (bad usage, unreachable server).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "probe": ("cors_wsgi.probe", "act as a browser against a live server: would this CORS request be allowed?"),
    "check": ("cors_wsgi.check", "validate a CORS configuration (JSON, TOML, .ini or CORS_* environment)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cors_wsgi",
        description="cors_wsgi command-line tools.",
        epilog="Run 'python -m cors_wsgi COMMAND --help' for a command's options.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, summary) in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=summary, description=summary)
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the subcommand, return its exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # argparse exits 2 on a usage error and 0 after --help
        return exit.code if isinstance(exit.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
