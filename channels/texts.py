"""The channels' own words (reply hints, keypad instructions, re-prompts) in en, zh-Hans and zh-Hant.

Question wording comes from the definition; the engine's validation messages come from
``questionnaires.messages``. These are the few phrases a medium adds around them. English texts
keep to the GSM-7 alphabet (straight quotes) so that an English SMS is not sent as UCS-2.
"""

from __future__ import annotations

from collections.abc import Sequence

TEXTS: dict[str, dict[str, str]] = {
    # --- SMS reply hints -------------------------------------------------------------------------
    "sms_reply_one": {"en": "Reply with a number.", "zh-Hans": "请回复数字。", "zh-Hant": "請回覆數字。"},
    "sms_reply_many": {
        "en": "Reply with one or more numbers, e.g. {example}.",
        "zh-Hans": "可多选，请回复数字，如：{example}。",
        "zh-Hant": "可複選，請回覆數字，如：{example}。",
    },
    "sms_reply_range": {
        "en": "Reply {low}-{high}",
        "zh-Hans": "请回复{low}-{high}",
        "zh-Hant": "請回覆{low}-{high}",
    },
    "sms_scale_ends": {
        "en": " ({low}={low_label}, {high}={high_label})",
        "zh-Hans": "（{low}={low_label}，{high}={high_label}）",
        "zh-Hant": "（{low}={low_label}，{high}={high_label}）",
    },
    "sms_reply_yes_no": {
        "en": "Reply Y or N.",
        "zh-Hans": "请回复“是”或“否”。",
        "zh-Hant": "請回覆「是」或「否」。",
    },
    "sms_reply_number": {"en": "Reply with a number.", "zh-Hans": "请回复数字。", "zh-Hant": "請回覆數字。"},
    "sms_reply_number_range": {
        "en": "Reply with a number from {min} to {max}.",
        "zh-Hans": "请回复 {min} 到 {max} 之间的数字。",
        "zh-Hant": "請回覆 {min} 到 {max} 之間的數字。",
    },
    "sms_reply_date": {
        "en": "Reply with a date, e.g. 2024-03-31.",
        "zh-Hans": "请回复日期，如：2024-03-31。",
        "zh-Hant": "請回覆日期，如：2024-03-31。",
    },
    "sms_reply_matrix": {
        "en": "Reply with {n} numbers ({low}-{high}), one per item, e.g. {example}.",
        "zh-Hans": "请按顺序回复 {n} 个数字（{low}-{high}），如：{example}。",
        "zh-Hant": "請依序回覆 {n} 個數字（{low}-{high}），如：{example}。",
    },
    "sms_or_special": {
        "en": 'Or reply "{label}".',
        "zh-Hans": "或回复“{label}”。",
        "zh-Hant": "或回覆「{label}」。",
    },
    "sms_done": {
        "en": "Thank you! The survey is complete.",
        "zh-Hans": "谢谢！调查已完成。",
        "zh-Hant": "謝謝！調查已完成。",
    },
    "sms_help": {
        "en": "Reply with the number of your answer. BACK: previous question. STOP: opt out.",
        "zh-Hans": "请回复答案前的数字。回复“返回”修改上一题，回复TD退订。",
        "zh-Hant": "請回覆答案前的數字。回覆「返回」修改上一題，回覆STOP取消訂閱。",
    },
    # --- re-prompts for replies the adapter cannot map -----------------------------------------
    "err_choice": {
        "en": "Please reply with a number from {low} to {high}.",
        "zh-Hans": "请回复 {low} 到 {high} 之间的数字。",
        "zh-Hant": "請回覆 {low} 到 {high} 之間的數字。",
    },
    "err_choice_many": {
        "en": "Please reply with numbers from {low} to {high}, e.g. {example}.",
        "zh-Hans": "请回复 {low} 到 {high} 之间的数字，可多选，如：{example}。",
        "zh-Hant": "請回覆 {low} 到 {high} 之間的數字，可複選，如：{example}。",
    },
    "err_matrix": {
        "en": "Please reply with {n} numbers from {low} to {high}, one per item, e.g. {example}.",
        "zh-Hans": "请按顺序回复 {n} 个 {low} 到 {high} 之间的数字，如：{example}。",
        "zh-Hant": "請依序回覆 {n} 個 {low} 到 {high} 之間的數字，如：{example}。",
    },
    "err_special_key": {
        "en": "Or {key} for {label}.",
        "zh-Hans": "“{label}”请回复 {key}。",
        "zh-Hant": "「{label}」請回覆 {key}。",
    },
    # --- automated calls -----------------------------------------------------------------------
    "ivr_option": {
        "en": "For {label}, press {key}.",
        "zh-Hans": "{label}请按{key}，",
        "zh-Hant": "{label}請按{key}，",
    },
    "ivr_pound": {
        "en": "Then press the pound key.",
        "zh-Hans": "然后按井号键。",
        "zh-Hant": "然後按井字鍵。",
    },
    "ivr_multiple": {
        "en": "Press the numbers of all that apply, then press the pound key.",
        "zh-Hans": "可多选，请依次按下所选的数字，然后按井号键。",
        "zh-Hant": "可複選，請依序按下所選的數字，然後按井字鍵。",
    },
    "ivr_scale": {
        "en": "Please press a number from {low} to {high}.",
        "zh-Hans": "请按 {low} 到 {high} 之间的数字。",
        "zh-Hant": "請按 {low} 到 {high} 之間的數字。",
    },
    "ivr_scale_pound": {
        "en": "Please enter a number from {low} to {high}, then press the pound key.",
        "zh-Hans": "请输入 {low} 到 {high} 之间的数字，然后按井号键。",
        "zh-Hant": "請輸入 {low} 到 {high} 之間的數字，然後按井字鍵。",
    },
    "ivr_scale_ends": {
        "en": "{low} means {low_label}, and {high} means {high_label}.",
        "zh-Hans": "{low} 表示{low_label}，{high} 表示{high_label}。",
        "zh-Hant": "{low} 表示{low_label}，{high} 表示{high_label}。",
    },
    "ivr_number": {
        "en": "Please enter the number on your keypad, then press the pound key.",
        "zh-Hans": "请在键盘上输入数字，然后按井号键。",
        "zh-Hant": "請在鍵盤上輸入數字，然後按井字鍵。",
    },
    "ivr_date": {
        "en": "Please enter the date as eight digits, year, month and day, for example 2 0 2 4 0 3 3 1, "
        "then press the pound key.",
        "zh-Hans": "请输入 8 位数字的日期（年月日），例如 2 0 2 4 0 3 3 1，然后按井号键。",
        "zh-Hant": "請輸入 8 位數字的日期（年月日），例如 2 0 2 4 0 3 3 1，然後按井字鍵。",
    },
    "ivr_matrix": {
        "en": "For each of the following, press a number from {low} to {high}: {items}. "
        "Press one digit for each, then press the pound key.",
        "zh-Hans": "请依次为以下各项按 {low} 到 {high} 之间的数字：{items}。每项按一个数字，然后按井号键。",
        "zh-Hant": "請依序為以下各項按 {low} 到 {high} 之間的數字：{items}。每項按一個數字，然後按井字鍵。",
    },
    "ivr_speak": {
        "en": "Please say your answer.",
        "zh-Hans": "请说出您的回答。",
        "zh-Hant": "請說出您的回答。",
    },
    "ivr_star": {"en": "star {key}", "zh-Hans": "星号键加{key}", "zh-Hant": "米字鍵加{key}"},
    "ivr_no_input": {
        "en": "Sorry, we did not get your answer.",
        "zh-Hans": "抱歉，我们没有收到您的回答。",
        "zh-Hant": "抱歉，我們沒有收到您的回答。",
    },
    "ivr_err_choice": {
        "en": "Sorry, please press a number from {low} to {high}.",
        "zh-Hans": "抱歉，请按 {low} 到 {high} 之间的数字。",
        "zh-Hant": "抱歉，請按 {low} 到 {high} 之間的數字。",
    },
    "ivr_err_digits": {
        "en": "Sorry, please enter {n} digits, then press the pound key.",
        "zh-Hans": "抱歉，请输入 {n} 位数字，然后按井号键。",
        "zh-Hant": "抱歉，請輸入 {n} 位數字，然後按井字鍵。",
    },
    "ivr_err_speak": {
        "en": "Sorry, please say your answer.",
        "zh-Hans": "抱歉，请说出您的回答。",
        "zh-Hant": "抱歉，請說出您的回答。",
    },
    "ivr_consent": {
        "en": "To start the survey, press 1. If you do not want to take part, press 2. "
        "During the survey, press star to hear a question again.",
        "zh-Hans": "开始调查请按 1，不愿参加请按 2。调查中按星号键可重听问题。",
        "zh-Hant": "開始調查請按 1，不願參加請按 2。調查中按米字鍵可重聽問題。",
    },
    "ivr_goodbye": {
        "en": "Thank you for your time. Goodbye.",
        "zh-Hans": "感谢您的参与，再见。",
        "zh-Hant": "感謝您的參與，再見。",
    },
    # --- interviewer instructions ---------------------------------------------------------------
    "agent_read_options": {
        "en": "Read out the options.",
        "zh-Hans": "请读出选项。",
        "zh-Hant": "請讀出選項。",
    },
    "agent_do_not_read": {
        "en": "Do not read out the options; code the answer given.",
        "zh-Hans": "不要读出选项，按受访者的回答编码。",
        "zh-Hant": "不要讀出選項，按受訪者的回答編碼。",
    },
    "agent_multiple": {"en": "Several answers allowed.", "zh-Hans": "可多选。", "zh-Hant": "可複選。"},
    "agent_scale": {
        "en": "Scale from {low} to {high}.",
        "zh-Hans": "量表 {low} 到 {high}。",
        "zh-Hant": "量表 {low} 到 {high}。",
    },
    "agent_specials": {
        "en": "Do not read out: {labels}. Record only if the respondent says so.",
        "zh-Hans": "不要读出：{labels}。仅在受访者主动表示时记录。",
        "zh-Hant": "不要讀出：{labels}。僅在受訪者主動表示時記錄。",
    },
    "agent_other": {
        "en": 'If the answer is not listed, choose "{label}" and type it.',
        "zh-Hans": "如回答不在选项中，请选“{label}”并记录原话。",
        "zh-Hant": "如回答不在選項中，請選「{label}」並記錄原話。",
    },
    "list_separator": {"en": ", ", "zh-Hans": "、", "zh-Hant": "、"},
    "full_stop": {"en": ".", "zh-Hans": "。", "zh-Hant": "。"},
}


def language_family(language: str) -> str:
    """Return the text variant for ``language``: ``zh-Hant``, ``zh-Hans`` or ``en`` (the fallback)."""
    if language.startswith("zh"):
        traditional = ("zh-Hant", "zh-TW", "zh-HK", "zh-MO")
        return "zh-Hant" if any(language.startswith(t) for t in traditional) else "zh-Hans"
    return "en"


def text(name: str, language: str, /, **params: object) -> str:
    """Return channel text ``name`` in ``language`` (English when not translated), formatted."""
    variants = TEXTS[name]
    return variants.get(language, variants[language_family(language)]).format(**params)


def join(items: Sequence[str], language: str) -> str:
    """Join words with the list separator of ``language`` (``, `` or ``、``)."""
    return text("list_separator", language).join(items)
