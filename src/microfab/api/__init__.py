"""The HTTP API (FastAPI): versioned ``/v1`` resources, API keys and roles, problem details.

Build an app with ``create_app(services)``; there is no module-level app.
"""

from __future__ import annotations

from microfab.api.app import create_app

__all__ = ["create_app"]
