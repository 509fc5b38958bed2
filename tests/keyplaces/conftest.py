"""The three schools of the ratings tests (see ``tests/ratings/conftest.py``)."""

from tests.ratings.conftest import schools

__all__ = ["schools"]
