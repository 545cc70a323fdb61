"""Respondent-facing messages of the engine, in every language the library ships.

These are the engine's own words (a required answer missing, a number out of range). Question
wording is data in the definition; these messages are code because every channel shows them.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "required": {
        "en": "Please answer this question.",
        "zh-Hans": "请回答此题。",
        "zh-Hant": "請回答此題。",
    },
    "required_all_items": {
        "en": "Please answer every row.",
        "zh-Hans": "请回答每一行。",
        "zh-Hant": "請回答每一列。",
    },
    "invalid_option": {
        "en": "Please choose one of the options listed.",
        "zh-Hans": "请从列出的选项中选择。",
        "zh-Hant": "請從列出的選項中選擇。",
    },
    "one_option_only": {
        "en": "Please choose only one option.",
        "zh-Hans": "只能选择一个选项。",
        "zh-Hant": "只能選擇一個選項。",
    },
    "other_text_required": {
        "en": "You chose “{label}”: please say what it is.",
        "zh-Hans": "您选择了“{label}”，请具体说明。",
        "zh-Hant": "您選擇了「{label}」，請具體說明。",
    },
    "too_few_selected": {
        "en": "Please choose at least {min} options.",
        "zh-Hans": "请至少选择 {min} 项。",
        "zh-Hant": "請至少選擇 {min} 項。",
    },
    "too_many_selected": {
        "en": "Please choose no more than {max} options.",
        "zh-Hans": "最多只能选择 {max} 项。",
        "zh-Hant": "最多只能選擇 {max} 項。",
    },
    "exclusive_option": {
        "en": "“{label}” cannot be combined with other options.",
        "zh-Hans": "“{label}”不能与其他选项同时选择。",
        "zh-Hant": "「{label}」不能與其他選項同時選擇。",
    },
    "not_a_number": {
        "en": "Please enter a number, for example {example}.",
        "zh-Hans": "请输入数字，例如 {example}。",
        "zh-Hant": "請輸入數字，例如 {example}。",
    },
    "not_whole_number": {
        "en": "Please enter a whole number.",
        "zh-Hans": "请输入整数。",
        "zh-Hant": "請輸入整數。",
    },
    "too_many_decimals": {
        "en": "Please use at most {decimals} decimal places.",
        "zh-Hans": "最多保留 {decimals} 位小数。",
        "zh-Hant": "最多保留 {decimals} 位小數。",
    },
    "below_min": {
        "en": "Please enter {min} or more.",
        "zh-Hans": "请输入不小于 {min} 的数值。",
        "zh-Hant": "請輸入不小於 {min} 的數值。",
    },
    "above_max": {
        "en": "Please enter {max} or less.",
        "zh-Hans": "请输入不大于 {max} 的数值。",
        "zh-Hant": "請輸入不大於 {max} 的數值。",
    },
    "out_of_scale": {
        "en": "Please choose a value from {min} to {max}.",
        "zh-Hans": "请选择 {min} 到 {max} 之间的数值。",
        "zh-Hant": "請選擇 {min} 到 {max} 之間的數值。",
    },
    "too_short": {
        "en": "Please write at least {min} characters.",
        "zh-Hans": "请至少输入 {min} 个字。",
        "zh-Hant": "請至少輸入 {min} 個字。",
    },
    "too_long": {
        "en": "Please keep it to {max} characters or fewer (you wrote {length}).",
        "zh-Hans": "请不要超过 {max} 个字（您输入了 {length} 个）。",
        "zh-Hant": "請不要超過 {max} 個字（您輸入了 {length} 個）。",
    },
    "pattern_mismatch": {
        "en": "The answer is not in the expected format.",
        "zh-Hans": "答案格式不正确。",
        "zh-Hant": "答案格式不正確。",
    },
    "not_a_date": {
        "en": "Please enter a date as YYYY-MM-DD, for example 2024-03-31.",
        "zh-Hans": "请按 年-月-日 格式输入日期，例如 2024-03-31。",
        "zh-Hant": "請按 年-月-日 格式輸入日期，例如 2024-03-31。",
    },
    "date_before_min": {
        "en": "Please enter a date on or after {min}.",
        "zh-Hans": "请输入 {min} 或之后的日期。",
        "zh-Hant": "請輸入 {min} 或之後的日期。",
    },
    "date_after_max": {
        "en": "Please enter a date on or before {max}.",
        "zh-Hans": "请输入 {max} 或之前的日期。",
        "zh-Hant": "請輸入 {max} 或之前的日期。",
    },
    "not_yes_no": {
        "en": "Please answer yes or no.",
        "zh-Hans": "请回答“是”或“否”。",
        "zh-Hant": "請回答「是」或「否」。",
    },
    "constraint_failed": {
        "en": "This answer is not possible here. Please check it.",
        "zh-Hans": "此答案不符合要求，请检查。",
        "zh-Hant": "此答案不符合要求，請檢查。",
    },
    "special_not_offered": {
        "en": "That answer is not available for this question.",
        "zh-Hans": "此题不提供该选项。",
        "zh-Hant": "此題不提供該選項。",
    },
    "not_on_this_step": {
        "en": "This question is not being asked now.",
        "zh-Hans": "当前不是这一题。",
        "zh-Hant": "目前不是這一題。",
    },
    "already_completed": {
        "en": "This interview is already complete.",
        "zh-Hans": "本次访问已经完成。",
        "zh-Hant": "本次訪問已經完成。",
    },
    "dont_know": {"en": "Don't know", "zh-Hans": "不知道", "zh-Hant": "不知道"},
    "refused": {"en": "Prefer not to say", "zh-Hans": "不愿回答", "zh-Hant": "不願回答"},
    "yes": {"en": "Yes", "zh-Hans": "是", "zh-Hant": "是"},
    "no": {"en": "No", "zh-Hans": "否", "zh-Hant": "否"},
}


def message(key: str, language: str, **params: object) -> str:
    """Return message ``key`` in ``language`` (falling back to English), formatted with ``params``."""
    variants = MESSAGES[key]
    template = variants.get(language)
    if template is None and language.startswith("zh"):
        template = variants.get("zh-Hant" if language in ("zh-TW", "zh-HK", "zh-Hant") else "zh-Hans")
    return (template or variants["en"]).format(**params)
