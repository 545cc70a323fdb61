"""Engine steps per second on a 40-question questionnaire with logic, beside a plain-loop baseline.

Run: ``.venv/bin/python bench/engine_steps.py`` (prints a Markdown table; ``--write`` also updates
the engine section of ``bench/RESULTS.md``). The baseline walks the same 40 questions in a plain
loop that only checks each answer against its options or range, without conditions, piping,
paradata or immutable state: the least any interviewing code could do. One engine step is
``next_step`` + ``answer`` for one question (the SMS/IVR case, the most steps per interview),
plus serialising the state to JSON as every request stores it.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from questionnaires import engine  # noqa: E402
from questionnaires.definition import Questionnaire, parse_definition  # noqa: E402

ROUNDS = 7
INTERVIEWS_PER_ROUND = 200


def build_definition() -> dict[str, Any]:
    """Eight pages of five questions; every second question has a display condition."""
    pages = []
    n = 0
    for p in range(8):
        questions = []
        for _ in range(5):
            n += 1
            kind = ("rating", "single_choice", "multiple_choice", "numeric", "yes_no")[n % 5]
            q: dict[str, Any] = {
                "id": f"q{n}",
                "type": kind,
                "required": True,
                "text": {"en": f"Question {n} for {{first_name}}", "zh-Hans": f"第{n}题"},
            }
            if kind in ("single_choice", "multiple_choice"):
                q["options"] = [{"code": c, "label": {"en": c, "zh-Hans": c}} for c in "abcde"]
                q["randomize"] = True
            if kind == "numeric":
                q.update({"min": 0, "max": 100, "constraint": "value != 99"})
            if n > 2 and n % 2 == 0:
                q["show_if"] = f"q{n - 1} != 'zz' or answered(q{n - 2})"
            questions.append(q)
        pages.append({"id": f"p{p}", "questions": questions})
    return {
        "id": "bench40",
        "title": {"en": "Bench", "zh-Hans": "基准"},
        "languages": ["en", "zh-Hans"],
        "pages": pages,
    }


ANSWERS = {
    "rating": "4",
    "single_choice": "b",
    "multiple_choice": ["a", "c"],
    "numeric": "42",
    "yes_no": "yes",
}


def engine_interview(q: Questionnaire) -> int:
    state = engine.start(q, context={"first_name": "Li"}, language="zh-Hans", channel="sms", seed=3, now=0.0)
    steps = 0
    while True:
        step = engine.next_step(q, state)
        if step.done:
            engine.complete(q, state, now=1.0)
            return steps
        result = engine.answer(q, state, {v.id: ANSWERS[v.type] for v in step.questions}, now=1.0)
        state = result.state
        json.dumps(state.to_dict())
        steps += 1


def baseline_interview(questions: list[dict[str, Any]]) -> int:
    answers: dict[str, Any] = {}
    for q in questions:
        raw = ANSWERS[q["type"]]
        if "options" in q:
            codes = {o["code"] for o in q["options"]}
            values = raw if isinstance(raw, list) else [raw]
            if not all(v in codes for v in values):
                raise ValueError(q["id"])
        elif q["type"] in ("rating", "numeric") and not 0 <= int(raw) <= 100:
            raise ValueError(q["id"])
        answers[q["id"]] = raw
    json.dumps(answers)
    return len(questions)


def timed(run: Any, arg: Any) -> float:
    best = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        steps = sum(run(arg) for _ in range(INTERVIEWS_PER_ROUND))
        best.append((time.perf_counter() - start) / steps)
    return statistics.median(best)


def main() -> None:
    document = build_definition()
    q = parse_definition(document)
    questions = [question for page in document["pages"] for question in page["questions"]]
    assert engine_interview(q) == 40
    engine_step = timed(engine_interview, q)
    baseline_step = timed(baseline_interview, questions)
    rows = [
        "| measure | per step | steps/s |",
        "| --- | ---: | ---: |",
        f"| engine (next_step + answer + state to JSON) | {engine_step * 1e6:.1f} µs "
        f"| {1 / engine_step:,.0f} |",
        f"| baseline plain loop (no logic) | {baseline_step * 1e6:.2f} µs | {1 / baseline_step:,.0f} |",
        f"| ratio engine / baseline | {engine_step / baseline_step:.0f}× | |",
    ]
    table = "\n".join(rows)
    print(table)
    if "--write" in sys.argv:
        write_section("Interview engine", __doc__.splitlines()[0], table)


def write_section(title: str, summary: str, table: str) -> None:
    """Replace (or add) the section ``title`` of bench/RESULTS.md."""
    path = Path(__file__).with_name("RESULTS.md")
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    marker_start, marker_end = f"<!-- {title} -->", f"<!-- /{title} -->"
    section = f"{marker_start}\n## {title}\n\n{summary}\n\n{table}\n{marker_end}"
    if marker_start in text:
        before, rest = text.split(marker_start, 1)
        text = before + section + rest.split(marker_end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
