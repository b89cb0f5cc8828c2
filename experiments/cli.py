"""The ``parkabm`` command line.

Every command is registered on :data:`main`, a :class:`ParkabmGroup`. The group turns a
:class:`~parkabm.scenarios.errors.UserInputError` raised by any command into its message on stderr and exit
code 2, like click's own usage errors, so a user mistake never shows a traceback. New commands need nothing
special::

    @main.command()
    @click.argument("scenario")
    def run(scenario: str) -> None:
        ...  # raise UserInputError for user mistakes; import heavy modules here, not at the top

Heavy modules (the model, pandas, matplotlib) are imported inside the commands so that ``parkabm --help`` and
``parkabm validate`` start quickly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from parkabm.scenarios.errors import UserInputError

USER_ERROR_EXIT_CODE = 2
"""Exit code for user mistakes (the same code click uses for usage errors)."""

_F = TypeVar("_F", bound=Callable[..., Any])


def report_user_errors(command: _F) -> _F:
    """Wrap a command callback so that a UserInputError becomes a message on stderr and exit code 2.

    Commands registered on :data:`main` are covered by the group already; use this decorator for a command
    that is invoked on its own (for instance a standalone ``click.command`` in a plug-in).

    Args:
        command: The command callback.

    Returns:
        The wrapped callback.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except UserInputError as exc:
            _exit_with(exc)

    return wrapper  # type: ignore[return-value]


def _exit_with(exc: UserInputError) -> None:
    click.echo(str(exc), err=True)
    raise click.exceptions.Exit(USER_ERROR_EXIT_CODE)


class ParkabmGroup(click.Group):
    """A click group whose commands report user mistakes as one clear message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the group and the chosen command, converting a UserInputError into exit code 2."""
        try:
            return super().invoke(ctx)
        except UserInputError as exc:
            _exit_with(exc)


@click.group(cls=ParkabmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="parkabm", prog_name="parkabm")
def main() -> None:
    """Simulate Hangzhou's development zones (开发区/园区) and their firms under policy levers."""


@main.command("scenarios")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the descriptions.")
def scenarios_command(lang: str) -> None:
    """List the shipped scenarios: name, the scenario it extends, and description."""
    from parkabm.scenarios.loader import list_scenarios

    table = list_scenarios()
    name_width = max([len("name"), *(len(n) for n in table["name"])])
    extends = [e if isinstance(e, str) else "-" for e in table["extends"]]
    extends_width = max([len("extends"), *(len(e) for e in extends)])
    click.echo(f"{'name':<{name_width}}  {'extends':<{extends_width}}  description")
    for name, parent, description in zip(table["name"], extends, table[f"description_{lang}"], strict=True):
        click.echo(f"{name:<{name_width}}  {parent:<{extends_width}}  {description}")


@main.command("validate")
@click.argument("scenarios", nargs=-1, required=True, metavar="PATH|NAME...")
def validate_command(scenarios: tuple[str, ...]) -> None:
    """Check scenario files (or shipped scenario names) and report every problem.

    Prints ``ok  <file>`` for each valid input. Otherwise prints one line per problem (file, key path, value,
    what is allowed) and exits with code 2.
    """
    from parkabm.scenarios.loader import validate

    problems = []
    for ref in scenarios:
        found = validate([ref])
        if found:
            problems += found
        else:
            click.echo(f"ok  {ref}")
    if problems:
        raise UserInputError(problems)


@main.command("run")
@click.argument("scenario", metavar="SCENARIO")
@click.option("--reps", type=click.IntRange(min=1), default=100, show_default=True,
              help="Replicates, each with its own draw of the scenario's uncertain inputs.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Master seed.")
@click.option("--until", type=int, default=None, help="Last simulated year (default: the scenario's horizon).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: results/<scenario>).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Chart language.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png", show_default=True,
              help="Chart format.")
def run_command(scenario: str, reps: int, seed: int, until: int | None, out: str | None, lang: str,
                fmt: str) -> None:
    """Project SCENARIO (a shipped name or a YAML file) to its horizon and report P(target met).

    Writes summary.json, yearly.parquet, parks.parquet, parameters.parquet and two fan charts to the output
    folder, then prints each target's probability with its Wilson 95% interval and where the files are.
    """
    import sys

    from parkabm.experiments.projection import project

    result = project(scenario, reps=reps, seed=seed, until=until, out=out, lang=lang, fmt=fmt,
                     progress=sys.stderr.isatty())
    click.echo(format_target_table(result.summary))
    click.echo("")
    click.echo(f"results in {result.out}/")
    for role, path in result.files.items():
        click.echo(f"  {role:<18} {path}")


def format_target_table(summary: dict) -> str:
    """Return the targets of a projection summary as a fixed-width text table."""
    lines = [
        f"scenario {summary['scenario']} · scope {summary['scope']} · {summary['reps']} replicates · "
        f"seed {summary['seed']} · to {summary['until']}",
        f"{'target':<34} {'value':>10} {'year':>5} {'P(met)':>7}  95% CI",
    ]
    for t in summary["targets"]:
        value = f"{t['comparison']}{t['target']:g}"
        if t["p_met"] is None or t["p_met"] != t["p_met"]:
            lines.append(f"{t['name']:<34} {value:>10} {t['year']:>5}  not evaluated (the run ends before)")
            continue
        lines.append(f"{t['name']:<34} {value:>10} {t['year']:>5} {t['p_met']:>7.2f}  "
                     f"[{t['ci_low']:.2f}, {t['ci_high']:.2f}]")
    return "\n".join(lines)
