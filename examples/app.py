"""A small Task Master-like host app that registers the LLM Model Registry.

Run it with ``scripts/demo.sh``. It uses ``MONGO_URI`` when set; otherwise it starts an
embedded SecantusDB server whose data lives in ``examples/instance/db`` (kept across
restarts). Unless told otherwise it also starts the local provider servers and a local
Talon gateway, so the whole flow works offline.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from pymongo import MongoClient
from pymongo.database import Database

from task_master_llm import LlmRegistry

HERE = Path(__file__).resolve().parent
INSTANCE = HERE / "instance"


@dataclass
class DemoUser:
    """A host user; the registry only needs flask-login's interface and a role."""

    id: str
    email: str
    name: str
    role: str
    password: str
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return self.id


USERS = {
    "admin": DemoUser("admin", "admin@example.com", "Ada Admin", "admin", "admin-demo"),
    "member": DemoUser("member", "member@example.com", "Max Member", "member", "member-demo"),
}


def dev_encryption_key() -> str:
    """The example's development key: generated once into instance/, with a warning.

    Only the example does this; the package itself refuses to start without a key.
    """
    path = INSTANCE / "dev-encryption-key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE.mkdir(parents=True, exist_ok=True)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    path.write_text(key + "\n")
    path.chmod(0o600)
    print(
        f"WARNING: generated a development LLM_ENCRYPTION_KEY in {path}. "
        "Never use it in production; set LLM_ENCRYPTION_KEY instead.",
        file=sys.stderr,
    )
    return key


def create_app(db: Database, config: dict[str, Any] | None = None) -> Flask:
    """The host app on ``db``; ``config`` overrides defaults (tests pass theirs)."""
    app = Flask(__name__, template_folder=str(HERE / "templates"))
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(16),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.config.update(config or {})
    if not (app.config.get("LLM_ENCRYPTION_KEY") or os.environ.get("LLM_ENCRYPTION_KEY")):
        app.config["LLM_ENCRYPTION_KEY"] = dev_encryption_key()

    login_manager = LoginManager(app)
    login_manager.login_view = "login"
    login_manager.user_loader(USERS.get)

    @app.get("/")
    @login_required
    def home() -> Any:
        return render_template("home.html", user=current_user)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST":
            email = request.form.get("email", "").strip().lower()
            password = request.form.get("password", "")
            user = next((u for u in USERS.values() if u.email == email), None)
            if user and secrets.compare_digest(user.password, password):
                login_user(user)
                target = request.args.get("next", "")
                return redirect(target if target.startswith("/") else url_for("home"))
            flash("Wrong email or password.")
        return render_template("login.html")

    @app.post("/logout")
    def logout() -> Any:
        logout_user()
        return redirect(url_for("login"))

    LlmRegistry(app, db=db)
    return app


def _start_database() -> tuple[Database, Any]:
    uri = os.environ.get("MONGO_URI")
    if uri:
        return MongoClient(uri, tz_aware=True)["task_master"], None
    from secantus import SecantusDBServer

    (INSTANCE / "db").mkdir(parents=True, exist_ok=True)
    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=str(INSTANCE / "db"))
    server.start()
    return MongoClient(server.uri, tz_aware=True)["task_master"], server


#: fixed demo ports, so the README can say what to type; a busy port falls back to a free one
DEMO_PORTS = {
    "google": 18101,
    "openai": 18102,
    "anthropic": 18103,
    "azure": 18104,
    "openai_compatible": 18105,
    "ollama": 11434,
}
TALON_PORT = 18100


def _start(server_cls: Any, port: int, **kwargs: Any) -> Any:
    try:
        return server_cls(port=port, **kwargs).start()
    except OSError:
        return server_cls(port=0, **kwargs).start()


def main() -> None:
    """Start the database, the local provider and gateway servers, and the app."""
    from standins.providers import AZURE_DEMO_DEPLOYMENT, SERVER_CLASSES
    from standins.talon import TALON_DEMO_TOKEN, TalonServer

    db, db_server = _start_database()
    providers = {t: _start(SERVER_CLASSES[t], port) for t, port in DEMO_PORTS.items()}
    talon = _start(TalonServer, TALON_PORT, token=TALON_DEMO_TOKEN)
    port = int(os.environ.get("PORT", "5000"))
    app = create_app(
        db,
        {
            "TALON_GATEWAY_URL": os.environ.get("TALON_GATEWAY_URL", talon.base_url),
            "TALON_GATEWAY_TOKEN": os.environ.get("TALON_GATEWAY_TOKEN", TALON_DEMO_TOKEN),
        },
    )
    print("\nTask Master LLM Registry demo")
    print(f"  open        http://127.0.0.1:{port}/llm")
    print("  admin       admin@example.com / admin-demo")
    print("  member      member@example.com / member-demo")
    print(f"  gateway     {talon.base_url} (local Talon, token {TALON_DEMO_TOKEN})")
    print("  providers   (type the base URL and key into the Add Provider dialog)")
    for provider_type, server in providers.items():
        extra = f"  deployment: {AZURE_DEMO_DEPLOYMENT}" if provider_type == "azure" else ""
        print(f"    {provider_type:<18} {server.base_url:<30} key: {server.DEMO_KEY}{extra}")
    print(flush=True)
    try:
        app.run(host="127.0.0.1", port=port, debug=False, use_reloader=False)
    finally:
        talon.stop()
        for server in providers.values():
            server.stop()
        if db_server is not None:
            db_server.stop()


if __name__ == "__main__":
    main()
