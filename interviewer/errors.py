"""What a user is shown when something goes wrong.

Every failure a user can cause or meet (a broken pack, a missing store, a model that will not load) is an
InterviewerError with a short title and a message that says what to do. The CLI prints them to stderr and exits
non-zero; the TUI shows one notification per error. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class InterviewerError(Exception):
    """A failure explained to the user: `title` is the headline, `message` says what happened and what to do."""

    title = "Something went wrong"
    exit_code = 1

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"


class ConfigError(InterviewerError):
    title = "Configuration problem"


class PackError(InterviewerError):
    title = "Question pack problem"


class PackImportError(PackError):
    """A file that cannot be turned into a pack: the message is one line saying what and what to do."""

    title = "Cannot import questions"


class StoreError(InterviewerError):
    """The knowledge store is missing, was built with another embedding model, or cannot be read."""

    title = "Knowledge store problem"


class DocumentError(InterviewerError):
    title = "Document problem"


class ModelError(InterviewerError):
    """A model could not be loaded or did not produce a usable result."""

    title = "Model problem"


class DatasetError(InterviewerError):
    title = "Evaluation dataset problem"
