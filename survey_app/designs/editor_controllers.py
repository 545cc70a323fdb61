"""Views that change a draft: the builder's forms (settings, pages, questions, moves) and the
definition editor. Each save goes through one operation and, when it worked, comes back to the
same form (post/redirect/get), which then shows the validator's problems next to the fields.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from questionnaires.validation import validate
from survey_app.auth.access import roles_required
from survey_app.db import get_session
from survey_app.designs import formats, operations, queries
from survey_app.designs.builder import (
    BuilderChange,
    DeleteItem,
    MoveItem,
    PutPage,
    PutQuestion,
    UpdateSettings,
)
from survey_app.designs.controllers import EDITORS, VIEWERS, draft_context, editable_record, reset_revision
from survey_app.designs.formdata import (
    as_dict,
    as_list,
    languages_of,
    page_form_data,
    page_from_form,
    question_form_data,
    question_from_form,
    question_sections,
    settings_form_data,
    settings_from_form,
)
from survey_app.designs.forms import (
    DefinitionForm,
    StructureForm,
    page_form_class,
    question_form_class,
    settings_form_class,
    show_error,
)
from survey_app.designs.models import QuestionnaireRecord
from survey_app.designs.problems import builder_target, text_lines

Page = str | Response


def _saved(form: Any, record: QuestionnaireRecord, change: BuilderChange) -> bool:
    try:
        operations.apply_builder_change(
            get_session(), record, change, revision=form.draft_revision.data, user=current_user
        )
    except operations.StaleDraft as error:
        form.form_errors.append(error.message)
        reset_revision(form, record)
        return False
    except operations.DesignError as error:
        show_error(form, error)
        return False
    flash(_("Saved."), "success")
    return True


def _pages(record: QuestionnaireRecord) -> list[Any]:
    return as_list(record.draft.get("pages"))


@roles_required(*EDITORS)
def settings(questionnaire_id: int) -> Page:
    record = editable_record(questionnaire_id)
    languages = languages_of(record.draft)
    initial = settings_form_data(record.draft, languages)
    form = settings_form_class(tuple(languages))(data={**initial, "draft_revision": record.draft_revision})
    if form.validate_on_submit():
        change = UpdateSettings(settings_from_form(form.data, languages, record.draft))
        if _saved(form, record, change):
            return redirect(url_for(".settings", questionnaire_id=questionnaire_id))
    return render_template("designs/settings.html", form=form, **draft_context(record))


def _unused_id(prefix: str, taken: set[str]) -> str:
    number = len(taken) + 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


@roles_required(*EDITORS)
def edit_page(questionnaire_id: int, page: int | None = None) -> Page:
    record = editable_record(questionnaire_id)
    languages, pages = languages_of(record.draft), _pages(record)
    if page is not None and not (page < len(pages) and isinstance(pages[page], dict)):
        abort(404)
    original = (
        pages[page]
        if page is not None
        else {"id": _unused_id("page", {str(as_dict(p).get("id")) for p in pages})}
    )
    form = page_form_class(tuple(languages))(
        data={**page_form_data(original, languages), "draft_revision": record.draft_revision}
    )
    if form.validate_on_submit():
        if _saved(form, record, PutPage(page_from_form(form.data, languages, original), index=page)):
            index = page if page is not None else len(_pages(record)) - 1
            return redirect(url_for(".edit_page", questionnaire_id=questionnaire_id, page=index))
    return render_template("designs/page_form.html", form=form, page_index=page, **draft_context(record))


def _question_ids(record: QuestionnaireRecord) -> set[str]:
    return {str(as_dict(q).get("id")) for p in _pages(record) for q in as_list(as_dict(p).get("questions"))}


@roles_required(*EDITORS)
def edit_question(questionnaire_id: int, page: int, question: int | None = None) -> Page:
    record = editable_record(questionnaire_id)
    languages, pages = languages_of(record.draft), _pages(record)
    questions = as_list(as_dict(pages[page]).get("questions")) if page < len(pages) else None
    if questions is None or (
        question is not None and not (question < len(questions) and isinstance(questions[question], dict))
    ):
        abort(404)
    original = questions[question] if question is not None else {"id": _unused_id("q", _question_ids(record))}
    initial = {**question_form_data(original, languages), "original_id": original.get("id", "")}
    form = question_form_class(tuple(languages))(data={**initial, "draft_revision": record.draft_revision})
    if form.validate_on_submit():
        built = question_from_form(form.data, languages, original)
        expected = form.original_id.data if question is not None else None
        if _saved(form, record, PutQuestion(page, built, index=question, expected_id=expected)):
            index = (
                question if question is not None else len(as_list(_pages(record)[page].get("questions"))) - 1
            )
            return redirect(
                url_for(".edit_question", questionnaire_id=questionnaire_id, page=page, question=index)
            )
    context = draft_context(record)
    found = context["problems"].question(page, question) if question is not None else {}
    sections = question_sections(str(form.type.data), original, set(found))
    return render_template(
        "designs/question_form.html",
        form=form,
        page_index=page,
        question_index=question,
        found=found,
        sections=sections,
        **context,
    )


@roles_required(*EDITORS)
def structure(questionnaire_id: int) -> Response:
    record = editable_record(questionnaire_id)
    form = StructureForm()
    if not form.validate_on_submit():
        abort(400)
    page, question = form.page.data, form.question.data
    change: BuilderChange
    if form.action.data == "delete" and not form.confirm.data:
        flash(_("Tick “confirm” next to Delete to delete."), "error")
        return redirect(url_for(".show", questionnaire_id=questionnaire_id))
    if form.action.data == "delete":
        change = DeleteItem(page, question, form.expected_id.data or None)
    else:
        change = MoveItem(page, question, -1 if form.action.data == "up" else 1)
    try:
        operations.apply_builder_change(
            get_session(), record, change, revision=form.draft_revision.data, user=current_user
        )
    except operations.StaleDraft:
        flash(_("The draft changed since this page was loaded, so nothing was changed. Try again."), "error")
    except operations.DesignError as error:
        flash(error.message, "error")
    else:
        flash(_("Deleted.") if form.action.data == "delete" else _("Moved."), "success")
    return redirect(url_for(".show", questionnaire_id=questionnaire_id))


def _definition_page(
    record: QuestionnaireRecord, form: DefinitionForm, text: str, problems: list[Any]
) -> str:
    targets = {p.path: builder_target(p.path) for p in problems}
    return render_template(
        "designs/definition.html",
        form=form,
        kind=form.format.data,
        problem_list=problems,
        lines=text_lines(text, [p.path for p in problems]),
        source_lines=text.splitlines(),
        targets=targets,
        **draft_context(record),
    )


@roles_required(*VIEWERS)
def definition(questionnaire_id: int) -> str:
    record = queries.get_questionnaire(get_session(), questionnaire_id)
    kind = "json" if request.args.get("format") == "json" else "yaml"
    text = formats.dump_text(record.draft, kind)
    form = DefinitionForm(formdata=None, text=text, format=kind, draft_revision=record.draft_revision)
    return _definition_page(record, form, text, list(queries.draft_problems(record)))


@roles_required(*EDITORS)
def save_definition(questionnaire_id: int) -> Page:
    record = editable_record(questionnaire_id)
    form = DefinitionForm()
    text = form.text.data or ""
    if not form.validate_on_submit():
        form.format.data = "yaml"
        return _definition_page(record, form, text, [])
    try:
        document = formats.parse_text(text, form.format.data, operations.LIBRARY_DIR)
    except formats.FileError as error:
        form.text.errors = [error.message]  # nothing saved; the text stays in the editor
        return _definition_page(record, form, text, [])
    try:
        operations.save_draft(
            get_session(), record, document, revision=form.draft_revision.data, user=current_user
        )
    except operations.DesignError as error:
        form.form_errors.append(error.message)
        if isinstance(error, operations.StaleDraft):
            reset_revision(form, record)
        return _definition_page(record, form, text, validate(document))
    flash(_("The draft has been saved."), "success")
    return redirect(url_for(".definition", questionnaire_id=questionnaire_id, format=form.format.data))
