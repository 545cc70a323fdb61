"""URL parameters of the authoring endpoints for the role × route matrix.

Merged by ``tests/route_params.py``.

Each callable creates a real questionnaire (the sample: two pages, questions with options and
variants) so the matrix exercises the views, not their 404s; versions get a published row.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from tests.route_params import RouteContext
from tests.survey_app.designs.helpers import SAMPLE

_numbers = itertools.count(1)


def _questionnaire(ctx: RouteContext) -> QuestionnaireRecord:
    document = copy.deepcopy(SAMPLE)
    document["id"] = f"matrix_{next(_numbers)}"
    record = QuestionnaireRecord(
        key=document["id"], title="Matrix", stakeholder_group="end_customer", draft=document
    )
    ctx.db_session.add(record)
    ctx.db_session.commit()
    return record


def _q(ctx: RouteContext) -> dict[str, Any]:
    return {"questionnaire_id": _questionnaire(ctx).id}


def _published(ctx: RouteContext) -> dict[str, Any]:
    record = _questionnaire(ctx)
    ctx.db_session.add(QuestionnaireVersion(questionnaire_id=record.id or 0, number=1, document=record.draft))
    ctx.db_session.commit()
    return {"questionnaire_id": record.id, "number": 1, "kind": "yaml"}


def _with(**values: Any) -> Any:
    def params(ctx: RouteContext) -> Mapping[str, Any]:
        return {**_q(ctx), **values}

    return params


ROUTE_PARAMS: dict[str, Any] = {
    "designs.show": _q,
    "designs.publish": _q,
    "designs.clone": _q,
    "designs.settings": _q,
    "designs.add_page": _q,
    "designs.structure": _q,
    "designs.definition": _q,
    "designs.save_definition": _q,
    "designs.preview_web": _q,
    "designs.edit_page": _with(page=0),
    "designs.add_question": _with(page=0),
    "designs.edit_question": _with(page=0, question=0),
    "designs.export_draft": _with(kind="yaml"),
    "designs.preview_channel": _with(channel="sms"),
    "designs.version": _published,
    "designs.export_version": _published,
}
