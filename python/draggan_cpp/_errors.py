"""The exceptions the engine raises. Every one is a :class:`Error`; each also derives from the built-in
exception a Python caller would expect, so ``except ValueError`` and ``except FileNotFoundError`` work too.
Messages are the one-line messages ``draggan`` prints (without its ``draggan:`` prefix)."""
import errno


class Error(Exception):
    """Base of every error the engine raises (the library's ``draggan::Error``)."""


class InputError(Error, ValueError):
    """A bad argument: a value out of range, a point outside the image, an unreadable image."""


class CheckpointError(Error, ValueError):
    """A model file that cannot be read or does not describe a supported model."""


class FileNotFound(Error, FileNotFoundError):
    """A file that does not exist. ``errno`` is ENOENT and ``filename`` the path; ``str()`` is the message."""

    def __init__(self, message, filename=None):
        super().__init__(errno.ENOENT, message, filename)

    def __str__(self):
        return self.strerror
