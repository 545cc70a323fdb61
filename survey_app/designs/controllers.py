"""Views: the questionnaire list, creating (blank, template, file), the overview, publishing,
versions, variants and downloads. The builder's forms and the definition editor are in
``editor_controllers``, the previews in ``preview_controllers``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from survey_app.auth.access import roles_required
from survey_app.auth.models import Role
from survey_app.db import get_session
from survey_app.designs import formats, operations, queries
from survey_app.designs.formdata import languages_of, merged_text, outline, text_values
from survey_app.designs.forms import (
    STAKEHOLDER_GROUPS,
    CreateForm,
    ImportForm,
    RevisionForm,
    TemplateForm,
    clone_form_class,
    show_error,
)
from survey_app.designs.models import QuestionnaireRecord
from survey_app.designs.problems import locate

Page = str | Response
EDITORS = (Role.researcher, Role.admin)
VIEWERS = (Role.researcher, Role.admin, Role.analyst, Role.qa_auditor)


def can_edit(record: QuestionnaireRecord) -> bool:
    return current_user.role in EDITORS and not record.is_template


def editable_record(questionnaire_id: int) -> QuestionnaireRecord:
    """The questionnaire to change; library templates are read-only for everyone (403)."""
    record = queries.get_questionnaire(get_session(), questionnaire_id)
    if record.is_template:
        abort(403, description=_("Library templates cannot be changed: use the template to make a copy."))
    return record


def draft_context(record: QuestionnaireRecord) -> dict[str, Any]:
    """What every page about a draft shows: the document, its languages and its located problems."""
    return {
        "record": record,
        "document": record.draft,
        "languages": languages_of(record.draft),
        "pages": outline(record.draft),
        "problems": locate(queries.draft_problems(record)),
        "can_edit": can_edit(record),
        "is_editor": current_user.role in EDITORS,
    }


def group_choices() -> list[str]:
    return sorted({*STAKEHOLDER_GROUPS, *queries.stakeholder_groups_in_use(get_session())})


def reset_revision(form: Any, record: QuestionnaireRecord) -> None:
    """Let a form posted against an older revision be sent again, on top of the current draft."""
    form.draft_revision.raw_data = None
    form.draft_revision.data = record.draft_revision


@roles_required(*VIEWERS)
def index() -> str:
    session = get_session()
    return render_template(
        "designs/index.html",
        rows=queries.query_questionnaires(session),
        templates=queries.query_questionnaires(session, templates=True),
        may_create=current_user.role in EDITORS,
    )


def _new_page(
    create: CreateForm | None = None, template: TemplateForm | None = None, upload: ImportForm | None = None
) -> str:
    templates = queries.query_questionnaires(get_session(), templates=True)
    template = template or TemplateForm(formdata=None, template_id=request.args.get("template", type=int))
    template.template_id.choices = [
        SelectChoice(row.record.id, f"{row.record.title} ({row.record.key})") for row in templates
    ]
    return render_template(
        "designs/new.html",
        create_form=create or CreateForm(formdata=None),
        template_form=template,
        import_form=upload or ImportForm(formdata=None),
        templates=templates,
        groups=group_choices(),
    )


@roles_required(*EDITORS)
def new() -> str:
    return _new_page()


def _created(record: QuestionnaireRecord) -> Response:
    flash(_("The questionnaire %(key)s has been created.", key=record.key), "success")
    return redirect(url_for(".show", questionnaire_id=record.id))


@roles_required(*EDITORS)
def create() -> Page:
    form = CreateForm()
    if form.validate_on_submit():
        try:
            record = operations.create_questionnaire(
                get_session(),
                key=form.key.data or "",
                title=form.title.data or "",
                stakeholder_group=form.stakeholder_group.data or "",
                languages=(form.languages.data or "").replace(",", " ").split(),
                owner=current_user,
            )
        except operations.DesignError as error:
            show_error(form, error)
        else:
            return _created(record)
    return _new_page(create=form)


@roles_required(*EDITORS)
def create_from_template() -> Page:
    form = TemplateForm()
    if form.validate_on_submit():
        session = get_session()
        template = queries.get_questionnaire(session, form.template_id.data)
        if not template.is_template:
            abort(404)
        try:
            record = operations.use_template(session, template, key=form.key.data or "", owner=current_user)
        except operations.DesignError as error:
            show_error(form, error)
        else:
            return _created(record)
    return _new_page(template=form)


@roles_required(*EDITORS)
def import_file() -> Page:
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = operations.import_questionnaire(
                get_session(),
                filename=upload.filename or "",
                content=upload.read(formats.MAX_UPLOAD_BYTES + 1),
                stakeholder_group=form.stakeholder_group.data or None,
                key=form.key.data or None,
                owner=current_user,
            )
        except operations.DesignError as error:
            show_error(form, error)
        else:
            # Rendered, not redirected: the list of import issues can be long (no cookie for it).
            context = draft_context(outcome.record)
            return render_template("designs/imported.html", imported=outcome.imported, **context)
    return _new_page(upload=form)


@roles_required(*VIEWERS)
def show(questionnaire_id: int) -> str:
    session = get_session()
    record = queries.get_questionnaire(session, questionnaire_id)
    return render_template(
        "designs/show.html",
        versions=queries.query_versions(session, questionnaire_id),
        unchanged=queries.unchanged_since(record, queries.latest_version(session, questionnaire_id)),
        revision=record.draft_revision,
        **draft_context(record),
    )


@roles_required(*EDITORS)
def publish(questionnaire_id: int) -> Page:
    session = get_session()
    record = editable_record(questionnaire_id)
    form = RevisionForm(draft_revision=record.draft_revision)
    if form.validate_on_submit():
        try:
            version = operations.publish_version(
                session, record, revision=form.draft_revision.data, user=current_user
            )
        except operations.DesignError as error:
            form.form_errors.append(error.message)
            reset_revision(form, record)
        else:
            flash(_("Version %(n)d has been published.", n=version.number), "success")
            return redirect(url_for(".version", questionnaire_id=questionnaire_id, number=version.number))
    latest = queries.latest_version(session, questionnaire_id)
    return render_template(
        "designs/publish.html",
        form=form,
        next_number=latest.number + 1 if latest else 1,
        unchanged=queries.unchanged_since(record, latest),
        problem_list=queries.draft_problems(record),
        **draft_context(record),
    )


@roles_required(*VIEWERS)
def version(questionnaire_id: int, number: int) -> str:
    session = get_session()
    record = queries.get_questionnaire(session, questionnaire_id)
    frozen = queries.get_version(session, questionnaire_id, number)
    published_by = next(
        (v.published_by for v in queries.query_versions(session, questionnaire_id) if v.number == number),
        None,
    )
    return render_template(
        "designs/version.html",
        record=record,
        version=frozen,
        published_by=published_by,
        text=formats.dump_text(frozen.document),
    )


def _download(
    record: QuestionnaireRecord, document: dict[str, Any], kind: str, number: int | None
) -> Response:
    try:
        data = formats.export_bytes(document, kind)
    except formats.FileError as error:
        flash(error.message, "error")
        return redirect(url_for(".show", questionnaire_id=record.id))
    name = formats.download_name(record.key, kind, number)
    return Response(
        data,
        content_type=formats.EXPORT_FORMATS[kind][0],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@roles_required(*VIEWERS)
def export_draft(questionnaire_id: int, kind: str) -> Response:
    record = queries.get_questionnaire(get_session(), questionnaire_id)
    return _download(record, record.draft, kind, None)


@roles_required(*VIEWERS)
def export_version(questionnaire_id: int, number: int, kind: str) -> Response:
    session = get_session()
    record = queries.get_questionnaire(session, questionnaire_id)
    return _download(record, queries.get_version(session, questionnaire_id, number).document, kind, number)


@roles_required(*EDITORS)
def clone(questionnaire_id: int) -> Page:
    session = get_session()
    source = queries.get_questionnaire(session, questionnaire_id)
    languages = languages_of(source.draft)
    other_group = next(g for g in [*STAKEHOLDER_GROUPS, "any"] if g != source.stakeholder_group)
    titles = {
        f"title-{lang}": text for lang, text in text_values(source.draft.get("title"), languages).items()
    }
    form = clone_form_class(tuple(languages))(stakeholder_group=other_group, **titles)
    if form.validate_on_submit():
        entered = {lang: form[f"title-{lang}"].data for lang in languages}
        try:
            record = operations.clone_questionnaire(
                session,
                source,
                key=form.key.data or None,
                stakeholder_group=form.stakeholder_group.data or "",
                title=merged_text(entered, source.draft.get("title"), keep_empty=True),
                owner=current_user,
            )
        except operations.DesignError as error:
            show_error(form, error)
        else:
            return _created(record)
    return render_template(
        "designs/clone.html", source=source, form=form, languages=languages, groups=group_choices()
    )
