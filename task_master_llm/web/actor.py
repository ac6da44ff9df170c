"""Who is acting, for the audit log: the logged-in user's id in a request, ``cli:<os
user>`` in a ``flask`` command, ``system`` for anything else (work on another thread).

The extension hands :func:`current_actor` to ``build_services`` (the core never imports
Flask), and the recorder calls it for each event.
"""

from __future__ import annotations

import getpass

import click
from flask import has_request_context
from flask_login import current_user


def current_actor() -> str:
    """The id of whoever is acting now, as the host knows them."""
    if has_request_context():
        user = current_user
        if user is not None and getattr(user, "is_authenticated", False):
            user_id = user.get_id() if hasattr(user, "get_id") else getattr(user, "id", None)
            if user_id is not None:
                return str(user_id)
        return "anonymous"
    if click.get_current_context(silent=True) is not None:
        return f"cli:{_os_user()}"
    return "system"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name (a container without one): still "cli"
        return "unknown"


__all__ = ["current_actor"]
