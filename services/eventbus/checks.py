"""System check: every subscription names an event some service publishes.

An event is published when it is declared in a service's `events` module and that service's own
code (outside its `events` module, and outside `subscribe(...)` calls) refers to the declaration:
constructs it, or names it in a table such as intake's TRANSITIONS. A declaration nobody uses
any more, or one made elsewhere (a handler module, a test), is an event nobody publishes, and a
subscription to it would wait forever: `manage.py check` (run before every deploy and by
`migrate`) fails.

Only subscriptions made by the installed apps' code are checked; tests subscribe to throwaway
events of their own.
"""

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from django.apps import apps
from django.core import checks

from .declarations import Event


@checks.register()
def check_subscriptions(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from . import subscriptions  # the registry lives in the package, filled by the apps' ready()

    errors: list[checks.CheckMessage] = []
    for subscription in subscriptions():
        if app_of(subscription.handler.__module__) is None:
            continue
        for event in subscription.events:
            problem = unpublished(event)
            if problem:
                errors.append(
                    checks.Error(
                        f"{_where(subscription.handler)} subscribes to {event.name}, which no "
                        f"service publishes: {problem}.",
                        hint="Publish it from its service, or drop the subscription.",
                        obj=subscription.handler,
                        id="eventbus.E001",
                    )
                )
    return errors


def unpublished(event: type[Event]) -> str:
    """Why no service publishes `event`, or "" when one does."""
    module = event.__module__
    app = app_of(module)
    if app is None or module != f"{app.name}.events":
        return f"it is declared in {module}, not in a service's events module"
    if not publishes(app.path, event.__name__):
        return f"{app.name} declares it but never uses {event.__name__}"
    return ""


def app_of(module: str):
    """The installed app whose package holds `module` (the longest match), if any."""
    owners = [
        app
        for app in apps.get_app_configs()
        if module == app.name or module.startswith(f"{app.name}.")
    ]
    return max(owners, key=lambda app: len(app.name), default=None)


def _where(handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


@cache
def publishes(package_path: str, declaration: str) -> bool:
    """Whether the package's code names `declaration` other than to subscribe to it."""
    for path in _sources(Path(package_path)):
        text = path.read_text(encoding="utf-8")
        if declaration in text and declaration in _names_used(text):
            return True
    return False


def _sources(package: Path) -> Iterable[Path]:
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).parts
        if parts == ("events.py",) or "migrations" in parts or "tests" in parts:
            continue
        yield path


def _names_used(source: str) -> set[str]:
    """The names and attributes a module refers to, leaving out what subscribing names: the
    arguments of subscribe() and type annotations (a handler's parameter)."""
    tree = ast.parse(source)
    left_out: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) == "subscribe":
            left_out.extend(node.args)
        elif isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            left_out.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            left_out.append(node.returns)
    skipped = {id(n) for part in left_out for n in ast.walk(part)}
    used: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.Attribute):
            used.add(node.attr)
    return used


def _called(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""
