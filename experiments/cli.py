"""The ``parkabm`` command line.

Every command is registered on :data:`main`, a :class:`ParkabmGroup`. The group turns a
:class:`~parkabm.scenarios.errors.UserInputError` raised by any command into its message on stderr and exit
code 2, like click's own usage errors, so a user mistake never shows a traceback; an ``OSError`` (read-only or
full disk, permission denied …) becomes one line naming the path and what to do, with exit code 2 too. Ctrl-C
ends a command with one line on stderr (saying that the same command resumes, for the commands that do) and exit code
130; warnings raised while a command runs are summarised on stderr, one line per kind. New commands need nothing
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
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from parkabm.scenarios.errors import UserInputError

USER_ERROR_EXIT_CODE = 2
"""Exit code for user mistakes (the same code click uses for usage errors)."""

INTERRUPTED_EXIT_CODE = 130
"""Exit code after Ctrl-C (128 + SIGINT, as shells report it)."""

RESUMABLE_COMMANDS = frozenset({"batch", "compare", "sensitivity", "discover", "decompose"})
"""Commands whose results folder keeps the jobs done, so that the same command again resumes."""

_F = TypeVar("_F", bound=Callable[..., Any])


def warning_kind(message: str) -> str:
    """Return the kind of a warning message: its first line with numbers and parenthesised names blanked.

    Args:
        message: The warning's text.

    Returns:
        A key shared by warnings that differ only in the factor, output or number they name.
    """
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = re.sub(r"^[\w.-]+/[\w.-]+: ", "", first)  # "<scenario>/<output>: " of the sensitivity notes
    first = re.sub(r"\w*\([^()]*\)", "(…)", first)  # "ST(levers.race.weight)", "(column a)"
    return re.sub(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?", "#", first)


def summarise_warnings(messages: Iterable[str], prefix: str = "warning") -> list[str]:
    """Return one line per kind of warning (:func:`warning_kind`): the count and the first message of the kind.

    Args:
        messages: Warning texts, in the order they were raised.
        prefix: First word of each line.

    Returns:
        Lines such as ``warning (12×): RuntimeWarning: invalid value encountered in divide``.
    """
    examples: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for message in messages:
        kind = warning_kind(message)
        examples.setdefault(kind, " ".join(message.split()))
        counts[kind] += 1
    return [f"{prefix} ({counts[k]}×): {examples[k][:300]}" if counts[k] > 1 else f"{prefix}: {examples[k][:300]}"
            for k in examples]


def render_table(table: Any) -> str:
    """Return a ``rich`` table as plain fixed-width text (no colours, no wrapping)."""
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=400, color_system=None, highlight=False, emoji=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())  # type: ignore[attr-defined]


def new_table(*columns: str, right: Iterable[str] = ()) -> Any:
    """Return an empty ``rich`` table with a header rule and the given columns (those in ``right`` right-aligned).

    Headers and cells are plain text: brackets such as ``[p05, p95]`` are printed, not read as rich markup.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    class PlainTable(Table):
        def add_row(self, *cells: Any, **kwargs: Any) -> None:
            """Add a row of plain-text cells."""
            super().add_row(*(Text(str(c)) for c in cells), **kwargs)

    table = PlainTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
    right = set(right)
    for column in columns:
        table.add_column(Text(column), justify="right" if column in right else "left", no_wrap=True)
    return table


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
        except (UserInputError, OSError) as exc:
            _exit_with(exc)

    return wrapper  # type: ignore[return-value]


def _exit_with(exc: UserInputError | OSError) -> None:
    """Print one line for a user mistake or a fault of the environment (read-only disk, disk full …), exit 2."""
    if isinstance(exc, OSError) and not isinstance(exc, UserInputError):
        from parkabm.experiments.execution.files import environment_message

        click.echo(environment_message(exc), err=True)
    else:
        click.echo(str(exc), err=True)
    raise click.exceptions.Exit(USER_ERROR_EXIT_CODE)


class ParkabmGroup(click.Group):
    """A click group whose commands report user mistakes and faults of the environment as one line and exit code 2.

    Faults of the environment are the ``OSError`` of a filesystem or the OS: a read-only or full disk, a denied
    permission, a parent path that is a file, a folder changed by another command.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the group and the chosen command.

        A UserInputError or an OSError becomes exit code 2; Ctrl-C (KeyboardInterrupt) a one-line note on stderr
        (saying that re-running resumes, for the commands that resume) and exit code 130. Warnings raised while the
        command runs (SALib, NumPy, pandas …) are collected and summarised on stderr, one line per kind with a
        count, so that stdout holds only the results.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # count every occurrence, not the first one per line of code
            for hidden in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.simplefilter("ignore", hidden)  # hidden by Python's defaults too: for developers, not users
            try:
                return super().invoke(ctx)
            except (UserInputError, OSError) as exc:
                _exit_with(exc)
            except KeyboardInterrupt:
                name = ctx.invoked_subcommand or ""
                hint = "; run the same command again to resume" if name in RESUMABLE_COMMANDS else ""
                click.echo(f"\nstopped{hint}", err=True)
                raise click.exceptions.Exit(INTERRUPTED_EXIT_CODE) from None
            finally:
                for line in summarise_warnings(f"{w.category.__name__}: {w.message}" for w in caught):
                    click.echo(line, err=True)


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
    rows = new_table("name", "extends", "description")
    for name, parent, description in zip(table["name"], table["extends"], table[f"description_{lang}"], strict=True):
        rows.add_row(name, parent if isinstance(parent, str) else "-", description)
    click.echo(render_table(rows))


@main.command("validate")
@click.argument("scenarios", nargs=-1, required=True, metavar="PATH|NAME...")
def validate_command(scenarios: tuple[str, ...]) -> None:
    """Check scenario or experiment files (or shipped scenario names) and report every problem.

    A file with a ``scenarios:`` key is an experiment file. Prints ``ok  <file>`` for each valid input. Otherwise
    prints one line per problem (file, key path, value, what is allowed) and exits with code 2.
    """
    from parkabm.scenarios.loader import validate
    from parkabm.scenarios.validation import names_experiment

    problems = []
    for ref in scenarios:
        if names_experiment(ref):
            from parkabm.experiments.design.spec import validate_spec  # only then: it loads the output registry

            found = validate_spec(ref)
        else:
            found = validate([ref])
        if found:
            problems += found
        else:
            click.echo(f"ok  {ref}")
            if not names_experiment(ref):
                _warn_implausible(ref)
    if problems:
        raise UserInputError(problems)


def _warn_implausible(ref: str) -> None:
    """Print a warning on stderr for every lever of scenario ``ref`` set far from its default (a unit slip?)."""
    from parkabm.scenarios.loader import load_scenario
    from parkabm.scenarios.plausibility import implausible_levers

    for note in implausible_levers(load_scenario(ref)):
        click.echo(f"warning: {ref}: {note}", err=True)


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

    from parkabm.experiments.analysis.projection import project

    _warn_implausible(scenario)
    result = project(scenario, reps=reps, seed=seed, until=until, out=out, lang=lang, fmt=fmt,
                     progress=sys.stderr.isatty())
    click.echo(format_target_table(result.summary))
    click.echo("")
    from parkabm.experiments.analysis.decomposition import top_sources_lines

    for line in top_sources_lines(result):
        click.echo(line)
    click.echo("")
    click.echo(f"results in {result.out}/")
    for role, path in result.files.items():
        click.echo(f"  {role:<18} {path}")


def format_target_table(summary: dict) -> str:
    """Return the targets of a projection summary as a fixed-width text table.

    Each target is named by its label (``name_en`` of targets.csv) and stated with its value, unit and year; its
    id in targets.csv is the last column.
    """
    from parkabm.scenarios.world import load_world

    units = load_world().targets["unit"]
    units = units[~units.index.duplicated()]
    head = (f"scenario {summary['scenario']} · scope {summary['scope']} · {summary['reps']} replicates · "
            f"seed {summary['seed']} · to {summary['until']}")
    table = new_table("target", "goal", "P(met)", "95% CI", "id (targets.csv)", right=("P(met)",))
    for t in summary["targets"]:
        goal = f"{_goal(t['comparison'], t['target'], str(units.get(t['name'], '')))} in {t['year']}"
        if t.get("status", "modelled") != "modelled":  # never shown as a probability
            table.add_row(t["name_en"], goal, t["status"], "-", t["name"])
            continue
        if t["p_met"] is None or t["p_met"] != t["p_met"]:
            table.add_row(t["name_en"], goal, "-", f"not evaluated (the run ends in {summary['until']})", t["name"])
            continue
        table.add_row(t["name_en"], goal, f"{t['p_met']:.0%}", f"[{t['ci_low']:.0%}, {t['ci_high']:.0%}]", t["name"])
    return head + "\n" + render_table(table) + format_scope_lines(summary)


def format_scope_lines(summary: dict) -> str:
    """Return the output target's P(met) under both scopes and the reasons of the targets that are not outcomes.

    The all-规上 and the industrial-only readings of 3万亿元 come from the same replicates (the industrial output of
    an all-规上 run is its 规上 industrial firms' output); an industrial-scope run has no all-规上 reading.
    """
    lines = []
    scopes = summary.get("output_target_by_scope") or []
    if scopes:
        lines += ["", f"P(output ≥ {scopes[0]['target']:,.0f} 亿元 in {scopes[0]['year']}) by scope "
                  "(from the same replicates):"]
        for s in scopes:
            own = " (this run's scope)" if s["this_run"] else ""
            shown = (f"{s['p_met']:.0%} [{s['ci_low']:.0%}, {s['ci_high']:.0%}]" if s["status"] == "modelled"
                     and s["p_met"] is not None and s["p_met"] == s["p_met"] else s["status"])
            lines.append(f"  {s['scope']:<13} {shown}{own}   ({s['metric']})")
    notes = [t for t in summary["targets"] if t.get("status", "modelled") != "modelled"]
    if notes:
        lines += ["", "Targets that are not outcomes of the runs:"]
        lines += [f"  {t['name']}: {t['status']} — {t.get('status_note', '')}" for t in notes]
    return "\n".join(lines)


def _goal(comparison: str, value: float, unit: str) -> str:
    """Return a target's value with its unit: ``≥ 30,000 亿元``, ``≥ 60%`` for a share."""
    sign = {">=": "≥", "<=": "≤"}.get(comparison, comparison)
    if unit in ("share", "ratio", "growth") or (not unit and 0 < value <= 1):
        percent = f"{value * 100:.10g}%"  # 3.8%, 60%: the target as the text writes it, not rounded
        return f"{sign} {percent}" + (" a year" if unit == "growth" else "")
    unit = {"count": "", "count per year": "a year"}.get(unit, unit)
    return f"{sign} {value:,.10g} {unit}".rstrip()


@main.command("plot")
@click.argument("results_dir", metavar="RESULTS_DIR", type=click.Path())
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Chart language.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png", show_default=True,
              help="Chart format (PNG at 300 dpi, or a vector file).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the charts (default: RESULTS_DIR).")
def plot_command(results_dir: str, lang: str, fmt: str, out: str | None) -> None:
    """Redraw every chart of RESULTS_DIR (a `parkabm run` folder) without running the model.

    Fan charts, per-park small multiples, cluster charts and the land balance, in English or Chinese, as PNG,
    SVG or PDF. Prints where each chart went, and which charts the folder cannot support.
    """
    from parkabm.experiments.charts.plot import CHARTS, plot_results, read_results, unsupported_charts

    files = plot_results(results_dir, lang=lang, fmt=fmt, out=out)
    folder = next(iter(files.values())).parent
    click.echo(f"charts in {folder}/")
    for name, path in files.items():
        click.echo(f"  {name:<20} {path}")
    for name, reason in unsupported_charts(read_results(results_dir)).items():
        if name in CHARTS and name not in files:
            click.echo(f"  {name:<20} not drawn: {reason}")


def _executor_options(command: _F) -> _F:
    """Add the options that choose where a batch runs (at most one of them may be given)."""
    for option in reversed((
        click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Local worker processes (default: all CPUs); 1 runs in this process."),
        click.option("--scheduler", default=None, metavar="ADDR",
                     help="Run on a Dask cluster: address of its scheduler, e.g. tcp://host:8786."),
        click.option("--dask-local", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Run on a Dask cluster of N local worker processes (dashboard included)."),
    )):
        command = option(command)
    return command


def _print_dashboard(executor) -> None:
    """Say where a Dask cluster's dashboard is, so the user can watch the batch run."""
    link = getattr(executor, "dashboard_link", None)
    if link:
        click.echo(f"Dask dashboard: {link}")


def _batch_folder(experiment, out: str | None):
    """Return the results folder a batch of ``experiment`` writes to (``results/<name>`` unless ``--out``)."""
    from pathlib import Path

    return Path(out) if out is not None else Path("results") / experiment.name


def _print_batch_header(experiment, folder) -> None:
    """Print what a batch will run and where its results go, before it starts."""
    spec = experiment.spec
    click.echo(f"experiment {experiment.name} · {experiment.n_jobs} jobs ({len(experiment.scenarios)} scenarios × "
               f"{experiment.n_points} design points × {spec.replicates} replicates) · seed {spec.seed}")
    click.echo(f"results in {folder}/ (Ctrl-C stops; the same command again resumes)")


def _print_batch(result) -> None:
    """Print what a batch did, the files it wrote, and its failures (at most five)."""
    from parkabm.experiments.execution.store import load_failures

    click.echo(f"ran {result.ran} jobs on {result.executor}; {result.skipped} were already done"
               + (f"; removed {result.cleaned} files left by an interrupted batch" if result.cleaned else ""))
    click.echo(f"results in {result.out}/")
    for role, path in result.files.items():
        click.echo(f"  {role:<10} {path}{'/' if path.is_dir() else ''}")
    if result.failed:
        failures = load_failures(result.out)
        click.echo(f"failed jobs (first {min(5, len(failures))} of {result.failed}; all in {result.out}/failures/):")
        for row in failures.head(5).itertuples(index=False):
            click.echo(f"  job {row.job}: {' '.join(str(row.error).split())[:300]}")


def _stopped_by_the_machine(exc: OSError, experiment, out: str | None) -> None:
    """Report a batch stopped by a fault of the machine (a full disk …): exit 1 if some jobs are done, else 2."""
    from pathlib import Path

    from parkabm.experiments.execution.files import environment_message
    from parkabm.experiments.execution.store import job_status

    click.echo(environment_message(exc), err=True)
    folder = Path(out) if out is not None else Path("results") / experiment.name
    try:
        done = int(job_status(folder)["status"].eq("done").sum())
    except (OSError, UserInputError, KeyError, ValueError):
        done = 0
    if done:
        click.echo(f"{done} of {experiment.n_jobs} jobs are done and kept in {folder}/; run the same command again "
                   "to finish the others", err=True)
    raise click.exceptions.Exit(1 if done else USER_ERROR_EXIT_CODE)


@main.command("batch")
@click.argument("spec", metavar="SPEC")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Results folder (default: results/<experiment name>); the folder of an earlier run of the "
                   "same experiment is resumed.")
@_executor_options
@click.option("--chunk-size", type=click.IntRange(min=1), default=None, metavar="K",
              help="Jobs per task (default: chosen from the number of jobs and workers, at most 100).")
def batch_command(spec: str, out: str | None, workers: int | None, scheduler: str | None, dask_local: int | None,
                  chunk_size: int | None) -> None:
    """Run the experiment in SPEC (a YAML file, or an example's name) and stream its results to a folder.

    Examples ship in experiments/specs/ (land_supply, chain_leaders); an experiment file names its scenarios,
    factors, design, replicates, outputs and seed (see the README).

    Re-running the same command resumes: jobs already done are skipped, failed ones are retried. Exit code 0
    when every job is done, 1 when some failed (their errors are in the results folder's failures/) or a fault
    of the machine (a full disk) stopped the batch after some jobs were done, 2 for a mistake in the input (a bad
    experiment file, a results folder of another experiment, an unreachable scheduler) or a fault of the machine
    before any job was done.
    """
    import sys

    from parkabm.experiments.design.spec import load_spec
    from parkabm.experiments.execution.executors import make_executor
    from parkabm.experiments.execution.runner import run_batch

    experiment = load_spec(spec)
    with make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local) as executor:
        _print_batch_header(experiment, _batch_folder(experiment, out))  # once the scheduler (if any) is reached
        _print_dashboard(executor)
        try:
            result = run_batch(experiment, out, executor=executor, chunk_size=chunk_size,
                               progress=sys.stderr.isatty())
        except OSError as exc:
            _stopped_by_the_machine(exc, experiment, out)
    _print_batch(result)
    click.echo(result.summary_line())
    if result.failed or result.pending:
        raise click.exceptions.Exit(1)


@main.command("compare")
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO...")
@click.option("--reps", type=click.IntRange(min=1), default=100, show_default=True,
              help="Replicates per scenario, each with its own draw of the uncertain inputs.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Master seed.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Results folder (default: results/compare-<scenarios>).")
@_executor_options
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Chart language.")
def compare_command(scenarios: tuple[str, ...], reps: int, seed: int, out: str | None, workers: int | None,
                    scheduler: str | None, dask_local: int | None, lang: str) -> None:
    """Compare SCENARIOs (shipped names or YAML files): P(target met) with 95% intervals, and 2025 outcomes.

    Runs every scenario's replicates as one batch (resumable, like parkabm batch), writes comparison.csv and
    comparison.<lang>.png to the results folder and prints the table. Exit code 1 when some runs failed.
    """
    import sys
    from pathlib import Path

    from parkabm.experiments.analysis.compare import comparison_experiment, default_out, run_comparison
    from parkabm.experiments.execution.executors import make_executor

    experiment = comparison_experiment(list(scenarios), reps=reps, seed=seed)
    folder = Path(out) if out is not None else default_out(experiment)
    with make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local) as executor:
        click.echo(f"{len(scenarios)} scenarios · {reps} replicates each · seed {seed} · {experiment.n_jobs} jobs")
        click.echo(f"results in {folder}/ (Ctrl-C stops; the same command again resumes)")
        _print_dashboard(executor)
        result = run_comparison(list(scenarios), reps=reps, seed=seed, out=out, executor=executor, lang=lang,
                                progress=sys.stderr.isatty())
    click.echo("P(target met) [95% CI]")
    click.echo(format_comparison_table(result.table))
    click.echo("")
    click.echo(f"results in {result.batch.out}/")
    for role, path in result.files.items():
        click.echo(f"  {role:<10} {path}")
    click.echo(result.batch.summary_line())
    if result.batch.failed or result.batch.pending:
        raise click.exceptions.Exit(1)


def format_comparison_table(table) -> str:
    """Return a comparison table (:func:`~parkabm.experiments.analysis.compare.comparison_table`) as text.

    First P(met) [95% CI] per target (named by its label, with value, unit and year) and scenario, then the mean and
    5–95% range of each outcome (named by its registry label, with unit) in the comparison year.
    """
    from parkabm.model.outputs.registry import display_unit, output
    from parkabm.scenarios.world import load_world

    units = load_world().targets["unit"]
    units = units[~units.index.duplicated()]
    scenarios = list(dict.fromkeys(table["scenario"]))
    targets = table[table["kind"] == "target"]
    rows = new_table("target", "goal", *scenarios, "id (targets.csv)")
    for name, group in targets.groupby("name", sort=False):
        first = group.iloc[0]
        cells = []
        for s in scenarios:
            r = group[group["scenario"] == s]
            r = r.iloc[0] if len(r) else None
            status = r.get("status") if r is not None else None
            if isinstance(status, str) and status != "modelled":  # never shown as a probability
                cells.append(status)
                continue
            cells.append("not evaluated" if r is None or not r["n"] else
                         f"{r['p_met']:.0%} [{r['ci_low']:.0%}, {r['ci_high']:.0%}]")
        goal = f"{_goal(first['comparison'], first['target_value'], str(units.get(name, '')))} in {int(first['year'])}"
        rows.add_row(str(first["name_en"]), goal, *cells, str(name))
    text = render_table(rows)
    if "scope" in targets.columns:  # every P(met) depends on the output scope of the scenario's runs
        scopes = targets.drop_duplicates("scenario").set_index("scenario")["scope"]
        text = "scope: " + ", ".join(f"{s} {scopes.get(s, '?')}" for s in scenarios) + "\n" + text
    metrics = table[table["kind"] == "metric"]
    if len(metrics):
        outcomes = new_table(f"in {int(metrics['year'].iloc[0])}: mean [p05, p95]", *scenarios)
        for metric, group in metrics.groupby("metric", sort=False):
            info = output(str(metric))
            share = info.unit == "share"
            cells = []
            for s in scenarios:
                r = group[group["scenario"] == s].iloc[0]
                cells.append(" ".join([_number(r["mean"], share), f"[{_number(r['p05'], share)},",
                                       f"{_number(r['p95'], share)}]"]))
            outcomes.add_row(f"{info.label_en} ({display_unit(info.unit)})", *cells)
        text += "\n\n" + render_table(outcomes)
    return text


def _number(x: float, share: bool = False) -> str:
    """A number for a table: a percentage for a share, thousands separated above 100, else three digits."""
    if x != x:  # NaN
        return "-"
    if share:
        return f"{x:.1%}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


@main.command("calibrate")
@click.option("--out", type=click.Path(file_okay=False), default="results/calibration", show_default=True,
              help="Folder for report.md, fit.json and the charts (an earlier calibration there is replaced).")
@click.option("--seeds", type=click.IntRange(min=2), default=None, metavar="N",
              help="Replicate seeds per candidate, the same for every candidate (default 32; 2 with --quick).")
@click.option("--maxiter", type=click.IntRange(min=1), default=None, metavar="K",
              help="Generations of differential evolution (default 30; 1 with --quick).")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes (default: all CPUs; 1 with --quick); 1 runs in this process.")
@click.option("--quick", is_flag=True, help="Tiny sizes (small firm population, few candidates): a smoke run whose "
                                            "numbers mean nothing.")
def calibrate_command(out: str, seeds: int | None, maxiter: int | None, workers: int | None, quick: bool) -> None:
    """Fit behavioural parameters to the sourced 2019–2021 history (method of simulated moments).

    Back-casts the zones from 2019 to 2021 under the pre-2022 policy for every candidate parameter set, with the
    same replicate seeds for all, and minimises the weighted distance of the model's moments from the data
    (growth of industrial and digital value added, zone output, firm-size facts). Writes report.md, fit.json,
    fit.en.png and profiles.en.png (English charts), and prints where they are.
    """
    import sys

    from parkabm.experiments.analysis.calibration import QUICK, CalibrationSettings, calibrate, settings_with

    settings = settings_with(QUICK if quick else CalibrationSettings(), seeds=seeds, maxiter=maxiter,
                             workers=workers)
    result = calibrate(settings, out, progress=sys.stderr.isatty())
    o = result.fit["objective"]
    click.echo(f"calibration · back-cast {settings.base_year}→2021 · {settings.seeds} seeds · "
               f"{o['evaluations']} candidates · {result.fit['wall_time_s'] / 60:.1f} min")
    click.echo(f"J: {o['prior']:.2f} at the prior defaults → {o['minimum']:.2f} at the optimum "
               f"({o['adopted']:.2f} at the adopted values)")
    for p in result.fit["parameters"]:
        click.echo(f"  {p['parameter']:<26} {p['adopted']:>9.4g}  95% [{p['ci_low']:.4g}, {p['ci_high']:.4g}]  "
                   f"{p['status']}")
    click.echo("")
    click.echo(f"results in {result.out}/")
    for role, path in result.files.items():
        click.echo(f"  {role:<10} {path}")


@main.command("sensitivity")
@click.argument("spec", metavar="SPEC")
@click.option("--method", type=click.Choice(["sobol", "morris", "delta", "pawn"]), default="sobol",
              show_default=True, help="Sensitivity method.")
@click.option("--n", "n", type=click.IntRange(min=2), default=None,
              help="Design size: Sobol base samples (a power of two), Morris trajectories or Latin-hypercube "
                   "points (default: the experiment's own design if it is of the method's kind, else "
                   "256 / 20 / 512 / 512).")
@click.option("--second-order", is_flag=True, help="Sobol second-order indices too.")
@click.option("--output", "outputs", multiple=True, metavar="NAME",
              help="Output to analyse (repeatable): total_output, leading_share, p_output_target, "
                   "p_leading_target, p_both_targets (default: all).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Results folder (default: results/<experiment>_<method>-n<N>); an earlier run is resumed.")
@_executor_options
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Chart language.")
def sensitivity_command(spec: str, method: str, n: int | None, second_order: bool, outputs: tuple[str, ...],
                        out: str | None, workers: int | None, scheduler: str | None, dask_local: int | None,
                        lang: str) -> None:
    """Global sensitivity analysis of the factors declared in SPEC (an experiment file or an example's name).

    Runs (or resumes) the method's design through the batch runner and store, averages each design point's
    replicates, and writes indices with 95% confidence intervals, a convergence table, the noise share, warnings
    and charts to <out>/analysis/<method>/.
    """
    import sys
    from pathlib import Path

    from parkabm.experiments import charts
    from parkabm.experiments.analysis.sensitivity.analysis import OUTPUTS, design_size, sa_experiment, sensitivity
    from parkabm.experiments.execution.executors import make_executor

    experiment = sa_experiment(spec, method, n, second_order=second_order)
    size = design_size(experiment)
    folder = Path(out) if out is not None else Path("results") / f"{experiment.name}-n{size}"
    with make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local) as executor:
        click.echo(f"{method} analysis of {experiment.name} · n = {size} · {experiment.n_jobs} jobs")
        click.echo(f"results in {folder}/ (Ctrl-C stops; the same command again resumes)")
        _print_dashboard(executor)
        result = sensitivity(spec, method=method, n=n, out=out, executor=executor, outputs=list(outputs) or None,
                             second_order=second_order, lang=lang, progress=sys.stderr.isatty())
    for output in dict.fromkeys(result.indices.get("output", [])):
        for scenario in dict.fromkeys(result.indices["scenario"]):
            ranked = result.ranking(output, scenario)
            if not len(ranked):
                continue
            click.echo(f"{scenario} · {OUTPUTS[output]} ({method}, n = {result.n})")
            table = new_table("index", "value", "95% CI", "factor", "id", right=("value",))
            for r in ranked.itertuples(index=False):
                table.add_row(r.index, f"{r.value:.3f}", f"[{r.ci_low:.3f}, {r.ci_high:.3f}]",
                              charts.factor_label(r.factor, "en"), r.factor)
            click.echo(render_table(table))
    analysis = result.out / "analysis" / method
    if result.warnings:
        for line in summarise_warnings(result.warnings, prefix="analysis warning"):
            click.echo(line, err=True)
        click.echo(f"{len(result.warnings)} analysis warnings in all; each one is listed in {analysis}/", err=True)
    click.echo(f"results in {result.out}/ (analysis in {analysis}/)")
    for role, path in result.files.items():
        click.echo(f"  {role:<28} {path}")


@main.command("decompose")
@click.argument("scenario", metavar="SCENARIO")
@click.option("--n", "n", type=click.IntRange(min=2), default=None,
              help="Base samples of the grouped Sobol design, a power of two (default 256).")
@click.option("--reps", type=click.IntRange(min=2), default=None,
              help="Replicates per design point on common random numbers (default 4).")
@click.option("--levers", default=None, metavar="SPEC",
              help="Experiment file or example whose lever factors form the levers group (default sobol_levers).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Master seed.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Results folder (default: results/decompose/<scenario>); an earlier run is resumed.")
@_executor_options
def decompose_command(scenario: str, n: int | None, reps: int | None, levers: str | None, seed: int,
                      out: str | None, workers: int | None, scheduler: str | None, dask_local: int | None) -> None:
    """Split the variance of every target of SCENARIO by source (base, macro, behaviour, levers, noise).

    The sources: base level and scope, macro shocks and prices, behavioural parameters, policy levers and Monte
    Carlo noise (replicate seeds). Runs (or resumes) a grouped Sobol design through the batch runner, then
    writes decomposition.csv, decomposition.md and decomposition.<lang>.png (English and Chinese) to
    <out>/decomposition/ and prints the three largest sources of each indicator.
    """
    import sys

    from parkabm.experiments.analysis import decomposition as dec
    from parkabm.experiments.execution.executors import make_executor

    n = dec.DEFAULT_N if n is None else n
    reps = dec.DEFAULT_REPLICATES if reps is None else reps
    levers = dec.DEFAULT_LEVERS if levers is None else levers
    experiment = dec.decomposition_experiment(scenario, n=n, replicates=reps, levers=levers, seed=seed)
    with make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local) as executor:
        click.echo(f"decomposition of {scenario} · n = {n} · {reps} replicates · {experiment.n_jobs:,} jobs")
        _print_dashboard(executor)
        result = dec.decompose(scenario, n=n, replicates=reps, levers=levers, seed=seed, out=out,
                               executor=executor, progress=sys.stderr.isatty())
    table = new_table("indicator", "first", "second", "third")
    for indicator, rows in result.table.groupby("indicator", sort=False):
        top = [f"{dec.group_label(g, 'en')} {s:.0%}" for g, s in result.top(str(indicator))]
        table.add_row(rows["label_en"].iloc[0], *(top + ["-"] * 3)[:3]) if top else table.add_row(
            rows["label_en"].iloc[0], "does not vary", "", "")
    click.echo(render_table(table))
    click.echo(f"{result.runs:,} runs in {result.seconds:.0f} s")
    click.echo(f"results in {result.out}/")
    for role, path in result.files.items():
        click.echo(f"  {role:<10} {path}")


@main.command("discover")
@click.argument("source", metavar="SOURCE")
@click.option("--target", type=click.Choice(["both", "output", "leading"]), default="both", show_default=True,
              help="Class of interest: which headline targets a run must meet in 2025.")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), default=0.8, show_default=True,
              help="Density PRIM peels toward (and the chosen box must reach, if it can).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Results folder when SOURCE is an experiment file (default: results/<experiment name>).")
@_executor_options
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Chart language.")
def discover_command(source: str, target: str, threshold: float, out: str | None, workers: int | None,
                     scheduler: str | None, dask_local: int | None, lang: str) -> None:
    """Scenario discovery with PRIM: which lever and uncertainty ranges make the targets likely.

    SOURCE is the results folder of a finished batch, or an experiment file or example name (run or resumed
    first). Writes the
    peeling trajectory, the chosen box with quasi-p-values, a plain-language summary and charts to
    <results>/discovery/.
    """
    import sys

    from parkabm.experiments.analysis.discovery import discover
    from parkabm.experiments.execution.executors import make_executor

    with make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local) as executor:
        found = discover(source, out=out, target=target, threshold=threshold, executor=executor, lang=lang,
                         progress=sys.stderr.isatty())
    for scenario, result in found.results.items():
        s = result.stats
        click.echo(f"{scenario}: {int(s['runs'])} runs, base rate {s['base_rate']:.0%}; box {result.chosen}: "
                   f"coverage {s['coverage']:.0%}, density {s['density']:.0%}, {int(s['res_dim'])} restricted")
        click.echo(f"  {result.summary}")
    click.echo(f"results in {found.out / 'discovery'}/")
    for role, path in found.files.items():
        click.echo(f"  {role:<28} {path}")


@main.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (this machine only).")
@click.option("--port", type=click.IntRange(min=1, max=65535), default=8765, show_default=True, help="TCP port.")
@click.option("--reps", type=click.IntRange(min=1), default=50, show_default=True,
              help="Replicates per scenario each time Run is pressed.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Master seed.")
@click.option("--population-scale", type=float, default=None, metavar="X",
              help="Multiply the synthetic firm population (e.g. 0.1 for quick looks); default: the scenarios'.")
@click.option("--scenario", default="baseline", show_default=True,
              help="Scenario shown first: a shipped name or a scenario file (e.g. a package of `parkabm design`).")
@click.option("--reference", default="baseline", show_default=True,
              help="Scenario the differences are taken from: a shipped name or a scenario file.")
def dashboard_command(host: str, port: int, reps: int, seed: int, population_scale: float | None, scenario: str,
                      reference: str) -> None:
    """Serve the policy dashboard in the browser: levers, runs, P(target met) and its change (needs [dashboard])."""
    from parkabm.experiments.dashboard import serve

    serve(host=host, port=port, reps=reps, seed=seed, population_scale=population_scale, scenario=scenario,
          reference=reference, announce=click.echo)


@main.command("effects")
@click.argument("scenario", metavar="SCENARIO")
@click.option("--reps", type=int, default=None, metavar="N",
              help="Paired replicates per lever step (default 40; at least 2).")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="W",
              help="Local worker processes (default: all CPUs); 1 runs in this process.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Master seed.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: results/effects/<scenario>); an earlier effects folder is replaced.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of effects.md (charts are drawn in both languages when a Chinese font is available).")
@click.option("--levers", "levers_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="YAML file choosing levers: 'levers:' a list of lever paths, or lever path → values.")
def effects_command(scenario: str, reps: int | None, workers: int | None, seed: int, out: str | None, lang: str,
                    levers_file: str | None) -> None:
    """Measure the paired effect of every lever of SCENARIO (a shipped name or a YAML file).

    Each lever is stepped (×2 and ×0.5, draft values for the 链主 threshold, mechanisms off) and run against the
    unchanged scenario with common random numbers. Writes effects.csv, effects.md and forest plots of the effect on
    output and leading share, and prints the steps whose effect on 2025 output excludes zero.
    """
    import sys

    from parkabm.experiments.analysis.effects import DEFAULT_REPS, inert_levers, lever_label, run_effects
    from parkabm.experiments.execution.executors import make_executor

    reps = DEFAULT_REPS if reps is None else reps
    if reps < 2:
        raise UserInputError(f"--reps: {reps} — allowed: a whole number ≥ 2 (a paired interval needs two replicates)")
    with make_executor(workers=workers) as executor:
        result = run_effects(scenario, reps=reps, seed=seed, out=out, lang=lang, levers=levers_file,
                             executor=executor, progress=sys.stderr.isatty())
    table = result.table
    click.echo(f"scenario {scenario} · {len(result.steps)} lever steps × {reps} paired replicates · seed {seed} · "
               f"{result.seconds:.0f} s on {result.executor}")
    output = table[(table["outcome"] == "total_output_yi") & table["significant"]]
    click.echo(f"steps whose effect on {int(table['year'].iloc[0])} output excludes zero: {len(output)}")
    for r in output.itertuples(index=False):
        click.echo(f"  {lever_label(r.lever, 'en'):<48} {r.change:<10} {r.effect:+9.0f} [{r.ci_low:+.0f}, "
                   f"{r.ci_high:+.0f}] 亿元")
    inert = inert_levers(table)
    click.echo(f"levers without a detectable effect on any outcome: {len(inert)}")
    click.echo(f"results in {result.out}/")
    for role, path in result.files.items():
        click.echo(f"  {role:<24} {path}")


RESUMABLE_COMMANDS = RESUMABLE_COMMANDS | {"design"}  # its evaluations are kept, so the same command again resumes


@main.command("design")
@click.argument("scenario", metavar="SCENARIO")
@click.option("--budget", default=None, metavar="YI",
              help="Cap on the cumulative fiscal cost 2022–2025 in 亿元 (default 825: the baseline's own cost).")
@click.option("--objective", default="both", show_default=True, metavar="both|output|leading|TARGET",
              help="Targets a replicate must meet in 2025: both headline targets, one of them, or a modelled target "
                   "of targets.csv (e.g. tax_per_mu_2023).")
@click.option("--levers", "levers_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="YAML file of the levers to search: 'levers:' a list of lever paths, or lever path → [low, high] "
                   "(default: ten land, fund, evaluation, recruitment and platform levers).")
@click.option("--reps", type=int, default=None, metavar="N",
              help="Replicates each package is judged on, the same for every package (default 40).")
@click.option("--evaluations", type=int, default=None, metavar="N",
              help="Candidate evaluations of the optimiser (default 600).")
@click.option("--population", type=int, default=None, metavar="N", help="Population of ε-NSGA-II (default 40).")
@click.option("--fresh-reps", type=int, default=None, metavar="N",
              help="Fresh replicates the chosen packages are re-evaluated on (default 200).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Master seed (runs and optimiser).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Results folder (default: results/design/<scenario>); an earlier design there is resumed.")
@_executor_options
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of summary.md (the front chart is drawn in English and Chinese).")
def design_command(scenario: str, budget: str | None, objective: str, levers_file: str | None, reps: int | None,
                   evaluations: int | None, population: int | None, fresh_reps: int | None, seed: int,
                   out: str | None, workers: int | None, scheduler: str | None, dask_local: int | None,
                   lang: str) -> None:
    """What would it take: lever packages of SCENARIO that make the targets likely within a fiscal budget.

    Searches the levers' ranges with ε-NSGA-II for the Pareto front of the cumulative fiscal cost 2022–2025
    against P(targets met in 2025), every package judged on the same replicates (common random numbers), and
    re-evaluates the cheapest package for P ≥ 50%, 80% and 90% on fresh replicates. Writes front.csv, the front
    chart (English and Chinese), packages/*.yaml (scenario files of the chosen packages), summary.md and
    summary.json; the evaluations kept in <out>/evaluations/ let the same command resume.
    """
    import math
    import sys

    from parkabm.experiments.analysis import packages as pk
    from parkabm.experiments.execution.executors import make_executor

    if budget is None:
        cap = pk.DEFAULT_BUDGET_YI
    else:
        try:
            cap = float(budget)
        except ValueError:
            cap = math.nan
        if not math.isfinite(cap) or cap <= 0:
            raise UserInputError(f"--budget: {budget} — allowed: a number of 亿元 above 0 (the cap on the cumulative "
                                 "fiscal cost 2022–2025)")
    pk.objective_targets(objective)  # a bad objective or lever file is reported before any worker starts
    if levers_file is not None:
        pk.read_design_levers(levers_file)
    with make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local) as executor:
        _print_dashboard(executor)
        result = pk.run_design(
            scenario, budget=cap, objective=objective, levers=levers_file,
            reps=pk.DEFAULT_REPS if reps is None else reps,
            evaluations=pk.DEFAULT_EVALUATIONS if evaluations is None else evaluations,
            population=pk.DEFAULT_POPULATION if population is None else population,
            fresh_reps=pk.DEFAULT_FRESH_REPS if fresh_reps is None else fresh_reps, seed=seed, out=out, lang=lang,
            executor=executor, progress=sys.stderr.isatty())
    s = result.summary
    click.echo(f"design of {scenario} · objective {objective} · budget {cap:g}亿元 · {len(result.levers)} levers · "
               f"{s['packages_evaluated']} packages × {s['replicates']} replicates · {result.runs:,} runs in "
               f"{result.seconds:.0f} s on {result.executor}")
    today = s["today"]
    click.echo(f"the scenario as it is: cost {today['cost_yi']:,.0f}亿元, P = {today['p']:.0%} "
               f"[{today['p_low']:.0%}, {today['p_high']:.0%}]")
    table = new_table("P ≥", "cost 亿元", "P search", "P fresh", right=("cost 亿元",))
    for row in s["chosen"]:
        if row["found"]:
            table.add_row(f"{row['level']:.0%}", f"{row['cost_yi']:,.0f}",
                          f"{row['p_search']:.0%} [{row['p_search_low']:.0%}, {row['p_search_high']:.0%}]",
                          f"{row['p_fresh']:.0%} [{row['p_fresh_low']:.0%}, {row['p_fresh_high']:.0%}]")
        else:
            table.add_row(f"{row['level']:.0%}", "none within budget", "", "")
    click.echo(render_table(table))
    best = s["best"]
    if not best["within_budget"]:
        click.echo(f"no package evaluated costs at most {cap:g}亿元; the cheapest costs {best['cost_yi']:,.0f}亿元")
    else:
        click.echo(f"best reachable: P = {best['p']:.0%} on the search replicates, {best['p_fresh']:.0%} "
                   f"[{best['p_low_fresh']:.0%}, {best['p_high_fresh']:.0%}] on fresh ones, at "
                   f"{best['cost_yi']:,.0f}亿元")
    click.echo(f"results in {result.out}/")
    for role, path in result.files.items():
        click.echo(f"  {role:<14} {path}{'/' if path.is_dir() else ''}")


@main.command("report")
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO...")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True,
              help="Language of the brief.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="html", show_default=True,
              help="html: one self-contained page (charts as inline SVG); pdf: printed by a headless Chromium.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: results/report-<scenarios>); an earlier report there is replaced.")
@click.option("--reps", type=click.IntRange(min=2), default=100, show_default=True,
              help="Replicates per scenario.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Master seed.")
@click.option("--effects", "effects_dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Read the lever effects from DIR/effects.csv (a `parkabm effects` folder) instead of measuring "
                   "them.")
@click.option("--effects-reps", type=click.IntRange(min=2), default=None, metavar="N",
              help="Paired replicates per lever step when the effects of the first scenario are measured "
                   "(default 20).")
@click.option("--levers", "levers_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Lever file choosing the levers whose effects are measured, as for `parkabm effects --levers`.")
@click.option("--decomposition", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="A variance decomposition CSV (columns group, target or output, share) for 'what the answer "
                   "depends on'; without it, rank correlations of the replicates.")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Local worker processes (default: all CPUs); 1 runs in this process.")
def report_command(scenarios: tuple[str, ...], lang: str, fmt: str, out: str | None, reps: int, seed: int,
                   effects_dir: str | None, effects_reps: int | None, levers_file: str | None,
                   decomposition: str | None, workers: int | None) -> None:
    """Write a policy brief of SCENARIO... in one file: the question, every target's P(met), charts, effects, caveats.

    Runs the scenarios side by side (common random numbers) and the lever effects of the first one, and writes
    report.<lang>.html (self-contained) or report.<lang>.pdf with the tables behind it (comparison.csv,
    effects.csv, depends.csv).
    """
    import sys

    from parkabm.experiments.report.build import DEFAULT_EFFECTS_REPS, build_report

    context = click.get_current_context()
    given = [f"{p.opts[0]} {context.params[p.name]}" for p in context.command.params
             if isinstance(p, click.Option) and p.name is not None
             and context.get_parameter_source(p.name) == click.core.ParameterSource.COMMANDLINE]
    click.echo(f"report of {', '.join(scenarios)} · {reps} replicates each · "
               + (f"effects from {effects_dir}" if effects_dir else
                  f"effects of {scenarios[0]} × {effects_reps or DEFAULT_EFFECTS_REPS}")
               + f" · {lang} {fmt}")
    result = build_report(scenarios, lang=lang, fmt=fmt, out=out, reps=reps, seed=seed, effects=effects_dir,
                          effects_reps=effects_reps, levers=levers_file, decomposition=decomposition, workers=workers,
                          progress=sys.stderr.isatty(), command=" ".join([*scenarios, *given]))
    click.echo(f"{result.runs} runs · {result.seconds:.0f} s")
    click.echo(f"results in {result.out}/")
    for role, path in result.files.items():
        click.echo(f"  {role:<12} {path}")


@main.command("backtest")
@click.option("--out", type=click.Path(file_okay=False), default="docs/backtest", show_default=True,
              help="Folder for report.md, scores.csv and the chart.")
@click.option("--paths", type=click.IntRange(min=100), default=4000, show_default=True,
              help="Simulated paths per origin.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the simulations.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png", show_default=True,
              help="Chart format.")
def backtest_command(out: str, paths: int, seed: int, fmt: str) -> None:
    """Rolling-origin backtest of the city-wide shock process on the growth history up to 2021.

    For every origin year the shock process is estimated on the data up to it only and growth is forecast 1–4
    years ahead; prints and writes the coverage of the 50% and 90% bands, the PIT histogram and the CRPS against
    a random walk on growth (report.md, scores.csv, backtest.en/zh chart).
    """
    from parkabm.experiments.analysis.backtest import BacktestSettings, backtest

    files = backtest(out, settings=BacktestSettings(paths=paths, seed=seed), fmt=fmt)
    summary = files["report"].read_text(encoding="utf-8")
    click.echo(summary.split("## Forecasts")[0].split("## Coverage and CRPS")[1].strip())
    click.echo("")
    click.echo(f"results in {out}/")
    for role, path in files.items():
        click.echo(f"  {role:<10} {path}")
