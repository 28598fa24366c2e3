"""The served icon stylesheet carries every icon the product names, and no source map is referenced."""

import json
import re
from pathlib import Path

from crm.core import assets

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor"


def test_every_icon_a_template_or_module_names_is_in_the_subset():
    known = set(json.loads((ROOT / "node_modules" / assets.ICON_MAP).read_text()))
    served = set(re.findall(r"\.bi-([a-z0-9-]+)::before", (VENDOR / assets.ICON_CSS).read_text()))
    used = assets.icons_used(ROOT, known)
    assert used <= served, sorted(used - served)
    assert {"people", "car-front", "speedometer2"} <= used  # named in templates and in navigation entries
    assert len(served) < len(known) / 5, "a subset, not the whole font"


def test_vendor_files_reference_no_source_maps():
    for name in assets.FILES:
        assert "sourceMappingURL" not in (VENDOR / name).read_text(encoding="utf-8"), name
