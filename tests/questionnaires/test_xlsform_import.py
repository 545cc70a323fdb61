"""Importing XLSForms: ten real field questionnaires, and small forms built in memory."""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyxform.xls2json import parse_file_to_json

from questionnaires.definition import NON_ANSWERED_TYPES, Questionnaire, parse_definition
from questionnaires.validation import validate
from questionnaires.xlsform import ImportIssue, XlsformError, XlsformImport, import_xlsform

FORMS_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "xlsforms"

# The counting rule of SOURCE.md: leaf fields, without notes, calculates and metadata.
METADATA = {
    "start",
    "end",
    "today",
    "deviceid",
    "imei",
    "username",
    "phonenumber",
    "email",
    "audit",
    "start-geopoint",
}
CONTAINERS = {"group", "repeat", "loop", "survey"}

# file -> (Q from SOURCE.md, expected languages)
FORMS: dict[str, tuple[int, set[str]]] = {
    "wfp_ethiopia_fsom_2016.xlsx": (263, {"en"}),
    "reach_lbn_msna_2022_en_ar.xlsx": (304, {"ar", "en"}),
    "impact_irq_talafar_hh_en_ar.xlsx": (214, {"ar", "en"}),
    "liberia_slum_assessment.xlsx": (226, {"en"}),
    "karangasem_building_risk_en_id.xlsx": (31, {"en", "id"}),
    "subdistrict_profiling_en_ar.xlsx": (76, {"ar", "en"}),
    "mali_health_facilities_en_fr.xlsx": (15, {"en", "fr"}),
    "grains_retail_store_survey.xlsx": (317, {"en"}),
    "enumerator_training_tz_legacy.xlsx": (12, {"en"}),
    "liberia_anthro_standardisation.xlsx": (7, {"en"}),
}
DROPPED_CONTAINERS_OR_NON_QUESTIONS = {"metadata", "repeat", "note", "calculate"}


def _pyxform_leaves(element: Mapping[str, Any], in_meta: bool = False) -> Iterator[Mapping[str, Any]]:
    for child in element.get("children", []):
        meta = in_meta or (child.get("type") == "group" and child.get("name") == "meta")
        if child.get("type") in CONTAINERS:
            yield from _pyxform_leaves(child, meta)
        elif not (meta and child.get("name") in ("instanceID", "instanceName")):
            yield child


def pyxform_question_count(path: Path) -> int:
    """Count the questions of a form as SOURCE.md does, from pyxform's JSON."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        form = parse_file_to_json(str(path), warnings=[])
    return sum(1 for leaf in _pyxform_leaves(form) if leaf["type"] not in METADATA | {"note", "calculate"})


class Imported:
    def __init__(self, name: str) -> None:
        self.path = FORMS_DIR / name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result: XlsformImport = import_xlsform(self.path)
        self.questionnaire: Questionnaire = parse_definition(self.result.document)
        self.q_count = pyxform_question_count(self.path)

    def issues(self, name: str | None = None, construct: str | None = None) -> list[ImportIssue]:
        return [
            i
            for i in self.result.issues
            if (name is None or i.name == name) and (construct is None or i.construct == construct)
        ]


@pytest.fixture(scope="module")
def imported() -> dict[str, Imported]:
    if not FORMS_DIR.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the shared XLSForms are not at {FORMS_DIR}")
        pytest.skip(f"the shared XLSForms are not at {FORMS_DIR}")
    return {name: Imported(name) for name in FORMS}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_question_is_carried_or_reported(imported: dict[str, Imported], name: str) -> None:
    form = imported[name]
    counts = form.result.counts
    expected_q, _ = FORMS[name]
    assert form.q_count == expected_q  # the walk reproduces SOURCE.md
    assert counts["questions"] == form.q_count
    assert counts["carried"] + counts["reported"] == form.q_count
    # Carried: answerable items in the document (matrix rows count one each), plus the
    # "specify other" text fields that became a select's `other` option.
    questions = form.questionnaire.questions()
    answerable = sum(len(q.items) if q.items else 1 for q in questions if q.type not in NON_ANSWERED_TYPES)
    with_other = sum(1 for q in questions if q.other is not None)
    assert counts["carried"] == answerable + with_other
    # Reported: one dropped issue, with its row and name, per question left out.
    dropped = [
        i for i in form.result.issues if i.dropped and i.construct not in DROPPED_CONTAINERS_OR_NON_QUESTIONS
    ]
    assert len(dropped) == counts["reported"]
    for issue in form.result.issues:
        if issue.dropped:
            assert issue.row is not None, issue
            assert issue.row >= 2, issue
            assert issue.name, issue
            assert issue.reason
    assert counts["notes_carried"] == sum(1 for q in questions if q.type.value == "info")
    assert counts["calculates_carried"] == sum(1 for q in questions if q.type.value == "calculate")
    assert counts["notes_carried"] + len(form.issues(construct="note")) == counts["notes"]
    assert counts["calculates_carried"] + len(form.issues(construct="calculate")) == counts["calculates"]
    assert counts["metadata"] == len(form.issues(construct="metadata"))


@pytest.mark.parametrize("name", sorted(FORMS))
def test_document_parses_and_languages_are_detected(imported: dict[str, Imported], name: str) -> None:
    form = imported[name]
    _, languages = FORMS[name]
    assert set(form.questionnaire.languages) == languages
    # Every imported expression parses; what remains are real definition problems of the form.
    for problem in validate(form.result.document):
        assert "syntax error" not in problem.message, problem
    for page in form.questionnaire.pages:
        assert page.questions
    ids = [q.id for q in form.questionnaire.questions()]
    assert len(ids) == len(set(ids))
    for qid in ids:
        assert form.result.rows.get(qid, 2) >= 2


def test_default_language_comes_first(imported: dict[str, Imported]) -> None:
    # REACH and the sub-district tool declare Arabic as their default language in settings.
    assert imported["reach_lbn_msna_2022_en_ar.xlsx"].questionnaire.languages == ("ar", "en")
    assert imported["subdistrict_profiling_en_ar.xlsx"].questionnaire.languages == ("ar", "en")
    # Karangasem: a plain `label` column (English) next to `label::Indonesian(id)`.
    karangasem = imported["karangasem_building_risk_en_id.xlsx"].questionnaire
    assert karangasem.languages == ("en", "id")
    assert karangasem.question("building_type").text == {
        "en": "What type of building is this?",
        "id": "Jenis bangunan apa ini?",
    }
    # `English` and `English (EN)` columns are merged, and the merge is reported.
    subdistrict = imported["subdistrict_profiling_en_ar.xlsx"]
    assert any("'English (EN)'" in i.reason for i in subdistrict.issues(construct="language"))
    irq = imported["impact_irq_talafar_hh_en_ar.xlsx"].questionnaire
    assert set(irq.question("hhh_r").text) == {"en", "ar"}


def test_mali_cascade_geopoint_and_dotted_names(imported: dict[str, Imported]) -> None:
    form = imported["mali_health_facilities_en_fr.xlsx"]
    (choice_filter,) = form.issues("DISTRICT", "choice_filter")
    assert choice_filter.row == 4
    assert "region =${region}" in choice_filter.reason
    district = form.questionnaire.question("DISTRICT")
    assert len(district.options) > 10  # the full list, unfiltered
    (geopoint,) = form.issues("location", "geopoint")
    assert geopoint.dropped
    assert geopoint.row == 16
    (renamed,) = form.issues("location.longitude", "name")
    assert renamed.row == 14
    assert "location_longitude" in renamed.reason
    assert form.questionnaire.question("location_longitude").type.value == "text"
    pcode = form.questionnaire.question("Pcode")
    assert pcode.constraint == "regex(value, '[a-zA-Z0-9]{11}')"
    villages = form.questionnaire.question("NBRE_VILLAGE")
    assert villages.constraint == "value >= 0"
    assert villages.min == 0
    assert form.questionnaire.question("obs").text == {"en": "Observation", "fr": "Observation"}


def test_reach_repeat_and_repeat_sums_are_reported(imported: dict[str, Imported]) -> None:
    form = imported["reach_lbn_msna_2022_en_ar.xlsx"]
    (repeat,) = form.issues("hh_composition", "repeat")
    assert repeat.dropped
    assert repeat.row == 56
    inside = [i for i in form.result.issues if i.dropped and "inside the repeat 'hh_composition'" in i.reason]
    assert len(inside) > 50
    assert {i.name for i in inside} >= {"ind_age_years", "ind_relationship_hoh"}
    (total,) = form.issues("Sum_age_5_9y", "calculate")
    assert total.dropped
    assert "sum()" in total.reason
    # A condition on a left-out calculate is reported, not kept with a dangling reference.
    for question in form.questionnaire.questions():
        assert "Sum_age" not in (question.show_if or "")
    # Choice codes over 64 characters are shortened, and reported.
    assert form.issues(construct="choice")
    for question in form.questionnaire.questions():
        assert all(len(o.code) <= 64 for o in question.options)
    (audit,) = form.issues("audit", "metadata")
    assert audit.dropped


def test_select_from_file_and_external_selects_are_reported(imported: dict[str, Imported]) -> None:
    karangasem = imported["karangasem_building_risk_en_id.xlsx"]
    (feature,) = karangasem.issues("feature", "select one")
    assert feature.dropped
    assert "features.csv" in feature.reason
    (xid,) = karangasem.issues("xid", "calculate")
    assert xid.dropped
    assert "instance" in xid.reason
    # `${feature}` in a note cannot be piped: it is reported and written as [feature].
    (piped,) = karangasem.issues("building_select_note", "label")
    assert "${feature}" in piped.reason
    note = karangasem.questionnaire.question("building_select_note")
    assert isinstance(note.text, dict)
    assert "[feature]" in note.text["en"]
    photos = [i.name for i in karangasem.result.issues if i.construct == "photo"]
    assert photos == ["building_photo", "erosion_photo", "electrical_wiring_photo"]
    subdistrict = imported["subdistrict_profiling_en_ar.xlsx"]
    externals = subdistrict.issues(construct="select one external")
    assert [i.name for i in externals] == ["district", "subdistrict", "community"]
    assert all(i.dropped and i.row for i in externals)


def test_legacy_or_other_becomes_the_other_option(imported: dict[str, Imported]) -> None:
    form = imported["enumerator_training_tz_legacy.xlsx"].questionnaire
    favorite = form.question("favorite")
    assert favorite.other is not None
    assert favorite.other.code == "other"
    assert "other" not in [o.code for o in favorite.options]
    assert favorite.show_if == "ugali = 'no'"
    assert form.question("intake").other is not None
    assert form.question("regions").constraint == "value <= 26"
    assert form.question("regions").max == 26


def test_wfp_renamed_ids_are_used_in_expressions(imported: dict[str, Imported]) -> None:
    form = imported["wfp_ethiopia_fsom_2016.xlsx"]
    renamed = {i.name for i in form.issues(construct="name")}
    assert {"c3.1", "b2.2.4"} <= renamed
    expressions = " ".join((q.show_if or "") + (q.calculation or "") for q in form.questionnaire.questions())
    assert "c3_1" in expressions
    assert "c3.1" not in expressions
    assert "${" not in expressions
    # XPath adds choice codes as numbers: the translation says so explicitly.
    stress = form.questionnaire.question("stress")
    assert stress.calculation is not None
    assert "number(d4_3)" in stress.calculation
    assert form.issues(construct="read_only")


def test_real_form_errors_reach_the_validator(imported: dict[str, Imported]) -> None:
    # The grains form tests an option that its list does not have; pyxform accepts it.
    problems = [str(p) for p in validate(imported["grains_retail_store_survey.xlsx"].result.document)]
    assert any("has no option 'golden_mandazi'" in p for p in problems)
    # Duplicate names in different groups are made unique, and reported.
    grains = imported["grains_retail_store_survey.xlsx"]
    (duplicate,) = grains.issues("dola_price", "name")
    assert "dola_price_2" in duplicate.reason
    assert duplicate.row == 259


def test_import_from_bytes_matches_path(imported: dict[str, Imported]) -> None:
    path = FORMS_DIR / "mali_health_facilities_en_fr.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_bytes = import_xlsform(path.read_bytes(), name=path.stem)
    assert from_bytes.document == imported[path.name].result.document
    assert from_bytes.issues == imported[path.name].result.issues


# ---------------------------------------------------------------------------------------------
# Small forms built in memory


def make_xlsform(
    survey: Sequence[Sequence[Any]],
    choices: Sequence[Sequence[Any]] = (),
    settings: Mapping[str, str] | None = None,
) -> bytes:
    """Return an .xlsx XLSForm: the first row of ``survey`` / ``choices`` is the header."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(list(row))
    if choices:
        choice_sheet = book.create_sheet("choices")
        for row in choices:
            choice_sheet.append(list(row))
    if settings:
        settings_sheet = book.create_sheet("settings")
        settings_sheet.append(list(settings))
        settings_sheet.append(list(settings.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


YES_NO = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def test_a_reference_to_a_later_question_is_kept_for_the_validator() -> None:
    data = make_xlsform(
        [
            ["type", "name", "label", "relevant"],
            ["integer", "age", "Age?", "${consent} = 'yes'"],
            ["select_one yn", "consent", "Consent?", ""],
        ],
        YES_NO,
    )
    result = import_xlsform(data)
    questionnaire = parse_definition(result.document)
    assert questionnaire.question("age").show_if == "consent = 'yes'"
    assert not [i for i in result.issues if i.construct == "relevant"]
    problems = [str(p) for p in validate(result.document)]
    assert any("consent" in p and "comes later" in p for p in problems)


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('echo hacked')",
        "os.system('ls')",
        "eval('1')",
        "`rm -rf /`",
        "${age} > 1 and exec('x')",
    ],
)
def test_injection_in_a_form_is_reported_and_left_out(expression: str) -> None:
    data = make_xlsform(
        [
            ["type", "name", "label", "relevant", "constraint", "calculation"],
            ["integer", "age", "Age?", "", "", ""],
            ["text", "q1", "Q1", expression, "", ""],
            ["integer", "q2", "Q2", "", expression, ""],
            ["calculate", "c1", "", "", "", expression],
        ]
    )
    result = import_xlsform(data)
    document = parse_definition(result.document)
    assert document.question("q1").show_if is None
    assert document.question("q2").constraint is None
    assert "c1" not in [q.id for q in document.questions()]
    reported = {(i.name, i.construct) for i in result.issues}
    assert {("q1", "relevant"), ("q2", "constraint"), ("c1", "calculate")} <= reported
    for issue in result.issues:
        assert issue.row in (3, 4, 5)
    assert "import" not in str(result.document) or "__import__" not in str(result.document)


def test_groups_become_pages_and_nested_conditions_are_combined() -> None:
    data = make_xlsform(
        [
            [
                "type",
                "name",
                "label::English (en)",
                "label::Français (fr)",
                "relevant",
                "required",
                "hint::English (en)",
                "hint::fr",
            ],
            ["integer", "age", "Age", "Âge", "", "yes", "In years", "En années"],
            ["begin_group", "household", "Household", "Ménage", "${age} >= 18", "", "", ""],
            ["select_one yn", "owner", "Owner?", "Propriétaire ?", "", "true", "", ""],
            ["begin group", "details", "Details", "Détails", "${owner} = 'yes'", "", "", ""],
            ["text", "address", "Address of ${owner}", "Adresse de ${owner}", "${age} < 99", "", "", ""],
            ["end group", "", "", "", "", "", "", ""],
            ["end_group", "", "", "", "", "", "", ""],
            ["note", "bye", "Thanks", "Merci", "", "", "", ""],
        ],
        [
            ["list_name", "name", "label::English (en)", "label::Français (fr)"],
            ["yn", "yes", "Yes", "Oui"],
            ["yn", "no", "No", "Non"],
        ],
        {"form_title": "Test", "form_id": "test_form", "version": "7"},
    )
    result = import_xlsform(data)
    q = parse_definition(result.document)
    assert q.id == "test_form"
    assert q.version == "7"
    assert q.title == "Test"
    assert q.languages == ("en", "fr")
    assert [p.id for p in q.pages] == ["section_1", "household", "section_3"]
    household = q.pages[1]
    assert household.show_if == "age >= 18"
    assert household.title == {"en": "Household", "fr": "Ménage"}
    address = q.question("address")
    assert address.show_if == "owner = 'yes' and age < 99"
    assert address.text == {"en": "Address of {answer:owner}", "fr": "Adresse de {answer:owner}"}
    assert q.question("age").required
    assert q.question("age").help == {"en": "In years", "fr": "En années"}
    assert q.question("owner").required
    assert q.question("bye").type.value == "info"
    assert result.rows == {"age": 2, "owner": 4, "address": 6, "bye": 9}
    assert result.counts["questions"] == 3
    assert result.counts["carried"] == 3
    assert not [p for p in validate(q) if p.severity == "error"]


def test_unsupported_columns_and_types_are_reported() -> None:
    data = make_xlsform(
        [
            ["type", "name", "label", "default", "required", "choice_filter", "calculation", "read_only"],
            ["text", "name", "Name", "anon", "", "", "", ""],
            ["integer", "n", "N", "", "${name} != ''", "", "", ""],
            ["time", "t", "Time", "", "", "", "", ""],
            ["dateTime", "dt", "When", "", "", "", "", ""],
            ["barcode", "bc", "Scan", "", "", "", "", ""],
            ["select_one yn", "ok", "OK?", "", "", "name = ${name}", "", ""],
            ["calculate", "c", "", "", "", "", "pulldata('x', 'y', 'z', ${name})", ""],
            ["text", "shown", "Shown ${c}", "", "", "", "", ""],
            ["text", "ro", "Read only", "", "", "", "", "yes"],
            ["begin_repeat", "kids", "Kids", "", "", "", "", ""],
            ["text", "kid_name", "Name", "", "", "", "", ""],
            ["integer", "kid_age", "Age", "", "", "", "", ""],
            ["end_repeat", "", "", "", "", "", "", ""],
            ["integer", "after", "After ${kid_name}", "", "", "", "", ""],
        ],
        YES_NO,
    )
    result = import_xlsform(data)
    by = {(i.name, i.construct): i for i in result.issues}
    assert by[("name", "default")].row == 2
    assert by[("n", "required")].row == 3
    assert by[("t", "time")].dropped
    assert by[("dt", "dateTime")].dropped
    assert by[("bc", "barcode")].dropped
    assert by[("ok", "choice_filter")].row == 7
    assert by[("c", "calculate")].dropped
    assert "pulldata" in by[("c", "calculate")].reason
    assert "${c}" in by[("shown", "label")].reason
    assert by[("ro", "read_only")].row == 10
    assert by[("kids", "repeat")].row == 11
    assert by[("kids", "repeat")].dropped
    assert by[("kid_name", "text")].row == 12
    assert by[("kid_age", "integer")].row == 13
    assert "[kid_name]" in str(parse_definition(result.document).question("after").text)
    assert result.counts == {
        "questions": 11,
        "carried": 6,
        "reported": 5,
        "notes": 0,
        "notes_carried": 0,
        "calculates": 1,
        "calculates_carried": 0,
        "metadata": 0,
    }


def test_specify_other_text_is_folded_into_the_select() -> None:
    data = make_xlsform(
        [
            ["type", "name", "label", "relevant", "required"],
            ["select_one fruit", "fruit", "Fruit?", "", "yes"],
            ["text", "fruit_other", "Which other fruit?", "${fruit} = 'other'", "yes"],
            ["select_multiple fruit", "fruits", "Fruits?", "", ""],
            ["text", "fruits_other", "Other", "selected(${fruits}, 'other')", ""],
            ["note", "n", "You said ${fruits_other}", "", ""],
        ],
        [["list_name", "name", "label"], ["fruit", "apple", "Apple"], ["fruit", "other", "Other"]],
    )
    result = import_xlsform(data)
    q = parse_definition(result.document)
    fruit = q.question("fruit")
    assert fruit.other is not None
    assert fruit.other.code == "other"
    assert fruit.other.text_required
    assert [o.code for o in fruit.options] == ["apple"]
    assert [i.construct for i in result.issues] == ["specify_other"]
    # fruits_other is referenced by a note, so it stays a question of its own.
    assert q.question("fruits").other is None
    assert q.question("fruits_other").show_if == "selected(fruits, 'other')"
    assert result.counts["carried"] == 4 == result.counts["questions"]


def test_not_an_xlsform_raises() -> None:
    with pytest.raises(XlsformError):
        import_xlsform(b"not a spreadsheet at all")
    with pytest.raises(XlsformError):
        import_xlsform(make_xlsform([["type", "name", "label"], ["begin_group", "g", "G"]]))
