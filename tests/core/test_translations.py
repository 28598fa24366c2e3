"""Every user-facing string ships in Simplified Chinese: the catalogue is complete and up to date."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, is_fuzzy) for each entry but the header; plural forms count via msgstr[0]."""
    found = []
    for block in text.split("\n\n"):
        msgid = (
            "".join(re.findall(r'"(.*)"', block.split("msgid ", 1)[1].split("\nmsgstr")[0]))
            if "msgid " in block
            else ""
        )
        if not msgid:
            continue
        translated = re.search(r'msgstr(?:\[0\])? ((?:".*"\n?)+)', block + "\n")
        msgstr = "".join(re.findall(r'"(.*)"', translated.group(1))) if translated else ""
        found.append((msgid, msgstr, "#, fuzzy" in block))
    return found


def test_every_string_in_the_catalogue_is_translated():
    rows = entries(CATALOGUE.read_text(encoding="utf-8"))
    assert len(rows) > 300
    missing = [msgid for msgid, msgstr, fuzzy in rows if not msgstr or fuzzy]
    assert missing == []


def test_the_catalogue_holds_every_string_the_code_marks_for_translation(tmp_path):
    """makemessages on the current code adds nothing that the committed catalogue lacks."""
    original = CATALOGUE.read_bytes()
    before = {msgid for msgid, _, _ in entries(original.decode("utf-8"))}
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--ignore=.venv",
            "--ignore=.tools",
            "--ignore=node_modules",
            "--ignore=tests",
            "--no-obsolete",
            "-v",
            "0",
        ],
        cwd=ROOT,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "crm.settings", "HOME": str(tmp_path)},
    )
    try:
        after = {msgid for msgid, _, _ in entries(CATALOGUE.read_text(encoding="utf-8"))}
    finally:
        CATALOGUE.write_bytes(original)
    assert after - before == set()
