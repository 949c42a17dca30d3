"""An English-speaking county can run it: every English catalogue translates every message it
holds (none empty, none left fuzzy), so no page falls back to Chinese for a string someone
extracted but never translated. `manage.py makemessages -l en` adds new strings; fill them."""

from pathlib import Path

import pytest

from tests.helpers import ROOT

CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/en/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def entries(po: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each active entry; multi-line strings joined."""
    found, msgid, msgstr, fuzzy, field = [], None, None, False, None
    for line in [*po.read_text().splitlines(), ""]:
        if line.startswith("#~"):
            continue  # obsolete
        if not line.strip():
            if msgid is not None:
                found.append((msgid, msgstr or "", fuzzy))
            msgid, msgstr, fuzzy, field = None, None, False, None
        elif line.startswith("#,"):
            fuzzy = "fuzzy" in line
        elif line.startswith("msgid "):
            msgid, field = line[7:-1], "id"
        elif line.startswith("msgstr"):
            msgstr, field = line.split(" ", 1)[1][1:-1], "str"
        elif line.startswith('"') and field == "id":
            msgid += line[1:-1]
        elif line.startswith('"') and field == "str":
            msgstr += line[1:-1]
    return [e for e in found if e[0]]  # the header's msgid is empty


def test_every_service_has_an_english_catalogue():
    apps = {p.relative_to(ROOT).parts[0:2] for p in CATALOGUES}
    for app in ("directory", "intake", "notify", "routing"):
        assert ("services", app) in apps, app
    assert any(app[0] == "frontend" for app in apps)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated(po):
    missing = [msgid for msgid, msgstr, fuzzy in entries(po) if fuzzy or not msgstr]
    assert missing == [], missing
