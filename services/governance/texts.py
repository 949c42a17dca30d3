"""The explanation of a township's standing, worded in the reader's language.

A result stores the explanation as plain values (index.explain), so a frozen month reads in
Chinese or English alike; the indicator and sub-index names are the tenant's own data.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def explanation(town: str, index: float | None, facts: dict[str, Any]) -> str:
    """E.g. "新河镇本月指数在4个镇街中最低，主要因为平安法治分指数偏弱；其中3项三级指标排名
    后3位；差距最大的三级指标：…。" """
    if index is None:
        return _("%(town)s本月没有可计算的指标数据。") % {"town": town}
    if facts["total"] < 2:
        return _("%(town)s是唯一参与排名的镇街。") % {"town": town}
    values = {"town": town, "rank": facts["rank"], "total": facts["total"]}
    if facts["sub_index"] is None:
        return (
            _("%(town)s本月指数排名第%(rank)d（共%(total)d个镇街），各分指数均不落后于其他镇街。")
            % values
        )
    values["sub_index"] = facts["sub_index"]
    if facts["lowest"]:
        text = (
            _("%(town)s本月指数在%(total)d个镇街中最低，主要因为%(sub_index)s分指数偏弱") % values
        )
    else:
        text = (
            _(
                "%(town)s本月指数排名第%(rank)d（共%(total)d个镇街），拉低最多的是%(sub_index)s分指数"
            )
            % values
        )
    if facts["bottom_count"]:
        text += ngettext(
            "；其中%(count)d项三级指标排名后%(bottom)d位",
            "；其中%(count)d项三级指标排名后%(bottom)d位",
            facts["bottom_count"],
        ) % {"count": facts["bottom_count"], "bottom": facts["bottom"]}
    if facts["indicators"]:
        text += _("；差距最大的三级指标：%(names)s") % {"names": _("、").join(facts["indicators"])}
    return text + _("。")
