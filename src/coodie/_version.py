"""The package version, in a leaf module: a backend that reports it imports this, not
the package root (which re-exports the whole ODM)."""

__version__ = "0.1.0"
