"""The Django auth backend that answers the admin's permission checks from the policy.

Django's admin asks `user.has_perm("intake.view_case")` for every list, page, action and
export. `RolePermissionBackend` answers from `policy.MODEL_ACTIONS`, so a role's rights are
declared once, in policy.py, and never granted row by row in the database (where they would
drift). Which *rows* a permitted user sees is the other half: the tenant (平台) scoping in
`admin_site.TenantScopedAdmin`, and, for cases, `policy.case_reach`.
"""

from django.apps import apps
from django.contrib.auth.backends import BaseBackend

from .policy import model_actions


def permissions_for_role(role: str) -> frozenset[str]:
    """The Django permission names ("intake.view_case") a role holds in its own tenant."""
    perms = set()
    for model in apps.get_models():
        meta = model._meta
        for action in model_actions(role, f"{meta.app_label}.{meta.model_name}"):
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
            from .staff import staff_info

            staff = staff_info(user_obj)
            user_obj._role_perm_cache = (
                set(permissions_for_role(staff.role)) if staff is not None else set()
            )
        return user_obj._role_perm_cache

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))
