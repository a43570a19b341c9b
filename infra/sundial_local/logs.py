"""The local stack's log lines: one per event, each naming the function that wrote it.

Deployed, each function has its own process, and Powertools' Logger keeps one set of
keys (`service`, `function_name`, what `append_keys` adds) for the whole process. Here
the four functions share one process and one Logger: its keys would leak from one
invocation to another (every line said `"service": "authorizer"`, the last function
whose environment was loaded). So the local runtime runs each invocation in its own
`contextvars` context (`run_as`), and the formatter installed here keeps the Logger's
keys in that context: a line carries the keys of the invocation that wrote it. Threads
an invocation starts carry its context too (see `sundial.core.threads`).

Two renderings: `text` (`15:01:15.123 executor   INFO    run succeeded  attempt=1`) for
people, `json` (one object a line) for machines. Tracebacks only at DEBUG: above it, a
line with an exception ends with its one-line summary (`ValueError: boom`).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal, TypeVar

from aws_lambda_powertools.logging.filters import SuppressFilter
from aws_lambda_powertools.logging.formatter import RESERVED_LOG_ATTRS, BasePowertoolsFormatter

LogFormat = Literal["text", "json"]

# What writes a line outside any invocation: the tick loop, pollers, gateway, emulator.
STACK = "stack"
# The widest function name (dispatcher, authorizer), so the messages line up.
NAME_WIDTH = 10

# Keys the Lambda context adds to every line of an invocation: the function column says
# which one it is, and people need none of the rest (the JSON lines keep them all).
LAMBDA_CONTEXT_KEYS = frozenset(
    {
        "service",
        "sampling_rate",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "correlation_id",
        "xray_trace_id",
    }
)
# Libraries whose lines below WARNING say nothing a user of the stack acts on ("Found
# credentials in environment variables", once per client) or drown the rest (at DEBUG,
# hundreds of lines a second of requests to the emulator): they show from WARNING.
CHATTY_LIBRARIES = ("botocore", "boto3", "urllib3", "pynamodb")

_function: ContextVar[str] = ContextVar("sundial_local_function", default=STACK)
# The invocation's keys: never changed in place, always replaced (so the default is safe).
_keys: ContextVar[dict[str, Any]] = ContextVar("sundial_local_keys", default={})  # noqa: B039

T = TypeVar("T")


def run_as(function: str, call: Callable[..., T], *args: Any) -> T:
    """`call(*args)` as an invocation of `function`: its lines name it, its keys are its own."""

    def invocation() -> T:
        _function.set(function)
        _keys.set({})
        return call(*args)

    return copy_context().run(invocation)


def current_function() -> str:
    return _function.get()


class InvocationFormatter(BasePowertoolsFormatter):
    """Powertools' formatter interface with the keys held per invocation, not per process.

    Installed as the functions' Logger formatter (whose `append_keys`, `clear_state`,
    `inject_lambda_context` and `set_correlation_id` all land here) and on the root
    logger's handler, so every line of the process is rendered the same way.
    """

    def __init__(self, log_format: LogFormat = "text", *, tracebacks: bool = False) -> None:
        super().__init__()
        self.log_format = log_format
        self.tracebacks = tracebacks

    def append_keys(self, **additional_keys: Any) -> None:
        _keys.set({**_keys.get(), **additional_keys})

    def get_current_keys(self) -> dict[str, Any]:
        return dict(_keys.get())

    def remove_keys(self, keys: Iterable[str]) -> None:
        removed = set(keys)
        _keys.set({k: v for k, v in _keys.get().items() if k not in removed})

    def clear_state(self) -> None:
        _keys.set({})

    @contextmanager
    def append_context_keys(self, **additional_keys: Any) -> Iterator[None]:
        self.append_keys(**additional_keys)
        try:
            yield
        finally:
            self.remove_keys(additional_keys)

    # An invocation's keys are already its own: the thread-safe variants are the same.
    def thread_safe_append_keys(self, **additional_keys: Any) -> None:
        self.append_keys(**additional_keys)

    def thread_safe_get_current_keys(self) -> dict[str, Any]:
        return self.get_current_keys()

    def thread_safe_remove_keys(self, keys: Iterable[str]) -> None:
        self.remove_keys(keys)

    def thread_safe_clear_keys(self) -> None:
        self.clear_state()

    def format(self, record: logging.LogRecord) -> str:
        line = LogLine.of(record, self.get_current_keys())
        if self.log_format == "json":
            return line.json(tracebacks=self.tracebacks)
        return line.text(tracebacks=self.tracebacks)


@dataclass(frozen=True)
class LogLine:
    """One event, whatever logger wrote it, as the renderings need it."""

    created: float
    function: str
    level: str
    logger: str
    message: str
    context_keys: dict[str, Any]  # the invocation's, Lambda context included
    extra: dict[str, Any]  # the call's own (`extra=`)
    exc_info: Any

    @classmethod
    def of(cls, record: logging.LogRecord, keys: dict[str, Any]) -> LogLine:
        extra = {
            k: v
            for k, v in record.__dict__.items()
            if k not in RESERVED_LOG_ATTRS and not k.startswith("_") and k != "message"
        }
        return cls(
            created=record.created,
            function=current_function(),
            level=record.levelname,
            logger=record.name,
            message=record.getMessage(),
            context_keys={k: v for k, v in keys.items() if v is not None},
            extra=extra,
            exc_info=record.exc_info if record.exc_info and record.exc_info[0] else None,
        )

    def error_summary(self) -> str | None:
        """`ErrorType: first line of its message`, or None without an exception."""
        if self.exc_info is None:
            return None
        error = self.exc_info[1]
        said = str(error).strip().splitlines()
        return f"{type(error).__name__}: {said[0]}" if said else type(error).__name__

    def text(self, *, tracebacks: bool) -> str:
        at = datetime.fromtimestamp(self.created).strftime("%H:%M:%S.%f")[:-3]
        keys = {k: v for k, v in self.context_keys.items() if k not in LAMBDA_CONTEXT_KEYS}
        keys.update(self.extra)
        # One event, one line: a message's own line breaks are shown, not taken.
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")
        parts = [f"{at} {self.function:<{NAME_WIDTH}} {self.level:<7} {message}"]
        if keys:
            parts.append(" ".join(f"{k}={_text_value(v)}" for k, v in keys.items()))
        summary = self.error_summary()
        if summary and not tracebacks:
            parts.append(summary)
        line = "  ".join(parts)
        if summary and tracebacks:
            line += "\n" + "".join(traceback.format_exception(*self.exc_info)).rstrip()
        return line

    def json(self, *, tracebacks: bool) -> str:
        document: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(self.created)
            .astimezone()
            .isoformat(timespec="milliseconds"),
            "level": self.level,
            "function": self.function,
            "logger": self.logger,
            "message": self.message,
            **self.context_keys,
            **self.extra,
        }
        # The invocation's own service: the shared Logger's is whichever loaded last.
        document["service"] = self.function
        summary = self.error_summary()
        if summary:
            document["exception_name"] = self.exc_info[0].__name__
            document["exception"] = summary
            if tracebacks:
                document["traceback"] = "".join(traceback.format_exception(*self.exc_info))
        return json.dumps(document, default=str, separators=(",", ":"), ensure_ascii=False)


def _text_value(value: Any) -> str:
    if isinstance(value, str):
        plain = value and not any(c.isspace() or c in "\"'=" for c in value)
        return value if plain else json.dumps(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=str, separators=(",", ":"))
    return str(value)


class _NamedSundial(logging.Filter):
    """The functions' Logger is named after the service whose environment was loaded
    last (`authorizer`, whoever writes): its lines say `sundial`, the package that wrote
    them, and the function column says which function."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.name = "sundial"
        return True


_AS_SUNDIAL = _NamedSundial()


@dataclass
class InstalledLogging:
    """What `install` changed, so `restore` can put it back (tests run the stack in-process)."""

    handler: logging.Handler
    root_level: int
    library_levels: dict[str, int]
    # Set by `adopt_functions_logger`: its handler's formatter, propagation and level.
    functions_before: tuple[logging.Formatter | None, bool, int] | None = None

    def adopt_functions_logger(self, level: str) -> None:
        """Send the functions' Logger's lines to this handler, at `level`.

        Separate from `install`: the functions' module may only be imported once the
        stack's environment is set (it creates Powertools' Logger, Tracer and Metrics,
        which read it when created).
        """
        functions_logger = _functions_logger()
        handler = functions_logger.registered_handler
        self.functions_before = (
            handler.formatter,
            functions_logger._logger.propagate,
            functions_logger.log_level,
        )
        # Its handler stays registered, holding a formatter that keeps the keys per
        # invocation (`append_keys` and the rest reach it there), but writes nothing: the
        # lines go up to the root handler, rendered with those same keys.
        handler.setFormatter(InvocationFormatter())
        functions_logger._logger.removeHandler(handler)
        # Created after `install`, the Logger told the root handlers to drop its lines
        # (they were its own handler's to write).
        for suppress in [f for f in self.handler.filters if isinstance(f, SuppressFilter)]:
            self.handler.removeFilter(suppress)
        functions_logger._logger.propagate = True
        functions_logger.setLevel(level.upper())
        functions_logger.addFilter(_AS_SUNDIAL)

    def restore(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self.root_level)
        for name, level in self.library_levels.items():
            logging.getLogger(name).setLevel(level)
        if self.functions_before is not None:
            formatter, propagate, level = self.functions_before
            functions_logger = _functions_logger()
            handler = functions_logger.registered_handler
            handler.setFormatter(formatter)
            functions_logger._logger.addHandler(handler)
            functions_logger._logger.propagate = propagate
            functions_logger.setLevel(level)
            functions_logger.removeFilter(_AS_SUNDIAL)
            self.functions_before = None


def install(
    level: str = "WARNING", log_format: LogFormat = "text", *, stream: IO[str] | None = None
) -> InstalledLogging:
    """Render every line of this process on `stream`, at `level`; tracebacks at DEBUG.

    `stream` defaults to stderr: stdout is what `sundial local` prints for its user (the
    URLs and key, or their JSON document) and, with `--metrics`, the EMF documents.
    """
    tracebacks = level.upper() == "DEBUG"
    root = logging.getLogger()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(InvocationFormatter(log_format, tracebacks=tracebacks))
    installed = InstalledLogging(
        handler=handler,
        root_level=root.level,
        library_levels={name: logging.getLogger(name).level for name in CHATTY_LIBRARIES},
    )
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return installed


def _functions_logger() -> Any:
    """The functions' Logger, imported only once the stack's environment is set: the
    module creates Powertools' Logger, Tracer and Metrics, which read it when created."""
    from sundial.observability import logger

    return logger
