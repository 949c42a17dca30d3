"""Default SMS texts (Chinese). Tenant-editable templates replace these in the notify issue."""

RECEIPT = (
    "【{tenant}】您反映的问题已受理，受理编号 {tracking_number}。"
    "办理进展将短信告知，查询：{status_url}"
)
SURVEY = (
    "【{tenant}】您反映的问题（编号 {tracking_number}）已办结：{result}\n"
    "请回复数字评价：1非常满意 2满意 3基本满意 4不满意 5非常不满意。"
    "也可点击评价：{survey_url}"
)
THANKS = "【{tenant}】感谢您的评价，我们将持续改进。"
REOPENED = "【{tenant}】已收到您的意见，编号 {tracking_number} 的问题将重新办理。"
HELP = "【{tenant}】未能识别您的回复。请回复 1-5 的数字评价：1非常满意 … 5非常不满意。"
