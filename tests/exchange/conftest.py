"""The scans' fixtures (a scanner's learned line) serve the import's plausibility tests too."""

from tests.scans.conftest import line_of_five  # noqa: F401
