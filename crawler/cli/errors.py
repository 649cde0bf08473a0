"""The one error path of the `newsarchive` command: what a verb raises becomes one line.

A mistake a user can make (a bad option, setting, story file, database URL, output path) is one
line on standard error and exit status 2; tracebacks are for bugs. Most verbs report their own
`CliError`s; this catches the rest, raised anywhere below a verb, so that no verb can forget one:
a setting or story error, a database that cannot be opened or fails midway, a file that cannot be
read or written. A closed standard output (`newsarchive export | head`) ends the verb quietly,
and Ctrl-C where a verb does not handle it ends it with status 130 and no traceback.
"""

from __future__ import annotations

import errno
import functools
import os
import signal
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import DatabaseError, InterfaceError, OperationalError

from crawler.cli.common import CliError
from crawler.core.story import StoryError
from crawler.setting_checks import SettingError
from crawler.stopping import exit_status
from storage.db.engine import DatabaseUnusable, SchemaMismatch, error_text

USER_ERRNOS = frozenset(
    {
        errno.ENOENT,
        errno.EACCES,
        errno.EPERM,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.EROFS,
        errno.EEXIST,
        errno.ENAMETOOLONG,
        errno.ELOOP,
    }
)
"""File errors a user's path causes (exit status 2); the others (a full disk, an I/O error) are
the machine's (1)."""

BROKEN_PIPE = exit_status(signal.SIGPIPE)
"""The exit status when standard output was closed early: 141, as for a process SIGPIPE ended."""


VerbMain = Callable[[Sequence[str] | None], int]


def one_error_path(prog: str) -> Callable[[VerbMain], VerbMain]:
    """Decorate a verb's `main(argv=None) -> int` so that what it raises becomes `run_verb`'s
    one line and exit status, however it is called (`newsarchive VERB`, or a test)."""

    def decorate(verb_main: VerbMain) -> VerbMain:
        @functools.wraps(verb_main)
        def main(argv: Sequence[str] | None = None) -> int:
            return run_verb(prog, verb_main, argv)

        return main

    return decorate


def run_verb(prog: str, verb_main: VerbMain, args: Sequence[str] | None) -> int:
    """Run a verb's `main(args)`; its exit status, or that of the error it raised."""
    try:
        code = verb_main(args)
        sys.stdout.flush()  # a closed pipe shows here rather than at the interpreter's exit
        return code
    except BrokenPipeError:
        _discard_stdout()
        return BROKEN_PIPE
    except KeyboardInterrupt:
        _line(prog, "interrupted")
        return exit_status(signal.SIGINT)
    except CliError as exc:
        return exc.report(prog)
    except (SettingError, StoryError, DatabaseUnusable, SchemaMismatch) as exc:
        return CliError(str(exc), 2).report(prog)
    except (OperationalError, InterfaceError) as exc:
        return CliError(f"the database failed: {error_text(exc)}", 2).report(prog)
    except DatabaseError as exc:
        if type(exc) is not DatabaseError:  # IntegrityError, ProgrammingError…: a bug
            raise
        return CliError(f"the database failed: {error_text(exc)}", 2).report(prog)
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            _discard_stdout()
            return BROKEN_PIPE
        return CliError(_os_error(exc), 2 if exc.errno in USER_ERRNOS else 1).report(prog)


def _os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename is not None else ""
    if exc.filename2 is not None:
        where = f"{exc.filename} -> {exc.filename2}: "
    return f"{where}{exc.strerror or exc}"


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit raises nothing more
    (the recipe of Python's documentation for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (captured in tests)
        pass


def _line(prog: str, message: str) -> None:
    try:
        sys.stderr.write(f"{prog}: {message}\n")
        sys.stderr.flush()
    except OSError:
        pass
