"""The portal's pages and the action each needs, so navigation can be built per role."""
from __future__ import annotations

from dataclasses import dataclass

from lib import auth


@dataclass(frozen=True)
class PageSpec:
    """One page: its file, title key, URL path, icon and the action its role must allow."""
    path: str
    title: str
    url_path: str
    icon: str
    action: str


PAGES = (
    PageSpec("views/home.py", "nav.home", "home", "🏠", "view"),
    PageSpec("views/customers.py", "nav.customers", "customers", "📇", "view"),
    PageSpec("views/new_customer.py", "nav.new_customer", "new", "➕", "edit"),
    PageSpec("views/customer.py", "nav.customer", "customer", "🗂️", "view"),
    PageSpec("views/follow_ups.py", "nav.follow_ups", "follow-ups", "⏰", "view"),
    PageSpec("views/tiers.py", "nav.tiers", "tiers", "🏅", "view"),
    PageSpec("views/feedback.py", "nav.feedback", "feedback", "💬", "view"),
    PageSpec("views/charts.py", "nav.charts", "charts", "📊", "view"),
    PageSpec("views/audit.py", "nav.audit", "audit", "📜", "audit"),
    PageSpec("views/admin.py", "nav.admin", "admin", "🛠️", "settings"),
)


def pages_for(user: auth.User) -> list[PageSpec]:
    """The pages this user's role may open, in menu order."""
    return [p for p in PAGES if auth.can(user, p.action)]
