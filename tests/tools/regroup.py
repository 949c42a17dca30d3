"""Group tests/test_*.py into folders mirroring the code; re-runnable (moves only what is still
flat; rewrites every `tests/test_x.py` mentioned in tracked files). Run from the repo root."""

import fnmatch
import pathlib
import re
import subprocess

RULES = [  # first match wins; an unmatched module stays flat and is printed
    ("journeys", "journey browser_journey browser_workflow admin_browser"),
    (
        "intake",
        "intake_* case_search submission_errors bad_input result_files state_machine_* "
        "workflow_* admin_transitions admin_inbox api_schemathesis open311* browser_location",
    ),
    ("routing", "routing_* configuration_history nearest_officer"),
    ("notify", "notify_* survey_* staff_alerts_pages demo_sms_reply"),
    ("directory", "policy scoping_* admin_login two_factor need_to_know location_privacy api_keys"),
    ("frontend", "dashboard_* desk_session language_consistency demo_prints governance_index"),
    (
        "ops",
        "ops ops_* deploy monitoring web_server fault_* object_storage client_address edge abuse",
    ),
    (
        "shared",
        "identifiers privacy_* satisfaction_* json_bodies eventbus catalogues developer_loop",
    ),
]
moved = {}
for path in sorted(pathlib.Path("tests").glob("test_*.py")):
    stem = path.stem.removeprefix("test_")
    folder = next(
        (f for f, pats in RULES if any(fnmatch.fnmatch(stem, p) for p in pats.split())), None
    )
    if folder is None:
        print("unplaced:", path)
        continue
    (pathlib.Path("tests") / folder).mkdir(exist_ok=True)
    init = pathlib.Path("tests", folder, "__init__.py")
    if not init.exists():
        init.write_text("")
        subprocess.run(["git", "add", str(init)], check=True)
    subprocess.run(["git", "mv", str(path), f"tests/{folder}/{path.name}"], check=True)
    moved[path.name] = f"tests/{folder}/{path.name}"
# Every grouped module, moved now or by an earlier run: references to any of them are fixed.
placed = {p.name: str(p) for p in pathlib.Path("tests").glob("*/test_*.py")}
if placed:
    pattern = re.compile(r"tests/(test_[a-z0-9_]+\.py)")
    dotted = re.compile(r"\btests\.(test_[a-z0-9_]+)\b")  # `from tests.test_x import`
    files = subprocess.run(
        ["git", "grep", "-I", "-l", "-E", r"tests[/.]test_[a-z0-9_]+"],
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in files:
        text = pathlib.Path(name).read_text()
        new = pattern.sub(lambda m: placed.get(m.group(1), m.group(0)), text)
        new = dotted.sub(
            lambda m: (
                placed[m.group(1) + ".py"][:-3].replace("/", ".")
                if m.group(1) + ".py" in placed
                else m.group(0)
            ),
            new,
        )
        if new != text:
            pathlib.Path(name).write_text(new)
print(f"moved {len(moved)} modules")
