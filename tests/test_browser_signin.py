"""Signing in through a real OpenID Connect flow (a local provider on 127.0.0.1), landing with the right role."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import wait_for_app
from tests.oidc_provider import oidc_provider  # noqa: F401  (fixture)

MANAGER = "manager@example.com"


def sign_in_as(page, server, email: str) -> None:
    """Open the app, press Sign in, type the e-mail into the provider's form and come back to the app."""
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=20_000)
    page.fill('input[name="sub"]', email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{server.url}/**", timeout=20_000)
    wait_for_app(page)


def test_manager_signs_in_sees_the_managers_pages_and_signs_out(oidc_provider, served_app, page, app_dir):
    server = served_app(secrets=oidc_provider.secrets(roles={"manager": [MANAGER], "default": "viewer"}))
    sign_in_as(page, server, MANAGER)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Audit log", exact=True).wait_for(timeout=20_000)
    assert sidebar.get_by_text("Admin", exact=True).count() == 0
    assert sidebar.get_by_text(f"{MANAGER} · Manager").count() == 1
    assert page.get_by_text("Local single-user mode").count() == 0

    sidebar.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**", timeout=20_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{server.url}/**", timeout=20_000)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").wait_for(timeout=20_000)
    log = (app_dir / "app.log").read_text(encoding="utf-8")
    assert oidc_provider.client_secret not in log and oidc_provider.cookie_secret not in log


def test_unknown_account_is_refused_when_the_default_is_none(oidc_provider, served_app, page):
    server = served_app(secrets=oidc_provider.secrets(roles={"manager": [MANAGER], "default": "none"}))
    sign_in_as(page, server, "stranger@example.com")
    page.get_by_text("Your account (stranger@example.com) has no access.").wait_for(timeout=20_000)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
