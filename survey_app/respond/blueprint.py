"""URL rules of the respondent channel: personal links, open links and open-link resumes."""

from __future__ import annotations

from flask import Blueprint

from survey_app.config import LANGUAGES
from survey_app.respond import controllers
from survey_app.respond.options import choice_options, hidden_input
from survey_app.respond.rendering import question_blocks

bp = Blueprint("respond", __name__, template_folder="templates")

bp.add_url_rule("/s/<token>", "personal", controllers.personal, methods=["GET", "POST"])
bp.add_url_rule("/o/<token>", "open_link", controllers.open_link)
bp.add_url_rule("/r/<token>", "resume", controllers.resume, methods=["GET", "POST"])


# App-wide: other blueprints render respond/page.html too (the designer's preview).
bp.add_app_template_global(choice_options, "choice_options")
bp.add_app_template_global(question_blocks, "question_blocks")
bp.add_app_template_global(hidden_input, "hidden_input")


@bp.context_processor
def _language_names() -> dict[str, object]:
    return {"language_names": LANGUAGES}
