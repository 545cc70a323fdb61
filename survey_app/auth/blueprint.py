"""URL rules of the auth module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey_app.auth import controllers
from survey_app.blueprints import NavItem

bp = Blueprint("auth", __name__, template_folder="templates")
bp.add_url_rule("/login", view_func=controllers.login, methods=["GET", "POST"])
bp.add_url_rule("/logout", view_func=controllers.logout, methods=["POST"])
bp.add_url_rule("/account", view_func=controllers.account, methods=["GET", "POST"])
bp.add_url_rule("/account/password", view_func=controllers.change_password, methods=["GET", "POST"])
bp.add_url_rule("/admin/users", view_func=controllers.list_users)
bp.add_url_rule("/admin/users/new", view_func=controllers.create_user, methods=["GET", "POST"])
bp.add_url_rule("/admin/users/<int:user_id>", view_func=controllers.edit_user, methods=["GET", "POST"])
bp.add_url_rule(
    "/admin/users/<int:user_id>/password", view_func=controllers.reset_password, methods=["GET", "POST"]
)

NAV = (
    NavItem("auth.list_users", _l("Users")),
    NavItem("auth.account", _l("My account")),
)
