"""Sub-commands loaded when they are used, so ``reelforge --help`` imports none of them.

Each entry maps a command name to ``"module:attr"`` (a Typer app or a plain command
function) and its one-line help. The help listing shows stubs built from that line; only
the command actually run is imported. An entry whose module is not installed (or not yet
written) is left out of the listing and answers "No such command", nothing else breaks.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    target: str  # "package.module:attr"
    help: str

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    def available(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except ModuleNotFoundError:
            return False

    def load(self, name: str) -> click.Command:
        module_name, _, attr = self.target.partition(":")
        obj: Any = getattr(importlib.import_module(module_name), attr)
        if isinstance(obj, typer.Typer):
            command: click.Command = typer.main.get_group(obj)
        else:  # a command function: a one-command Typer app turns into that command
            single = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
            single.command(name, help=obj.__doc__)(obj)
            command = typer.main.get_command(single)
        command.name = name
        return command


def plain_flags(command: click.Command, ctx: click.Context) -> None:
    """Typer coerces each parameter through a pydantic TypeAdapter built on first use, and
    building the first one imports pydantic (about 100 ms: a third of ``reelforge --help``).
    A flag's value is already a bool (or None), so a pass-through is the same coercion.
    Typer versions without this machinery are left as they are."""
    try:
        from typer._coercion import PassThroughRuntimeParam
    except ImportError:
        return
    for param in command.get_params(ctx):  # with the help option
        desc = getattr(param, "type_descriptor", None)
        if desc is None or desc.annotation is not bool or param.envvar:
            continue
        if getattr(param, "_runtime_param", False) is None:
            param._runtime_param = PassThroughRuntimeParam(  # type: ignore[attr-defined]
                parameter_info=desc.parameter_info, annotation=bool
            )


class LazyGroup(TyperGroup):
    """The root group: eager commands (``self.commands``) plus ``LAZY`` ones."""

    LAZY: ClassVar[dict[str, Lazy]] = {}

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        plain_flags(self, ctx)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = [name for name, entry in self.LAZY.items() if entry.available()]
        return sorted({*self.commands, *lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self.LAZY.get(cmd_name)
        if entry is None or not entry.available():
            return None
        # For the help listing: the name and its line, without importing the command.
        return TyperCommand(cmd_name, help=entry.help, short_help=entry.help)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else None
        entry = self.LAZY.get(name) if name else None
        if name and name not in self.commands and entry is not None and entry.available():
            return name, entry.load(name), args[1:]
        resolved = super().resolve_command(ctx, args)
        if resolved[1] is not None:
            plain_flags(resolved[1], ctx)
        return resolved
