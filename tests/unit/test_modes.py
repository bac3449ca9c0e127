import pytest

from reelforge.domain.modes import MediaKind, Mode


@pytest.mark.parametrize(
    ("mode", "output", "inputs"),
    [
        (Mode.T2I, MediaKind.IMAGE, ()),
        (Mode.I2I, MediaKind.IMAGE, (MediaKind.IMAGE,)),
        (Mode.T2V, MediaKind.VIDEO, ()),
        (Mode.I2V, MediaKind.VIDEO, (MediaKind.IMAGE,)),
        (Mode.V2V, MediaKind.VIDEO, (MediaKind.VIDEO,)),
        (Mode.LIPSYNC, MediaKind.VIDEO, (MediaKind.VIDEO, MediaKind.AUDIO)),
        (Mode.AVATAR, MediaKind.VIDEO, (MediaKind.IMAGE, MediaKind.AUDIO)),
        (Mode.TTS, MediaKind.AUDIO, (MediaKind.TEXT,)),
    ],
)
def test_mode_kinds(mode: Mode, output: MediaKind, inputs: tuple[MediaKind, ...]) -> None:
    assert mode.output_kind is output
    assert mode.input_kinds == inputs


def test_every_mode_has_kinds_and_label() -> None:
    for mode in Mode:
        assert isinstance(mode.output_kind, MediaKind)
        assert isinstance(mode.input_kinds, tuple)
        assert mode.label
