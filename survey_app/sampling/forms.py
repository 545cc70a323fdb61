"""Staff forms of sampling: the design (allocation preview, then draw), release, assignment, moves."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FloatField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from survey_app.sampling.spec import DesignSpec, SampleError, parse_by, parse_per_stratum

METHOD_LABELS = {
    "proportional": _l("Proportional (n_h ∝ N_h)"),
    "equal": _l("Equal per stratum"),
    "neyman": _l("Neyman (n_h ∝ N_h S_h)"),
    "optimal": _l("Cost-optimal (n_h ∝ N_h S_h / √c_h)"),
    "power": _l("Power (n_h ∝ N_h^a)"),
    "fixed": _l("Fixed n_h per stratum"),
}
_LINES = _l('One "stratum = value" per line.')


class DesignForm(FlaskForm):  # type: ignore[misc]  # flask_wtf is untyped
    """A stratified design: frame, strata, allocation, bounds, response rates, exclusions."""

    frame_id = SelectField(_l("Frame"), coerce=int, validators=[InputRequired()])
    by = StringField(
        _l("Stratification variables"),
        validators=[InputRequired()],
        description=_l("Comma-separated, e.g. region, segment."),
    )
    method = SelectField(
        _l("Allocation"),
        choices=[SelectChoice(k, v) for k, v in METHOD_LABELS.items()],
        default="proportional",
    )
    n = IntegerField(_l("Target completed interviews (n)"), validators=[Optional(), NumberRange(min=1)])
    min_n = IntegerField(_l("Minimum per stratum"), default=0, validators=[Optional(), NumberRange(min=0)])
    max_n = IntegerField(_l("Maximum per stratum"), validators=[Optional(), NumberRange(min=0)])
    power = FloatField(
        _l("Power exponent a"), default=0.5, validators=[Optional(), NumberRange(min=0, max=1)]
    )
    stddev = TextAreaField(_l("Standard deviation S_h per stratum"), description=_LINES)
    stddev_survey = IntegerField(_l("…or S_h from the previous wave: survey id"), validators=[Optional()])
    stddev_variable = StringField(_l("Previous wave: numeric answer"))
    cost = TextAreaField(_l("Cost per completed interview c_h"), description=_LINES)
    fixed = TextAreaField(_l("Fixed n_h per stratum"), description=_LINES)
    response_rate = FloatField(
        _l("Expected response rate (all strata)"), validators=[Optional(), NumberRange(min=0, max=1)]
    )
    response_rates = TextAreaField(_l("…or expected response rate per stratum"), description=_LINES)
    frequency_days = IntegerField(
        _l("Exclude anyone drawn or invited in the last N days"),
        validators=[Optional(), NumberRange(min=0, max=3650)],
    )
    seed = IntegerField(_l("Seed (blank: random, recorded)"), validators=[Optional(), NumberRange(min=0)])
    replicates = IntegerField(
        _l("Replicate groups"), default=1, validators=[Optional(), NumberRange(min=1, max=100)]
    )
    release = IntegerField(
        _l("Replicates released now (blank: all)"), validators=[Optional(), NumberRange(min=0)]
    )
    digest = HiddenField()
    preview = SubmitField(_l("Show allocation"))
    draw = SubmitField(_l("Draw the sample"))

    def spec(self) -> DesignSpec:
        """The design the form describes.

        :raises SampleError: a per-stratum list cannot be read or the settings contradict each other.
        """
        has_wave = self.stddev_survey.data is not None
        if has_wave and not (self.stddev_variable.data or "").strip():
            raise SampleError(_l("Name the numeric answer of the previous wave."), "stddev_variable")
        rates = parse_per_stratum((self.response_rates.data or "").splitlines(), "response_rates")
        fixed = parse_per_stratum((self.fixed.data or "").splitlines(), "fixed", whole=True)
        stddev = parse_per_stratum((self.stddev.data or "").splitlines(), "stddev")
        cost = parse_per_stratum((self.cost.data or "").splitlines(), "cost")
        return DesignSpec(
            frame_id=self.frame_id.data,
            by=parse_by(self.by.data or ""),
            method=self.method.data,
            n=self.n.data,
            min_n=self.min_n.data or 0,
            max_n=self.max_n.data,
            power=0.5 if self.power.data is None else self.power.data,
            stddev=stddev or None,
            stddev_wave=(self.stddev_survey.data, self.stddev_variable.data.strip()) if has_wave else None,
            cost=cost or None,
            fixed={k: int(v) for k, v in fixed.items()} or None,
            response_rate=rates or self.response_rate.data,
            frequency_days=self.frequency_days.data or 0,
        )


class ReleaseForm(FlaskForm):  # type: ignore[misc]
    """Release the next replicate groups to fieldwork."""

    count = IntegerField(
        _l("Replicates to release"), default=1, validators=[InputRequired(), NumberRange(min=1)]
    )


class AssignForm(FlaskForm):  # type: ignore[misc]
    """Assign the unassigned released cases to agents or vendors, at random and balanced."""

    assignee_kind = SelectField(
        _l("Assign to"),
        choices=[SelectChoice("agent", _l("Call agents")), SelectChoice("vendor", _l("Vendors"))],
    )
    agents = SelectMultipleField(_l("Agents"), coerce=int, validate_choice=False)
    vendors = SelectMultipleField(_l("Vendors"), coerce=int, validate_choice=False)
    pools = TextAreaField(
        _l("…or pools by language"), description=_l('One "language = id, id" per line (agent or vendor ids).')
    )
    seed = IntegerField(_l("Seed (blank: random, recorded)"), validators=[Optional(), NumberRange(min=0)])

    def pool_map(self) -> tuple[dict[str, list[int]], str | None]:
        """``(pools, pool_by)``: the ``language = ids`` lines, or one pool of the ticked assignees.

        :raises SampleError: a pool line cannot be read.
        """
        text = (self.pools.data or "").strip()
        if not text:
            chosen = self.agents.data if self.assignee_kind.data == "agent" else self.vendors.data
            return {"": list(chosen or [])}, None
        pools: dict[str, list[int]] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            key, sep, ids = line.partition("=")
            try:
                members = [int(part) for part in ids.replace(",", " ").split()]
            except ValueError:
                members = []
            if not sep or not key.strip() or not members:
                raise SampleError(_l('Line %(line)d: write "language = id, id".', line=number), "pools")
            pools[key.strip()] = members
        return pools, "language"


class MoveForm(FlaskForm):  # type: ignore[misc]
    """Move one assigned case to another assignee; the reason is logged."""

    case_id = IntegerField(_l("Case"), validators=[InputRequired()])
    to_id = IntegerField(_l("New assignee (agent or vendor id)"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[InputRequired()])
