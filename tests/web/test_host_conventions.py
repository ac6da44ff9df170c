"""The conventions the pages rely on, each overridable (issue 11): the home link's
endpoint, the user label, Log out as a POST form or a GET link, and the pages inside the
host's own layout (a template override, or TASK_MASTER_LLM_LAYOUT)."""

from __future__ import annotations

import re
from typing import Any

import jinja2
from flask import Flask
from flask_login import LoginManager, UserMixin, login_user, logout_user

from task_master_llm import LlmRegistry
from tests.support import TEST_KEY


class User(UserMixin):
    def __init__(self, user_id: str, name: str | None, email: str) -> None:
        self.id, self.name, self.email, self.role = user_id, name, email, "admin"


USERS = {"ada": User("ada", "Ada Admin", "ada@example.com"),
         "nameless": User("nameless", None, "nameless@example.com")}

HOST_LAYOUT = """<!doctype html><html><head><title>{% block title %}{% endblock %} | Host</title>
{% block scripts %}{% endblock %}</head>
<body><nav id="host-nav">The host's own navigation</nav>
{% block content %}{% endblock %}</body></html>"""


def host(db, templates: dict[str, str] | None = None, *, logout_methods=("POST",),
         **config: Any) -> Flask:
    app = Flask("conventions_host")
    app.config.update(TESTING=True, SECRET_KEY="s", LLM_ENCRYPTION_KEY=TEST_KEY, **config)
    if templates:
        app.jinja_loader = jinja2.DictLoader(templates)
    manager = LoginManager(app)
    manager.user_loader(USERS.get)

    @app.post("/login/<user_id>")
    def log_in(user_id: str):
        login_user(USERS[user_id])
        return "ok"

    @app.get("/start")
    def index():
        return "index"

    @app.get("/dashboard")
    def dashboard():
        return "dashboard"

    @app.route("/bye", methods=list(logout_methods), endpoint="logout")
    def bye():
        logout_user()
        return "bye"

    LlmRegistry(app, db=db)
    return app


def page(app: Flask, user: str = "ada", url: str = "/llm") -> str:
    client = app.test_client()
    client.post(f"/login/{user}", headers={"X-Requested-With": "t"})
    response = client.get(url)
    assert response.status_code == 200, response.data
    return response.get_data(as_text=True)


def brand_href(html: str) -> str:
    return re.search(r'class="llm-brand" href="([^"]*)"', html).group(1)


def test_home_link_is_home_or_index_unless_configured(db):
    assert brand_href(page(host(db))) == "/start"  # the host's "index" endpoint
    app = host(db.client[db.name + "_2"], TASK_MASTER_LLM_HOME_ENDPOINT="dashboard")
    try:
        assert brand_href(page(app)) == "/dashboard"
    finally:
        db.client.drop_database(db.name + "_2")


def test_home_link_may_be_a_path(db):
    assert brand_href(page(host(db, TASK_MASTER_LLM_HOME_ENDPOINT="/portal"))) == "/portal"


def test_user_label_is_name_then_email_unless_configured(db):
    app = host(db)
    assert '<span class="llm-user">Ada Admin</span>' in page(app)
    assert '<span class="llm-user">nameless@example.com</span>' in page(app, "nameless")
    other = host(db.client[db.name + "_3"], TASK_MASTER_LLM_USER_LABEL=lambda u: f"@{u.id}")
    try:
        assert '<span class="llm-user">@ada</span>' in page(other)
    finally:
        db.client.drop_database(db.name + "_3")


def test_logout_is_a_post_form_or_a_get_link(db):
    html = page(host(db))
    assert '<form class="llm-logout" method="post" action="/bye">' in html
    get_host = host(db.client[db.name + "_4"], logout_methods=("GET",),
                    TASK_MASTER_LLM_LOGOUT_METHOD="get")
    try:
        html = page(get_host)
        assert '<a class="llm-logout llm-btn llm-btn-quiet" href="/bye">Log out</a>' in html
        assert 'method="post" action="/bye"' not in html
        client = get_host.test_client()
        client.post("/login/ada", headers={"X-Requested-With": "t"})
        assert client.get("/bye").status_code == 200  # the link's GET is what the host takes
        assert client.get("/api/llm/providers").status_code == 401
    finally:
        db.client.drop_database(db.name + "_4")


def test_the_pages_render_inside_the_hosts_layout_by_config(db):
    app = host(db, {"host_layout.html": HOST_LAYOUT}, TASK_MASTER_LLM_LAYOUT="host_layout.html")
    for url in ("/llm", "/llm/agents"):
        html = page(app, url=url)
        assert '<nav id="host-nav">' in html and 'class="llm-topbar"' not in html
        assert "task_master_llm/registry.css" in html  # the stylesheet comes along
        assert 'type="module"' in html
    assert "| Host</title>" in page(app)


def test_the_layout_template_can_be_overridden(db):
    override = HOST_LAYOUT.replace("The host's own navigation", "Overridden layout")
    app = host(db, {"task_master_llm/layout.html": override})
    html = page(app)
    assert "Overridden layout" in html and 'id="llm-app"' in html
    assert "task_master_llm/registry.css" in html
