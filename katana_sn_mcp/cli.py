"""Command line: `katana-sn-mcp [serve] [--sandbox ...]`, plus `demo` and `doctor`.

Logs go to stderr only: in stdio mode stdout is the MCP protocol channel.

Every mistake a person can type (an option another command owns, a port out of range, a
state file that is a directory) is one line on stderr and exit 2, found before anything
starts: a host that launches the server shows only stderr's last lines, so a usage block or
a traceback would hide the sentence that names the fix.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import textwrap
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from katana_sn_mcp import __version__

PROG = "katana-sn-mcp"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_SANDBOX_MODE = "seeds"
# After Ctrl-C the stdio server gets this long to shut down cleanly; then the process ends.
SIGINT_GRACE_SECONDS = 1.5


class HelpFormatter(argparse.HelpFormatter):
    """Shows each option's default, like ArgumentDefaultsHelpFormatter, except where there is
    nothing to show (a flag that is off, a file that is not set): "(default: None)" says
    nothing a newcomer can use. Descriptions wrap to the terminal; indented lines (the
    examples) are kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(
            indent + line if not line or line.startswith(" ") else
            textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent)
            for line in text.splitlines())

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if ("%(default)" not in text and action.option_strings
                and action.default not in (None, False, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: `prog: error: what (see --help)`.

    argparse prints the whole usage block first; launched by a host, that block is what the
    person sees and the actual error is cut off."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def port_number(text: str) -> int:
    """A TCP port a server can listen on: 1..65535, ASCII digits only (int() would also take
    " 80" and "8_0")."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 65535, not {text!r}")
    return int(text)


def _sandbox_options(p: argparse.ArgumentParser, *, switch: bool, state: bool) -> None:
    if switch:
        p.add_argument("--sandbox", action="store_true",
                       help="use the embedded sandbox Katana instead of the real API "
                       "(no key needed); KATANA_SN_MCP_SANDBOX=true does the same")
    p.add_argument("--sandbox-mode", choices=["seeds", "current"], default=None,
                   help="sandbox behaviour: 'seeds' (200+MISSING, 422 No entity found) or "
                   "'current' (404, whole-call 422, Production accepted) "
                   f"(default: {DEFAULT_SANDBOX_MODE})")
    if state:
        p.add_argument("--sandbox-state", type=Path, metavar="FILE",
                       help="keep the sandbox's state in FILE across restarts (a JSON file the "
                       "sandbox writes; its folder must exist)")


def _common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                   help="how much to log on stderr")


def _serve_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "serve", formatter_class=HelpFormatter, allow_abbrev=False,
        help="run the MCP server (the default command)",
        description="Run the MCP server: over stdio for a host that launches it (the default), "
        "or over streamable HTTP with --http. Needs KATANA_API_KEY, or --sandbox. Stop it with "
        "Ctrl-C (or SIGTERM); a host stops its stdio server itself.")
    _sandbox_options(p, switch=True, state=True)
    p.add_argument("--no-journal", action="store_true",
                   help="do not write the write journal")
    http = p.add_argument_group("HTTP (only with --http)")
    http.add_argument("--http", action="store_true",
                      help="serve streamable HTTP instead of stdio")
    http.add_argument("--host", default=None,
                      help="address to listen on; anything but loopback needs "
                      f"KATANA_SN_MCP_TOKEN (default: {DEFAULT_HOST})")
    http.add_argument("--port", type=port_number, default=None,
                      help=f"TCP port to listen on (default: {DEFAULT_PORT})")
    http.add_argument("--stateless", action="store_true",
                      help="hold no sessions, so any replica behind a load balancer can answer "
                      "any request (see the README's team deployment)")
    _common_options(p)
    return p


def parser() -> Parser:
    """The whole command line; each command takes only the options that mean something to it,
    so `doctor --http` is an error instead of a "ready" for a setting it never checked."""
    p = Parser(prog=PROG, formatter_class=HelpFormatter, allow_abbrev=False,
               description="MCP server for Katana MRP serial numbers. With no command it "
               "runs `serve`, so `katana-sn-mcp --sandbox` starts the server on the sandbox.",
               epilog="examples:\n"
               "  katana-sn-mcp --sandbox                     stdio server on the sandbox\n"
               "  katana-sn-mcp serve --http --port 8765      HTTP server (needs KATANA_API_KEY)\n"
               "  katana-sn-mcp demo                          a scripted session, no key needed\n"
               "  katana-sn-mcp doctor                        is this machine set up?\n"
               "\nRun `katana-sn-mcp COMMAND --help` for a command's options.")
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands", required=True,
                           parser_class=Parser)
    _serve_parser(sub)
    demo = sub.add_parser(
        "demo", formatter_class=HelpFormatter, allow_abbrev=False,
        help="run a scripted session against the sandbox and print it",
        description="Run a scripted session (mint, list, transfer, delete, verify) through a "
        "real MCP client against the embedded sandbox, and print every call and answer. "
        "Needs no key and touches no real Katana.")
    _sandbox_options(demo, switch=False, state=False)
    _common_options(demo)
    doctor = sub.add_parser(
        "doctor", formatter_class=HelpFormatter, allow_abbrev=False,
        help="check the settings and that Katana answers, then print a verdict",
        description="Check that this machine is set up: the settings, the key (never printed) "
        "and one authenticated read from Katana (or the sandbox with --sandbox). Exits 0 when "
        "ready to serve, 1 when not.")
    _sandbox_options(doctor, switch=True, state=True)
    _common_options(doctor)
    journal = sub.add_parser(
        "journal", formatter_class=HelpFormatter, allow_abbrev=False,
        help="show recent writes, export them as CSV, or reconcile interrupted ones",
        description="Show this server's recent writes from its journal (KATANA_SN_MCP_JOURNAL), "
        "export them as CSV, or --reconcile: re-read the resources of writes that were "
        "interrupted before their outcome was recorded, and record where things are now.")
    journal.add_argument("--csv", action="store_true", help="write CSV to stdout")
    journal.add_argument("--limit", type=int, default=100, help="how many recent lines")
    journal.add_argument("--reconcile", action="store_true",
                         help="settle interrupted writes by re-reading their resources")
    _sandbox_options(journal, switch=True, state=True)
    _common_options(journal)
    return p


def _subparsers(p: argparse.ArgumentParser) -> Any:
    return next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))


def _owners(p: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Which commands accept each option, for the error that says where an option belongs."""
    owners: dict[str, list[str]] = {}
    for name, cmd in _subparsers(p).choices.items():
        for action in cmd._actions:
            for option in action.option_strings:
                owners.setdefault(option, []).append(name)
    return owners


def with_command(p: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """`serve` is the default command, and the command may come after options
    (`katana-sn-mcp --sandbox doctor`, as the old single parser allowed): put it first.
    An option's value is never taken for a command (`--sandbox-state demo`); which options
    take one is read from the parser, so a new option cannot be missed."""
    args = list(argv)
    if not args:
        return ["serve"]
    commands = _subparsers(p).choices
    takes_value = {o for cmd in commands.values() for a in cmd._actions if a.nargs != 0
                   for o in a.option_strings}
    skip = False
    for i, token in enumerate(args):
        if skip:
            skip = False
        elif token.startswith("-"):
            skip = token in takes_value
        elif token in commands:
            return [token, *args[:i], *args[i + 1:]]
        else:
            break
    if args[0] in ("-h", "--help", "--version") or not args[0].startswith("-"):
        return args  # the top level answers (or says the command is unknown)
    return ["serve", *args]


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse, refuse options the command does not take and combinations that would be
    silently ignored, then fill in the defaults those checks needed to see as unset."""
    p = parser()
    args, extra = p.parse_known_args(with_command(p, sys.argv[1:] if argv is None else argv))
    command: argparse.ArgumentParser = _subparsers(p).choices[args.command]
    if extra:
        owners = _owners(p)
        foreign = [e.split("=", 1)[0] for e in extra if e.split("=", 1)[0] in owners]
        if foreign:
            names = ", ".join(foreign)
            belong = sorted({c for f in foreign for c in owners[f]})
            command.error(f"{names} {'is an option' if len(foreign) == 1 else 'are options'} "
                          f"of `{' / '.join(belong)}`, not of `{args.command}`")
        command.error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(args, "sandbox", None) is False:  # the command has the switch, left off
        from katana_sn_mcp.settings import env_sandbox

        try:
            args.sandbox = env_sandbox()  # the bundle's Sandbox switch, through the environment
        except ValueError as exc:
            command.error(str(exc))
    needs = {"host": "--http", "port": "--http", "stateless": "--http",
             "sandbox_mode": "--sandbox", "sandbox_state": "--sandbox"}
    for dest, switch in needs.items():
        given = getattr(args, dest, None) not in (None, False)  # left unset: None, or a flag off
        if given and not getattr(args, switch[2:], True):
            command.error(f"--{dest.replace('_', '-')} applies only with {switch}; "
                          f"add {switch} or leave it out")
    if args.command == "serve":
        args.host = DEFAULT_HOST if args.host is None else args.host
        args.port = DEFAULT_PORT if args.port is None else args.port
    args.sandbox_mode = args.sandbox_mode or DEFAULT_SANDBOX_MODE
    if args.command == "demo":
        args.sandbox, args.sandbox_state = True, None
    return args


def check_state_file(args: argparse.Namespace) -> None:
    """A bad --sandbox-state is found now, as one line, not as a traceback on the first write
    (or, for a file that is not the sandbox's, on start-up)."""
    if getattr(args, "sandbox_state", None) is None:
        return
    from katana_sn_mcp.sandbox.store import Store

    Store.check(args.sandbox_state)  # a StateFileError: main says it in one line


def _stop_on_ctrl_c() -> None:
    """Ctrl-C stops the stdio server now, not when the next line arrives.

    The SDK reads stdin in a worker thread that cancellation cannot interrupt; at a terminal
    the shutdown then waits for Enter. So Ctrl-C first asks for a clean stop (the usual
    KeyboardInterrupt), and if the process is still alive after a short grace it ends it.
    Every write the server makes (journal, sandbox state) is already on disk by then."""

    interrupted = threading.Event()
    # asyncio reports the interrupted server task as "exception was never retrieved" when
    # it is collected: after Ctrl-C that is noise with a traceback, not news
    logging.getLogger("asyncio").addFilter(lambda record: not interrupted.is_set())

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        interrupted.set()

        def end() -> None:
            sys.stderr.flush()
            os._exit(130)

        timer = threading.Timer(SIGINT_GRACE_SECONDS, end)
        timer.daemon = True
        timer.start()
        signal.signal(signal.SIGINT, lambda s, f: end())  # a second Ctrl-C: no more waiting
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)


def main(argv: list[str] | None = None) -> None:
    """The console script and `python -m katana_sn_mcp`. Secrets are registered with the
    redactor and logging is made redacting before anything can print or log. The garbage
    collector is off for the start (katana_sn_mcp.startup): `serve` switches it back on once
    the server is built, every other command before it runs, and any exit on the way."""
    from katana_sn_mcp import startup

    startup.begin()  # before pydantic's and the SDK's imports
    try:
        _run(argv)
    finally:
        startup.done()  # a no-op once done: an error on the way must not leave it off


def _run(argv: list[str] | None) -> None:
    from katana_sn_mcp import redact, startup
    from katana_sn_mcp.settings import register_secrets

    register_secrets()  # first: nothing below may print a secret
    args = parse(argv)
    redact.install_logging(args.log_level)
    from pydantic import ValidationError

    from katana_sn_mcp.sandbox.errors import StateFileError
    from katana_sn_mcp.settings import MissingApiKey, setting_errors

    try:
        check_state_file(args)
        if args.command != "serve":
            startup.done()  # the collector on before any other command runs
        if args.command == "serve":
            from katana_sn_mcp.serve import serve  # serve() calls startup.done() once built

            if not args.http:
                _stop_on_ctrl_c()
            serve(args)
        elif args.command == "demo":
            from katana_sn_mcp.demo import run_demo

            run_demo(args)
        elif args.command == "journal":
            from katana_sn_mcp.journal_cli import run_journal

            sys.exit(run_journal(args))
        else:
            from katana_sn_mcp.doctor import run_doctor

            sys.exit(run_doctor(args))
    except (MissingApiKey, StateFileError) as exc:
        redact.say(f"{PROG}: {exc}")
        sys.exit(2)
    except ValidationError as exc:  # a malformed environment variable, named plainly
        for line in setting_errors(exc):
            redact.say(f"{PROG}: {line}")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except BaseExceptionGroup as group:  # Ctrl-C inside the SDK's task groups (Python 3.13)
        if group.subgroup(KeyboardInterrupt) is None:
            raise
        sys.exit(130)
