from django.db import models
from django.db.models import F


class RoutingConfigVersion(models.Model):
    """Moves on every change of a tenant's rules, deadline policies or working calendar, so
    each routing worker's cached copy of them (services/routing/config.py) is checked with one
    primary-key read per case."""

    tenant = models.OneToOneField(
        "directory.Tenant", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "分拨配置版本"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.version}"

    @classmethod
    def advance(cls, tenant_id: int) -> None:
        """Every cached copy of the tenant's configuration is out of date from now on."""
        if not cls.objects.filter(tenant_id=tenant_id).update(version=F("version") + 1):
            cls.objects.get_or_create(tenant_id=tenant_id, defaults={"version": 1})
