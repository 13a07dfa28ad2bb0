"""The ASGI app for `uvicorn till.api.main:app`, built from the environment's settings."""

from till.bootstrap import create_app

app = create_app()
