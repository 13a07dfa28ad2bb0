"""`python -m till.cli`."""

from till.cli import app

app()
