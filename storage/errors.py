"""Storage errors. See bot/errors.py for the whole exception tree."""


class StorageError(Exception):
    """The database is missing, locked, corrupt or refused a statement."""
