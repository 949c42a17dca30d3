"""What each staff role (角色) may do in the admin: one table, read by one auth backend.

Django's admin asks `user.has_perm("intake.view_case")` for every list, page, action and
export. `RolePermissionBackend` answers from the table below, so a role's rights are declared
once, here, and never granted row by row in the database (where they would drift).

Which *rows* a permitted user sees is the other half: the tenant (平台) scoping in
`admin_site.TenantScopedAdmin`, and, for cases, the department rule in intake.

Models not named here fall back to their app's default, so a service that adds a
configuration model (e.g. SMS templates) is administrable by the tenant administrator and
readable by dispatchers without touching this file. Logs and records are listed explicitly
as read-only.
"""

from django.apps import apps
from django.contrib.auth.backends import BaseBackend

from .models import Staff

Role = Staff.Role

VIEW = frozenset({"view"})
EDIT = frozenset({"view", "add", "change", "delete"})

# The business apps staff may ever see; everything else (auth, tasks, axes …) is the
# platform operator's (superuser) alone.
STAFF_APPS = ("directory", "intake", "routing", "notify")

# Records written by the system: never edited by hand, by any role.
READ_ONLY_MODELS = frozenset(
    {
        "intake.case",
        "intake.caseevent",
        "routing.routingdecision",
        "notify.message",
        "notify.survey",
        "notify.inboundmessage",
    }
)

# role → {"app.model": actions}; "app.*" is the default for that app's other models.
POLICY: dict[str, dict[str, frozenset[str]]] = {
    Role.TENANT_ADMIN: {
        # Their own tenant's settings (hotline, SMS number); tenants are created by the operator.
        "directory.tenant": frozenset({"view", "change"}),
        "directory.*": EDIT,
        "intake.*": EDIT,
        "routing.*": EDIT,
        "notify.*": EDIT,
    },
    Role.DISPATCHER: {
        "directory.region": VIEW,
        "directory.department": VIEW,
        "directory.staff": VIEW,
        "intake.*": VIEW,
        "routing.*": VIEW,
        "notify.*": VIEW,
    },
    Role.DEPARTMENT: {
        "intake.case": VIEW,
        "intake.caseevent": VIEW,
    },
    Role.RECEPTION: {
        "intake.case": VIEW,
        "intake.caseevent": VIEW,
        "intake.scenario": VIEW,
        "intake.entrypoint": VIEW,
    },
}


def _actions(policy: dict[str, frozenset[str]], label: str) -> frozenset[str]:
    app_label = label.split(".", 1)[0]
    actions = policy.get(label, policy.get(f"{app_label}.*", frozenset()))
    return actions & VIEW if label in READ_ONLY_MODELS else actions


def permissions_for_role(role: str) -> frozenset[str]:
    """The Django permission names ("intake.view_case") a role holds in its own tenant."""
    policy = POLICY.get(role, {})
    perms = set()
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in STAFF_APPS:
            continue
        for action in _actions(policy, f"{meta.app_label}.{meta.model_name}"):
            perms.add(f"{meta.app_label}.{action}_{meta.model_name}")
    return frozenset(perms)


class RolePermissionBackend(BaseBackend):
    """Grants model permissions by the user's staff role; authenticates no one.

    Object-level checks (`obj` given) are left to the row scoping, as Django's own backend does.
    """

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if not hasattr(user_obj, "_role_perm_cache"):
            from .api import staff_info

            staff = staff_info(user_obj)
            user_obj._role_perm_cache = (
                set(permissions_for_role(staff.role)) if staff is not None else set()
            )
        return user_obj._role_perm_cache

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))
