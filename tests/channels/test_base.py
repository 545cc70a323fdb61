"""The channel registry, the interface value objects and the special-answer keys."""

from __future__ import annotations

from typing import ClassVar

import pytest

from channels import base
from channels.agent import AgentChannel
from channels.base import (
    Channel,
    Control,
    Inbound,
    Outbound,
    ParsedInbound,
    channel_names,
    get_channel,
    register,
    single_question,
    special_keys,
)
from channels.ivr import IvrChannel
from channels.sms import SmsChannel
from channels.web import WebChannel
from questionnaires.state import Step
from tests.channels.helpers import AGE, GRID, INFO, NPS, REASONS, SATISFACTION, step, view


def test_builtin_channels_are_registered_under_their_names() -> None:
    assert channel_names() == ("agent", "ivr", "sms", "web")
    assert isinstance(get_channel("sms"), SmsChannel)
    assert isinstance(get_channel("ivr"), IvrChannel)
    assert isinstance(get_channel("agent"), AgentChannel)
    assert isinstance(get_channel("web"), WebChannel)
    for name in channel_names():
        channel = get_channel(name)
        assert isinstance(channel, Channel)
        assert channel.name == name


def test_unknown_channel_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="registered: agent, ivr, sms, web"):
        get_channel("fax")


class _Disabled:
    name: ClassVar[str] = "disabled"

    @classmethod
    def enabled(cls) -> bool:
        return False

    def render(self, step: Step, language: str) -> Outbound:
        raise NotImplementedError

    def parse(self, step: Step, inbound: Inbound, language: str) -> ParsedInbound:
        raise NotImplementedError


class _Echo(_Disabled):
    name: ClassVar[str] = "echo"

    @classmethod
    def enabled(cls) -> bool:
        return True


def test_register_skips_adapters_that_are_not_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    register(_Disabled)
    register(_Echo)
    assert "disabled" not in channel_names()
    assert isinstance(get_channel("echo"), _Echo)


def test_parsed_inbound_is_ok_only_without_error_or_control() -> None:
    assert ParsedInbound().ok
    assert not ParsedInbound(control=Control.STOP).ok
    assert not ParsedInbound(error="again").ok


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (SATISFACTION, {"dont_know": "8"}),
        (NPS, {"dont_know": "88", "refused": "99"}),  # 8 and 9 are NPS values
        (REASONS, {"dont_know": "8"}),
        (AGE, {}),  # 8 could be an age: words only
        (GRID, {}),
    ],
)
def test_special_keys_never_collide_with_an_option_key(
    definition: dict[str, object], expected: dict[str, str]
) -> None:
    assert special_keys(view(definition)) == expected


def test_special_keys_step_past_nine_options() -> None:
    options = [{"code": f"o{i}", "label": f"Option {i}"} for i in range(1, 10)]
    question = view(
        {
            "id": "q",
            "type": "single_choice",
            "text": "Q",
            "options": options,
            "special": ["dont_know", "refused"],
        }
    )
    assert special_keys(question) == {"dont_know": "88", "refused": "99"}


def test_conversational_steps_carry_one_question() -> None:
    assert single_question(step(view(SATISFACTION)), "sms") is not None
    assert single_question(step(view(INFO)), "sms") is None
    with pytest.raises(ValueError, match="one question per step"):
        single_question(step(view(SATISFACTION), view(AGE)), "sms")
