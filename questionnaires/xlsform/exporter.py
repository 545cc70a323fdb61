"""Exporting a questionnaire as an XLSForm workbook (``survey``, ``choices``, ``settings``).

The workbook is plain ODK XLSForm: pages become ``field-list`` groups, conditions become
``relevant`` XPath, ratings/NPS/yes-no become ``select_one`` questions with generated lists, a
matrix becomes a ``table-list`` group of ``select_one`` rows, bounds (min/max, lengths, number of
selections) become constraints and special answers become extra choices.

What XLSForm cannot say (our question type, the scale, special answers, channel wording, tags,
alerts ...) is kept as JSON in an extra ``fieldwork`` column that pyxform passes through and ODK
ignores, so :func:`~questionnaires.xlsform.importer.import_xlsform` restores the questionnaire.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

from questionnaires.definition import (
    CHOICE_TYPES,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Text,
    localize,
)
from questionnaires.messages import message
from questionnaires.render import PIPE
from questionnaires.xlsform.languages import column_language
from questionnaires.xlsform.logic_syntax import parse_logic
from questionnaires.xlsform.logic_to_xpath import LogicContext, logic_references, logic_to_xpath_tree
from questionnaires.xlsform.markers import BOUND_FIELDS, MARKER, bound_conjuncts
from questionnaires.xlsform.naming import unique_name
from questionnaires.xlsform.tree import Node, TranslationError, conjoin


class XlsformExportError(ValueError):
    """A questionnaire expression that has no XLSForm equivalent (validate the definition first)."""


_TRANSLATED = ("label", "hint", "constraint_message")


def export_xlsform(questionnaire: Questionnaire) -> bytes:
    """Return ``questionnaire`` as an XLSForm .xlsx workbook (bytes) that pyxform converts.

    Raises :class:`XlsformExportError` if an expression cannot be written as XPath, which does
    not happen for a questionnaire that passes ``validate``.
    """
    return _Exporter(questionnaire).run()


class _Exporter:
    def __init__(self, questionnaire: Questionnaire) -> None:
        self.q = questionnaire
        self.languages = list(questionnaire.languages) or ["en"]
        self.columns = {lang: column_language(lang) for lang in self.languages}
        self.survey: list[dict[str, Any]] = []
        self.choices: list[dict[str, Any]] = []
        self.list_names: set[str] = set()
        self.names: set[str] = {q.id for q in questionnaire.questions()} | {p.id for p in questionnaire.pages}
        self.contact_names: dict[str, str] = {}
        self.item_names: dict[tuple[str, str], str] = {}
        self.kinds = {q.id: q.type.value for q in questionnaire.questions()}
        self.yes_no_list: str | None = None
        for question in questionnaire.questions():
            if question.type is QuestionType.MATRIX:
                for item in question.items:
                    self.item_names[(question.id, item.code)] = self.new_name(
                        _xml_name(f"{question.id}_{item.code}")
                    )

    # -- helpers ---------------------------------------------------------------------------------

    def new_name(self, base: str) -> str:
        """Return an XLSForm name made from ``base``, unique across the form."""
        name = unique_name(base, self.names)
        self.names.add(name)
        return name

    def list_name(self, base: str) -> str:
        """Return a choice list name made from ``base``, unique among the lists."""
        name = unique_name(base, self.list_names)
        self.list_names.add(name)
        return name

    def context(self) -> LogicContext:
        return LogicContext(kinds=self.kinds, item_names=self.item_names, contact_names=self.contact_names)

    def xpath(self, text: str, where: str, extra: Iterable[Node] = ()) -> str:
        """Translate an expression of ours (plus generated conjuncts) to XPath."""
        try:
            parts = [parse_logic(text)] if text else []
            parts.extend(extra)
            if not parts:
                return ""
            return logic_to_xpath_tree(conjoin(parts), self.context())
        except TranslationError as exc:
            raise XlsformExportError(f"{where}: {exc}") from exc

    def texts(self, column: str, text: Text | None) -> dict[str, str]:
        """Return the per-language cells of a text column, with pipes written as ``${name}``."""
        if text is None:
            return {}
        cells: dict[str, str] = {}
        for lang in self.languages:
            value = text if isinstance(text, str) else text.get(lang, "")
            if value:
                cells[f"{column}::{self.columns[lang]}"] = self.pipes(value)
        return cells

    def pipes(self, value: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(2)
            if match.group(1):
                if self.kinds.get(name) == "matrix":
                    return match.group(0)
                return f"${{{name}}}"
            field = name.removeprefix("contact.")
            return f"${{{self.contact_names.get(field, field)}}}"

        return PIPE.sub(replace, value)

    def row(self, kind: str, name: str, **cells: Any) -> dict[str, Any]:
        row = {"type": kind, "name": name, **{k: v for k, v in cells.items() if v not in (None, "", {})}}
        self.survey.append(row)
        return row

    def choice(self, list_name: str, code: str, label: Text, marker: dict[str, Any] | None = None) -> None:
        row: dict[str, Any] = {"list_name": list_name, "name": code, **self.texts("label", label)}
        if not any(key.startswith("label::") for key in row):
            row[f"label::{self.columns[self.languages[0]]}"] = code
        if isinstance(label, str):
            marker = {**(marker or {}), "neutral": True}
        if marker:
            row[MARKER] = _json(marker)
        self.choices.append(row)

    # -- the workbook ----------------------------------------------------------------------------

    def run(self) -> bytes:
        self._contacts()
        question_ids = {q.id for q in self.q.questions()}
        for page in self.q.pages:
            # XLSForm names must be unique across the form: a page named like a question is renamed.
            name = self.new_name(f"{page.id}_page") if page.id in question_ids else page.id
            self.row(
                "begin_group",
                name,
                **self.texts("label", page.title),
                relevant=self.xpath(page.show_if or "", f"page {page.id}"),
                appearance="field-list",
                **_marker_cell(
                    {
                        **({"page": page.id} if name != page.id else {}),
                        **({"neutral": True} if isinstance(page.title, str) else {}),
                    }
                ),
            )
            for question in page.questions:
                self._question(question)
            self.row("end_group", "")
        return self._workbook()

    def _contacts(self) -> None:
        """Contact fields used by conditions or texts become empty calculates to fill in."""
        used: list[str] = []
        expressions = [p.show_if for p in self.q.pages] + [a.when for a in self.q.alerts]
        for question in self.q.questions():
            expressions += [question.show_if, question.constraint, question.calculation]
        for text in expressions:
            if text:
                try:
                    used.extend(name for name in logic_references(text) if name not in used)
                except TranslationError as exc:
                    raise XlsformExportError(f"{text!r}: {exc}") from exc
        for value in self._all_texts():
            for match in PIPE.finditer(value):
                if not match.group(1):
                    field = match.group(2).removeprefix("contact.")
                    if field not in used:
                        used.append(field)
        for field in used:
            name = self.new_name(_xml_name(f"contact_{field}"))
            self.contact_names[field] = name
            self.row("calculate", name, calculation="''", **{MARKER: _json({"contact": field})})

    def _all_texts(self) -> Iterable[str]:
        texts: list[Text | None] = []
        for page in self.q.pages:
            texts.append(page.title)
            for question in page.questions:
                texts += [question.text, question.help, question.constraint_message]
                texts += [o.label for o in (*question.options, *question.items)]
        for text in texts:
            if isinstance(text, str):
                yield text
            elif text:
                yield from text.values()

    def _question(self, question: Question) -> None:
        kind = question.type
        marker: dict[str, Any] = {}
        neutral = [
            name
            for name in ("text", "help", "constraint_message")
            if isinstance(getattr(question, name), str)
        ]
        if neutral:  # language-neutral texts (a plain string, not {language: text})
            marker["neutral"] = neutral
        for key in ("tags",):
            value = getattr(question, key)
            if value:
                marker[key] = list(value)
        variants = question.variants.model_dump(mode="json", exclude_defaults=True)
        if variants:
            marker["variants"] = variants
        if question.special:
            marker["special"] = [s.model_dump(mode="json", exclude_defaults=True) for s in question.special]
        where = f"question {question.id}"
        relevant = self.xpath(question.show_if or "", where)
        common: dict[str, Any] = {
            **self.texts("label", question.text),
            **self.texts("hint", question.help),
            "relevant": relevant,
        }
        if question.required and kind not in (QuestionType.INFO, QuestionType.CALCULATE):
            common["required"] = "yes"
        if kind is not QuestionType.CALCULATE and not any(
            k.startswith(("label::", "hint::")) for k in common
        ):
            # pyxform needs a label; the id stands in, and the marker says there was none.
            common[f"label::{self.columns[self.languages[0]]}"] = question.id
            marker["untitled"] = True
        if kind is QuestionType.MATRIX:
            self._matrix(question, marker, common)
            return
        if kind is QuestionType.INFO:
            self.row("note", question.id, **common, **_marker_cell(marker))
            return
        if kind is QuestionType.CALCULATE:
            common.pop("required", None)
            calculation = self.xpath(question.calculation or "''", where)
            self.row("calculate", question.id, calculation=calculation, **common, **_marker_cell(marker))
            return
        fields = question.model_dump(mode="json", include=set(BOUND_FIELDS), exclude_none=True)
        marker.update(fields)
        xls_type, appearance, parameters = self._type(question, marker)
        fields["options"] = [o.model_dump(mode="json") for o in question.options]
        fields["special_codes"] = marker.get("special_codes", {})
        generated = bound_conjuncts(fields, kind.value)
        constraint = self.xpath(question.constraint or "", where, generated)
        cells: dict[str, Any] = {**common, "constraint": constraint, "appearance": appearance}
        if parameters:
            cells["parameters"] = parameters
        if constraint and question.constraint_message is not None:
            cells.update(self.texts("constraint_message", question.constraint_message))
        self.row(xls_type, question.id, **cells, **_marker_cell(marker))
        if question.other is not None and kind in CHOICE_TYPES:
            self._specify_other(question)

    def _type(self, question: Question, marker: dict[str, Any]) -> tuple[str, str, str]:
        """Return the XLSForm type, appearance and parameters, writing choice lists as needed."""
        kind = question.type
        if kind is QuestionType.NUMERIC:
            if question.decimals not in (0, 2):
                marker["decimals"] = question.decimals
            return ("integer" if question.decimals == 0 else "decimal"), "", ""
        if kind is QuestionType.TEXT:
            return "text", "", ""
        if kind is QuestionType.LONG_TEXT:
            return "text", "multiline", ""
        if kind is QuestionType.DATE:
            return "date", "", ""
        parameters = "randomize=true" if question.randomize else ""
        if kind in CHOICE_TYPES:
            list_name = self.list_name(_xml_name(question.id))
            multiple = kind is QuestionType.MULTIPLE_CHOICE
            used: set[str] = set()
            for option in question.options:
                self._option(list_name, option, used, multiple)
            if question.other is not None:
                self._option(
                    list_name, Option(code=question.other.code, label=question.other.label), used, multiple
                )
                if question.other.max_length != 200:
                    marker["other"] = {"max_length": question.other.max_length}
            self._specials(question, list_name, used, marker)
            return ("select_multiple " if multiple else "select_one ") + list_name, "", parameters
        marker["type"] = kind.value
        if kind is QuestionType.YES_NO and not question.special:
            if self.yes_no_list is None:
                self.yes_no_list = self.list_name("yes_no")
                for code in ("yes", "no"):
                    self.choice(self.yes_no_list, code, self._message(code))
            return "select_one " + self.yes_no_list, "", ""
        list_name = self.list_name(_xml_name(question.id))
        used = set()
        if kind is QuestionType.YES_NO:
            for code in ("yes", "no"):
                self.choice(list_name, code, self._message(code))
                used.add(code)
        else:
            self._scale_choices(question, list_name, used, marker)
        self._specials(question, list_name, used, marker)
        return "select_one " + list_name, "likert" if kind is QuestionType.RATING else "", ""

    def _message(self, key: str) -> dict[str, str]:
        return {lang: message(key, lang) for lang in self.languages}

    def _option(self, list_name: str, option: Option, used: set[str], multiple: bool) -> None:
        code = option.code
        marker: dict[str, Any] = {}
        if multiple and (" " in code or code in used):
            code = unique_name(re.sub(r"\s+", "_", code), used)
            marker["code"] = option.code
        used.add(code)
        if option.fixed:
            marker["fixed"] = True
        if option.exclusive:
            marker["exclusive"] = True
        self.choice(list_name, code, option.label, marker)

    def _specials(self, question: Question, list_name: str, used: set[str], marker: dict[str, Any]) -> None:
        """Special answers (don't know, refused) become extra choices of the list."""
        codes: dict[str, str] = {}
        for special in question.special:
            code = unique_name(special.kind.value, used)
            used.add(code)
            codes[special.kind.value] = code
            label = special.label if special.label is not None else self._message(special.kind.value)
            self.choice(list_name, code, label)
        if codes:
            marker["special_codes"] = codes

    def _scale_choices(
        self, question: Question, list_name: str, used: set[str], marker: dict[str, Any]
    ) -> None:
        if question.type is QuestionType.NPS:
            low, high = 0, 10
        else:
            start = question.scale.start if question.scale else 1
            points = question.scale.points if question.scale else 5
            low, high = start, start + points - 1
        scale = question.scale
        if scale is not None:
            marker["scale"] = scale.model_dump(mode="json", exclude_defaults=True)
        for value in range(low, high + 1):
            label: dict[str, str] = {}
            for lang in self.languages:
                text = str(value)
                named = (scale.labels or {}).get(str(value)) if scale else None
                if named is not None:
                    text = f"{value} - {localize(named, lang, self.languages[0])}"
                elif scale is not None and value == low and scale.low_label is not None:
                    text = f"{value} - {localize(scale.low_label, lang, self.languages[0])}"
                elif scale is not None and value == high and scale.high_label is not None:
                    text = f"{value} - {localize(scale.high_label, lang, self.languages[0])}"
                label[lang] = text
            used.add(str(value))
            self.choice(list_name, str(value), label)

    def _specify_other(self, question: Question) -> None:
        other = question.other
        assert other is not None
        name = self.new_name(f"{question.id}_other")
        relevant = self.xpath(f"selected({question.id}, {_quote(other.code)})", f"question {question.id}")
        self.row(
            "text",
            name,
            **self.texts("label", other.label),
            relevant=relevant,
            required="yes" if other.text_required else "",
        )

    def _matrix(self, question: Question, marker: dict[str, Any], common: dict[str, Any]) -> None:
        list_name = self.list_name(_xml_name(question.id))
        used: set[str] = set()
        if question.scale is not None or not question.options:
            self._scale_choices(question, list_name, used, marker)
            marker["scale"] = marker.get("scale")
        else:
            for option in question.options:
                self._option(list_name, option, used, False)
        self._specials(question, list_name, used, marker)
        if question.randomize:
            marker["randomize"] = True
        rows = {self.item_names[(question.id, item.code)]: item.code for item in question.items}
        marker.update({"type": "matrix", "id": question.id, "rows": rows})
        required = common.pop("required", None)
        self.row("begin_group", question.id, **common, appearance="table-list", **_marker_cell(marker))
        for item in question.items:
            self.row(
                "select_one " + list_name,
                self.item_names[(question.id, item.code)],
                **self.texts("label", item.label),
                required=required,
                **_marker_cell({"neutral": True} if isinstance(item.label, str) else {}),
            )
        self.row("end_group", "")

    def _workbook(self) -> bytes:
        book = Workbook()
        survey = book.active
        assert survey is not None
        survey.title = "survey"
        translated = [f"{column}::{self.columns[lang]}" for column in _TRANSLATED for lang in self.languages]
        survey_columns = [
            "type",
            "name",
            *[c for c in translated if c.startswith(("label::", "hint::"))],
            "required",
            "relevant",
            "constraint",
            *[c for c in translated if c.startswith("constraint_message::")],
            "calculation",
            "appearance",
            "parameters",
            MARKER,
        ]
        _sheet(survey, survey_columns, self.survey)
        choices_columns = [
            "list_name",
            "name",
            *[f"label::{self.columns[lang]}" for lang in self.languages],
            MARKER,
        ]
        _sheet(book.create_sheet("choices"), choices_columns, self.choices)
        settings_marker: dict[str, Any] = {"title": self.q.title}
        for key in ("description", "intro", "thank_you", "contact_fields"):
            value = getattr(self.q, key)
            if value is not None:
                settings_marker[key] = list(value) if isinstance(value, tuple) else value
        if self.q.stakeholder_group != "end_customer":
            settings_marker["stakeholder_group"] = self.q.stakeholder_group
        if self.q.alerts:
            settings_marker["alerts"] = [
                a.model_dump(mode="json", exclude_defaults=True) for a in self.q.alerts
            ]
        settings = {
            "form_title": localize(self.q.title, self.languages[0]),
            "form_id": self.q.id,
            "version": self.q.version,
            "default_language": self.columns[self.languages[0]],
            "clean_text_values": "no",
            MARKER: _json(settings_marker),
        }
        _sheet(book.create_sheet("settings"), list(settings), [settings])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def _sheet(sheet: Any, columns: list[str], rows: list[dict[str, Any]]) -> None:
    present = [c for c in columns if any(c in row for row in rows)] or columns[:2]
    sheet.append(present)
    for row in rows:
        sheet.append([row.get(column) for column in present])


def _json(value: Any) -> str:
    # ASCII escapes: pyxform turns typographic quotes into straight ones, which would break JSON.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True)


def _marker_cell(marker: dict[str, Any]) -> dict[str, str]:
    return {MARKER: _json(marker)} if marker else {}


def _xml_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", text)
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


def _quote(code: str) -> str:
    return "'" + code.replace("\\", "\\\\").replace("'", "\\'") + "'"
