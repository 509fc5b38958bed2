"""pingan (平安): a platform for a city public-security bureau, its command center and stations."""

__version__ = "0.1.0"
__all__ = ["__version__"]
