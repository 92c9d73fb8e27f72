"""The toolkit's error types: one base class that library code raises and the CLI shell turns into a
one-line message with exit code 2. Anything else is a bug and keeps its traceback."""

from __future__ import annotations

import os


class CompmoError(Exception):
    """A problem the user can fix (bad input, bad option, missing program); printed as one line."""


class AnnotationError(CompmoError, ValueError):
    """A malformed data file: names the file, the record and the field in one line."""

    def __init__(
        self, file: str | os.PathLike[str], record: str | None, field: str | None, message: str
    ):
        self.file, self.record, self.field, self.message = str(file), record, field, message
        where = [self.file]
        if record is not None:
            where.append(f"record {record!r}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(": ".join(where + [message]))


class ConfigError(CompmoError, ValueError):
    """A bad configuration value (preset, YAML file, ``--set`` or command-line option)."""


class PrerequisiteError(CompmoError):
    """A missing or broken prerequisite: Java, a model folder, an optional package."""


class UserError(CompmoError):
    """A bad combination of command-line arguments or a missing input path."""
