"""The one exception a broken playbook raises, whatever went wrong underneath."""

from __future__ import annotations

from pathlib import Path

from pydantic_core import PydanticCustomError

from bot.errors import ConfigError

#: Error type of a broken cross-reference rule; its context carries ``at``, the location
#: of the offending item below the model that raised it, so the loader can name its line.
RULE_ERROR = "playbook_rule"


def rule_error(message: str, *at: str | int) -> PydanticCustomError:
    """A broken playbook rule found at ``at``, relative to the model being validated."""
    return PydanticCustomError(RULE_ERROR, "{message}", {"message": message, "at": at})


class PlaybookError(ConfigError):
    """A playbook that cannot be used, told to the person editing the YAML file.

    YAML, pydantic, decoding and file-system errors are all converted into this at the
    loader's boundary, so callers catch one type and print ``str(err)``:
    ``"{path}:{line}: {message}"``, leaving out what is unknown. That form is what
    editors and terminals turn into a link to the line.
    """

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.path, self.line) if part is not None)
        return f"{where}: {self.message}" if where else self.message
