"""The database the stores run on (the ``db`` fixture's server) enforces unique indexes,
which the stores rely on for names and Talon ids."""

import pytest
from pymongo.errors import DuplicateKeyError


def test_database_enforces_unique_index(db):
    db.Thing.create_index("name", unique=True)
    db.Thing.insert_one({"name": "a"})
    with pytest.raises(DuplicateKeyError):
        db.Thing.insert_one({"name": "a"})
