"""Fieldbook entry point: build the command line from each package's cli.py and dispatch.

No business logic here. An error prints one line to stderr and exits non-zero;
the traceback only with --debug.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

# Each package registers its own subcommands, names its error types (whose
# messages are safe to show) and may offer self-test steps.
CLI_MODULES = ("storage.cli", "forms.cli", "exporting.cli", "distributions.cli", "distributions.desk_cli", "sync.cli", "selftest.cli",
               "sync.server.cli", "distributions.hub_cli", "gui.cli")


def _modules():
    return [importlib.import_module(name) for name in CLI_MODULES]


def _version() -> str:
    # pyproject.toml sets it; a packaged build carries a copy (resources.app_info).
    from resources import app_info

    return app_info()["version"]


def build_parser(modules=None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Fieldbook: offline-first field data collection.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--version", action="version", version=f"Fieldbook {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    st = sub.add_parser("self-test", help="headless end-to-end check of the whole stack; exit 0 = healthy")
    st.set_defaults(func=_self_test)
    for module in modules or _modules():
        module.register(sub)
    return parser


def _self_test(args: argparse.Namespace) -> int:
    steps = [step for module in _modules() for step in getattr(module, "SELF_TEST", [])]
    for area, run in steps:
        run(lambda line, area=area: print(f"ok  {area}: {line}", flush=True))
    print("self-test passed", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    modules = _modules()
    parser = build_parser(modules)
    args = parser.parse_args(argv)
    # stderr gets one line per error (printed below); log records reach it only with --debug.
    # The profile's log file is attached by whoever opens a profile.
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if args.debug else logging.CRITICAL + 1)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(console)
    if args.debug:
        logging.getLogger("fieldbook").setLevel(logging.DEBUG)
    # A log that cannot be written (a full disk) must never stop the work nor print a
    # "--- Logging error ---" traceback: the command's own one-line error says what failed.
    logging.raiseExceptions = args.debug
    if args.command is None:  # no command: the desktop app
        args = parser.parse_args(["gui"])
    user_errors = tuple(err for m in modules for err in getattr(m, "ERRORS", ()))
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    except user_errors as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the last resort: never show a value that may be personal
        if args.debug:
            raise
        print(f"error: internal error ({type(exc).__name__}); run again with --debug for details.", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
