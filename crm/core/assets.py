"""The front-end files we serve, copied from the npm packages at build time (never a CDN at run time).

One list, used by `make` (development, tests) and by the Dockerfile (production), through
`manage.py vendor_assets`. The icon font is cut down to the icons the product uses: the full Bootstrap
Icons font and its stylesheet weigh 220 KB, the subset a few KB, which counts on a showroom's weak link.
An icon is "used" when a template, script or app module writes `bi-<name>`, or an app module names it as a
string of its own (a navigation entry's `icon="people"`, an event's icon), which is how icons reach
`bi-{{ icon }}` in templates.
"""

import re
import shutil
from pathlib import Path

# destination under static/vendor/ -> source under node_modules/
FILES = {
    "bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
}
ICON_FONT = "bootstrap-icons/font/fonts/bootstrap-icons.woff2"
ICON_MAP = "bootstrap-icons/font/bootstrap-icons.json"
ICON_CSS = "icons/bootstrap-icons.min.css"
ICON_FONT_OUT = "icons/bootstrap-icons.woff2"
APP_DIRS = ("crm", "leads", "service", "loyalty", "dealers")

_CLASS = re.compile(r"\bbi-([a-z0-9]+(?:-[a-z0-9]+)*)")
_QUOTED = re.compile(r"""["']([a-z0-9]+(?:-[a-z0-9]+)*)["']""")
_SOURCE_MAP = re.compile(r"\n?(?://# sourceMappingURL=[^\n]*|/\*# sourceMappingURL=[^*]*\*/)\s*$")
_BASE_RULE = """@font-face{font-display:block;font-family:"bootstrap-icons";src:url("bootstrap-icons.woff2") format("woff2")}
.bi::before,[class^="bi-"]::before,[class*=" bi-"]::before{display:inline-block;font-family:bootstrap-icons!important;font-style:normal;font-weight:normal!important;font-variant:normal;text-transform:none;line-height:1;vertical-align:-.125em;-webkit-font-smoothing:antialiased;-moz-osx-font-smoothing:grayscale}
"""


def icons_used(root: Path, known: set[str]) -> set[str]:
    used: set[str] = set()
    sources = [*root.glob("templates/**/*.html"), *root.glob("static/js/**/*.js")]
    for app in APP_DIRS:
        sources += [p for p in (root / app).glob("**/*") if p.suffix in {".py", ".html", ".js"}]
    for path in sources:
        if "vendor" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        used.update(name for name in _CLASS.findall(text) if name in known)
        if path.suffix == ".py":
            used.update(name for name in _QUOTED.findall(text) if name in known)
    return used


def build(*, root: Path, node_modules: Path, out: Path) -> dict:
    """Copy the vendor files and cut the icon font; returns what was written (for the command's report)."""
    import json
    import logging

    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.ERROR)

    out.mkdir(parents=True, exist_ok=True)
    for dest, source in FILES.items():
        # We ship no source maps: a reference to one would break the fingerprinting of static files.
        text = (node_modules / source).read_text(encoding="utf-8")
        (out / dest).write_text(_SOURCE_MAP.sub("", text), encoding="utf-8")
    codepoints = json.loads((node_modules / ICON_MAP).read_text())
    used = sorted(icons_used(root, set(codepoints)))
    (out / "icons").mkdir(exist_ok=True)
    stale = out / "icons" / "fonts"
    if stale.exists():
        shutil.rmtree(stale)
    rules = "".join(f'.bi-{name}::before{{content:"\\{codepoints[name]:x}"}}\n' for name in used)
    (out / ICON_CSS).write_text(_BASE_RULE + rules)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []
    options.name_IDs = ["*"]
    font = subset.load_font(str(node_modules / ICON_FONT), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[codepoints[name] for name in used])
    subsetter.subset(font)
    subset.save_font(font, str(out / ICON_FONT_OUT), options)
    return {"icons": len(used), "font_bytes": (out / ICON_FONT_OUT).stat().st_size}
