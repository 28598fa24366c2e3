"""Every app has the same shape, so a reader knows where to look (docs/decisions.md, "One shape per app").
A new top-level module outside it fails here: fold it into the standard modules, or, if it truly is a
library of pure code or a feature area, add it below on purpose."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The modules every app may have (a module past ~400 lines becomes a package of the same name).
STANDARD = {
    "models",  # data and invariants
    "selectors",  # every read, scoped to the user
    "services",  # every write, one transaction each
    "permissions",  # who may do what: the one home of each rule
    "exceptions",  # the app's typed errors
    "forms",
    "views",
    "urls",
    "api",  # DRF views, serializers, urls
    "exports",  # rows shaped for CSV/XLSX downloads
    "tasks",  # Celery tasks: thin, call a service
    "admin",
    "apps",
    "events",  # the timeline kinds the app writes, and its subscribers
    "registry",  # the places higher apps fill (segment filters, timeline subscribers, …)
    "registrations",  # what the app lends to lower apps' registries (header, landings, segment filters)
    "context_processors",
    "middleware",
    "templatetags",
    "management",
    "migrations",
}
# Libraries of pure code (text in, typed values out; no database writes) and the core's plumbing.
LIBRARIES = {
    "crm/core": {
        "api_views",
        "assets",
        "choices",
        "formats",
        "history",
        "http",
        "humanize",
        "key_figures",
        "names",
        "navigation",
        "public_keys",
        "replica",
        "rls",
        "scope",
        "spreadsheets",
    },
    "crm/network": {"access"},
    "crm/customers": {"normalize", "panels"},
    "crm/messaging": {"channels", "devtools"},
    "leads": {"adf", "sla", "verification"},  # verification: the verified-vs-claimed rule (dl-phone)
    "service": {"dms"},  # svc-workshop: the DMS export parser (text in, typed lines out)
}
# Feature areas of a big app: the same standard names inside.
FEATURE_AREAS = {
    "leads": {"call_centre", "dashboard", "figures", "imports", "setup"},
    "service": {"appointments", "care", "imports", "maintenance", "recalls"},  # appointments; DMS imports; complaints, call-backs; maintenance due; recalls
    "crm/network": {"two_factor", "api_tokens"},  # sign-in's second step; API tokens made in the product
}
APPS = [
    "crm/core",
    "crm/network",
    "crm/customers",
    "crm/timeline",
    "crm/messaging",
    "leads",
    "service",
    "loyalty",
    "dealers",
]


def top_level_modules(folder: Path) -> set[str]:
    names = set()
    for entry in folder.iterdir():
        if entry.name.startswith(("_", ".")) or entry.name == "__pycache__":
            continue
        if entry.is_dir() and (entry / "__init__.py").exists() or entry.suffix == ".py":
            names.add(entry.stem)
    return names


@pytest.mark.parametrize("app", APPS)
def test_an_app_holds_only_the_standard_modules(app):
    allowed = STANDARD | LIBRARIES.get(app, set()) | FEATURE_AREAS.get(app, set())
    assert top_level_modules(ROOT / app) - allowed == set()


@pytest.mark.parametrize("area", sorted(f"{app}/{area}" for app, areas in FEATURE_AREAS.items() for area in areas))
def test_a_feature_area_keeps_the_same_names_inside(area):
    assert top_level_modules(ROOT / area) - STANDARD == set()
