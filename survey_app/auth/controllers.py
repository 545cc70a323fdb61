"""Views: sign in and out, one's own account, and user administration (admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from survey_app.auth import operations, queries
from survey_app.auth.access import (
    ALL_ROLES,
    end_user_session,
    public_route,
    remember_language_preference,
    roles_required,
    safe_next_url,
    start_user_session,
)
from survey_app.auth.forms import (
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    ResetPasswordForm,
    UserCreateForm,
    UserEditForm,
    profile_fields,
    show_error,
)
from survey_app.auth.models import Role, User
from survey_app.db import get_session

Page = str | Response


@public_route
def login() -> Page:
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = operations.authenticate(get_session(), form.email.data or "", form.password.data or "")
        if user is not None:
            start_user_session(user)
            return redirect(safe_next_url(form.next.data) or url_for("core.index"))
        # One message for unknown address, wrong password and deactivated account alike.
        form.form_errors.append(_("The e-mail address or password is not correct."))
    return render_template("auth/login.html", form=form)


@roles_required(*ALL_ROLES)
def logout() -> Response:
    end_user_session()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@roles_required(*ALL_ROLES)
def account() -> Page:
    form = LanguageForm(preferred_language=current_user.preferred_language or "")
    if form.validate_on_submit():
        user = operations.set_preferred_language(get_session(), current_user, form.preferred_language.data)
        remember_language_preference(user.preferred_language)
        flash(_("Your settings have been saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@roles_required(*ALL_ROLES)
def change_password() -> Page:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            user = operations.change_own_password(
                get_session(), current_user, form.current_password.data or "", form.new_password.data or ""
            )
        except operations.UserError as error:
            show_error(form, error)
        else:
            start_user_session(user)  # the new password's fingerprint, or this session would end too
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@roles_required(Role.admin)
def list_users() -> str:
    return render_template("auth/users.html", users=queries.query_users(get_session()))


@roles_required(Role.admin)
def create_user() -> Page:
    form = UserCreateForm()
    if form.validate_on_submit():
        password = form.password.data or operations.generate_password()
        try:
            user = operations.create_user(
                get_session(), email=form.email.data or "", password=password, **profile_fields(form)
            )
        except operations.UserError as error:
            show_error(form, error)
        else:
            flash(_("The account %(email)s has been created.", email=user.email), "success")
            if form.password.data:
                return redirect(url_for("auth.list_users"))
            return _show_password_once(user, password)
    return render_template("auth/user_form.html", form=form, user=None)


@roles_required(Role.admin)
def edit_user(user_id: int) -> Page:
    user = queries.get_user_or_none(get_session(), user_id) or abort(404)
    form = UserEditForm(obj=user, preferred_language=user.preferred_language or "")
    if form.validate_on_submit():
        try:
            operations.update_user(
                get_session(),
                user,
                acting_user=current_user,
                is_active=form.is_active.data,
                **profile_fields(form),
            )
        except operations.UserError as error:
            show_error(form, error)
        else:
            flash(_("The account %(email)s has been saved.", email=user.email), "success")
            return redirect(url_for("auth.list_users"))
    return render_template("auth/user_form.html", form=form, user=user)


@roles_required(Role.admin)
def reset_password(user_id: int) -> Page:
    user = queries.get_user_or_none(get_session(), user_id) or abort(404)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        password = form.password.data or operations.generate_password()
        operations.set_password(get_session(), user, password)
        flash(_("The password of %(email)s has been reset.", email=user.email), "success")
        if form.password.data:
            return redirect(url_for("auth.list_users"))
        return _show_password_once(user, password)
    return render_template("auth/reset_password.html", form=form, user=user)


def _show_password_once(user: User, password: str) -> Response:
    # Rendered, not flashed: flashed messages travel in the (signed, not encrypted) cookie.
    response = Response(render_template("auth/password_once.html", user=user, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response
