"""Views of contact governance: the do-not-contact list and the contact-frequency rule."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from survey_app.auth.access import roles_required
from survey_app.auth.models import Role
from survey_app.db import get_session
from survey_app.frames import operations, queries
from survey_app.frames.forms import AddressFileForm, AddressForm, RulesForm
from survey_app.frames.labels import error_text

STAFF = (Role.researcher, Role.admin)
Page = str | Response


def _list_page(
    add: AddressForm | None = None, upload: AddressFileForm | None = None, status: int = 200
) -> tuple[str, int]:
    session = get_session()
    search = request.args.get("q", "").strip()
    page = render_template(
        "frames/do_not_contact.html",
        add_form=add or AddressForm(formdata=None),
        file_form=upload or AddressFileForm(formdata=None),
        entries=queries.query_do_not_contact(session, search),
        total=queries.count_do_not_contact(session),
        search=search,
        staff_source=queries.DNC_SOURCE,
    )
    return page, status


@roles_required(*STAFF)
def do_not_contact() -> tuple[str, int]:
    return _list_page()


@roles_required(*STAFF)
def add_address() -> Page | tuple[str, int]:
    form = AddressForm()
    if not form.validate_on_submit():
        return _list_page(add=form, status=400)
    try:
        entry = operations.add_do_not_contact(get_session(), form.address.data, form.region.data or None)
    except operations.GovernanceError as exc:
        form.address.errors = [error_text(exc.code, exc.params, str(exc))]
        return _list_page(add=form, status=400)
    flash(_("%(address)s will not be contacted.", address=entry.address), "success")
    return redirect(url_for("frames.do_not_contact"))


@roles_required(*STAFF)
def import_addresses() -> Page | tuple[str, int]:
    form = AddressFileForm()
    if not form.validate_on_submit():
        return _list_page(upload=form, status=400)
    try:
        lines = operations.decode_upload(form.file.data.read(operations.MAX_DNC_BYTES + 1))
        result = operations.import_do_not_contact(get_session(), lines, form.region.data or None)
    except operations.GovernanceError as exc:
        form.file.errors = [error_text(exc.code, exc.params, str(exc))]
        return _list_page(upload=form, status=400)
    flash(
        _("%(added)s added, %(already)s already listed.", added=result.added, already=result.already),
        "success",
    )
    for number, text in result.invalid:
        flash(
            _("Line %(line)s not added: “%(text)s” is not a phone number or e-mail.", line=number, text=text),
            "error",
        )
    return redirect(url_for("frames.do_not_contact"))


@roles_required(*STAFF)
def remove_address(opt_out_id: int) -> Page:
    try:
        address = operations.remove_do_not_contact(get_session(), opt_out_id)
    except operations.GovernanceError as exc:
        flash(error_text(exc.code, exc.params, str(exc)), "error")
    else:
        flash(_("%(address)s removed from the do-not-contact list.", address=address), "success")
    return redirect(url_for("frames.do_not_contact"))


@roles_required(*STAFF)
def rules() -> Page | tuple[str, int]:
    session = get_session()
    form = RulesForm(obj=queries.get_contact_rules(session))
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("frames/rules.html", form=form), 400
        operations.set_contact_frequency(session, form.frequency_days.data, current_user.id)
        flash(_("Contact rules saved."), "success")
        return redirect(url_for("frames.rules"))
    return render_template("frames/rules.html", form=form)
