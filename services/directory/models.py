"""Tenants, their region tree, departments and staff roles: the shared kernel every service uses."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from .policy import Role


def validate_tile_url(value: str) -> None:
    """A tile server's URL template: https, with the {z}, {x} and {y} placeholders."""
    if not value.startswith("https://") or any(p not in value for p in ("{z}", "{x}", "{y}")):
        raise ValidationError(
            _("瓦片地址须以 https:// 开头，并包含 {z}、{x}、{y} 三个占位符。"), code="tile_url"
        )


class Tenant(models.Model):
    """A county/city platform (平台), e.g. 温岭市. Every business row belongs to exactly one."""

    name = models.CharField(_("名称"), max_length=100)
    slug = models.SlugField(_("代码"), unique=True)
    hotline = models.CharField(_("服务热线"), max_length=30, blank=True)
    phone_region = models.CharField(
        _("默认号码地区"), max_length=2, default="CN", help_text=_("解析无国际区号的手机号时使用")
    )
    sms_number = models.CharField(
        _("短信发送号码"),
        max_length=20,
        blank=True,
        db_index=True,
        help_text=_("E.164 格式；用于匹配市民回复的短信"),
    )
    sms_to_foreign_numbers = models.BooleanField(
        _("向境外号码发送短信"),
        default=False,
        help_text=_(
            "不勾选（默认）时，默认号码地区以外的号码（如 +1、+852）收不到任何短信，"
            "以免境外短信费用和借提交刷短信；案件照常受理，市民凭受理编号查询进展"
        ),
    )
    retention_days = models.PositiveIntegerField(
        _("个人信息保存天数"),
        null=True,
        blank=True,
        default=1095,
        help_text=_("结案超过此天数的案件，市民姓名、电话和照片将被匿名化删除；留空表示永久保存"),
    )
    desk_idle_minutes = models.PositiveSmallIntegerField(
        _("受理窗口无操作自动退出（分钟）"),
        default=15,
        help_text=_("受理窗口电脑多人共用：超过此时间无操作，登录自动失效"),
    )

    map_tile_url = models.CharField(
        _("地图底图瓦片地址"),
        max_length=300,
        blank=True,
        validators=[validate_tile_url],
        help_text=_(
            "留空（默认）时地图不显示底图，只画镇街边界。填写本地瓦片服务的地址模板，如 "
            "https://tiles.example.gov.cn/{z}/{x}/{y}.png（Web 墨卡托瓦片，WGS-84/CGCS2000 坐标）"
        ),
    )

    two_factor_roles = models.JSONField(
        _("需要两步验证的角色"),
        default=list,
        blank=True,
        help_text=_("这些角色登录时除密码外还须输入身份验证器（TOTP）上的动态码"),
    )

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("平台")
        verbose_name_plural = _("平台")

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    """A node of the tenant's region tree: 镇街 township → 村社 village/community → 网格 grid."""

    class Level(models.TextChoices):
        TOWNSHIP = "township", _("镇街")
        VILLAGE = "village", _("村社")
        GRID = "grid", _("网格")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("平台"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级"),
    )
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(
        _("区划代码"),
        max_length=20,
        blank=True,
        help_text=_("统计用区划代码，如 331081101；上传镇街边界时可按代码匹配"),
    )
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    # Residents (常住人口): the governance index counts cases per 10,000 of them.
    population = models.PositiveIntegerField(
        _("常住人口"), null=True, blank=True, help_text=_("用于治理指数的“每万人受理量”等指标")
    )
    # Materialised path of ids ("/3/17/42/") so a subtree is one indexed prefix query.
    path = models.CharField(max_length=255, editable=False, db_index=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")

    def __str__(self) -> str:
        return self.name


class RegionBoundary(models.Model):
    """A township's outline (镇街边界) for the map, as the tenant uploaded it (GeoJSON, WGS-84).

    Stored as a GeoJSON MultiPolygon in a JSON column with its bounding box: the map draws a
    few dozen townships and never queries by shape, so PostGIS would add an extension to every
    deployment for nothing (boundaries.py checks the shape once, on upload)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("平台"))
    region = models.OneToOneField(
        Region, on_delete=models.CASCADE, related_name="boundary", verbose_name=_("镇街")
    )
    geometry = models.JSONField(_("边界"))
    min_latitude = models.FloatField()
    max_latitude = models.FloatField()
    min_longitude = models.FloatField()
    max_longitude = models.FloatField()
    source = models.CharField(_("来源文件"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("镇街边界")
        verbose_name_plural = _("镇街边界")

    def __str__(self) -> str:
        return str(self.region)


class Department(models.Model):
    """A city bureau (市级部门) or a township office (镇街科室) that handles cases."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("平台"))
    name = models.CharField(_("名称"), max_length=100)
    code = models.SlugField(_("代码"))
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("所属区域"),
        help_text=_("镇街科室填写所属镇街；市级部门留空"),
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="department_code_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """A user's place in one tenant: role and, for department staff, their departments."""

    Role = Role  # declared with what each role may do, in policy.py

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("用户"),
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("平台"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    departments = models.ManyToManyField(Department, blank=True, verbose_name=_("所属部门"))
    is_department_head = models.BooleanField(_("部门负责人"), default=False)
    phone = models.CharField(
        _("手机号码"), max_length=20, blank=True, help_text=_("E.164 格式；接收督办预警短信")
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("所在镇街"),
        help_text=_("受理窗口所在的镇街"),
    )

    objects = ScopedManager(tenant="tenant")

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"


class DutyPosition(models.Model):
    """外勤定位: a field officer's duty state and latest shared position (one row per officer).

    Only the latest position is kept: dispatch needs where an officer is now, not where they
    went (a track of staff movements is personal data nobody asked for). A position older than
    positions.STALE_AFTER counts as off duty, so a phone that died or left coverage stops
    receiving cases without anyone switching it off.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("平台"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="duty_position",
        verbose_name=_("用户"),
    )
    on_duty = models.BooleanField(_("在岗"), default=False)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    accuracy_m = models.FloatField(_("精度（米）"), null=True, blank=True)
    reported_at = models.DateTimeField(_("定位时间"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("外勤定位")
        verbose_name_plural = _("外勤定位")
        # Dispatch asks: this tenant's officers on duty, reported recently, inside a box of
        # latitudes; the index leads with those so the few candidates come from it.
        indexes = [
            models.Index(
                fields=["tenant", "on_duty", "reported_at", "latitude"], name="duty_fresh_in_box"
            )
        ]

    def __str__(self) -> str:
        return str(self.user)
