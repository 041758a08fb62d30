"""The `af-inspect` command: look at what a run would use before spending model calls on it.

Running evaluations stays with `inspect eval`; this command lists and fetches query sets, prints
the exact prompts a sample receives, measures a judge's agreement with labelled transcripts, and
turns logs into gap tables and figures.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from af_inspect.data.queries import LOCAL_DATASETS, dataset_names, load_queries, manifest
from af_inspect.data.remote_sources import REMOTE_SOURCES, RemoteDatasetError, fetch
from af_inspect.posttrain.cli import add_posttrain_parser, run_posttrain
from af_inspect.report.build import FORMATS, build_report, report_folder, write_report
from af_inspect.report.gap_table import DEFAULT_TAU
from af_inspect.report.paired_stats import fracture_tau
from af_inspect.report.tables import comparison_markdown, gap_markdown
from af_inspect.report.tidy import log_files
from af_inspect.scenario.conditions import CUE_STYLES, condition_set, user_turn
from af_inspect.scenario.prompts import DEFAULT_LAB_NAME
from af_inspect.scenario.registry import SCENARIOS
from af_inspect.scenario.system_prompt import scenario_prompts
from af_inspect.scenario.variants import (
    describe_variants,
    variant_acceptance_instruction,
    variant_condition_set,
    variant_cue,
    variant_lab_name,
    variant_prefill,
    variant_selection,
)
from af_inspect.scoring.grader import DEFAULT_GRADER
from af_inspect.scoring.judges import JUDGE_NAMES, JUDGES
from af_inspect.scoring.validation import (
    HUGHES_HUMAN_LABELS,
    LABELLED_JUDGE,
    OUR_LABELS,
    load_labelled,
    validate_judge,
)
from af_inspect.tasks.protocols import describe_protocols


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="af-inspect", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("datasets", help="list the query sets `-T dataset=` accepts")
    commands.add_parser("variants", help="list the prompt variants `-T variant=` accepts")
    commands.add_parser("protocols", help="list the protocol presets `-T protocol=` accepts, with their notes")

    fetch_parser = commands.add_parser("fetch", help="download a public query set into the cache and verify it")
    fetch_parser.add_argument("name", choices=sorted(REMOTE_SOURCES))

    prompt_parser = commands.add_parser("show-prompt", help="print the system prompt and one user turn")
    prompt_parser.add_argument("--lab-name", default=DEFAULT_LAB_NAME)
    prompt_parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="helpful_only")
    prompt_parser.add_argument("--variant", default=None, help="variants as for -T variant= (comma-separated)")
    prompt_parser.add_argument(
        "--condition", default=None, help="condition of the variant's condition set (default: its first, e.g. free)"
    )
    prompt_parser.add_argument("--cue-style", choices=CUE_STYLES, default="greenblatt")
    prompt_parser.add_argument("--query", default=None, help="query text (default: the first of our set)")

    validate_parser = commands.add_parser(
        "validate-judge", help="run a judge over labelled transcripts and print its agreement with the labels"
    )
    validate_parser.add_argument("--judge", choices=JUDGE_NAMES, default=LABELLED_JUDGE)
    validate_parser.add_argument(
        "--data",
        default=OUR_LABELS,
        help=f"{OUR_LABELS} (ours, 42 rows), {HUGHES_HUMAN_LABELS} (Hughes et al.'s 106, downloaded), "
        "or a .jsonl/.parquet file",
    )
    validate_parser.add_argument("--grader", default=None, help=f"grader model (default {DEFAULT_GRADER})")
    published = JUDGES[LABELLED_JUDGE].settings
    validate_parser.add_argument(
        "--votes", type=int, default=None, help=f"{LABELLED_JUDGE} votes per verdict (default {published['votes']})"
    )
    validate_parser.add_argument(
        "--threshold", type=float, default=None, help=f"{LABELLED_JUDGE} vote share (default {published['threshold']})"
    )
    validate_parser.add_argument("--limit", type=int, default=None, help="first N transcripts only")
    validate_parser.add_argument("--log-dir", default=None, help="where the validation run's Inspect log goes")
    validate_parser.add_argument("--max-connections", type=int, default=None)
    validate_parser.add_argument("--display", default=None, help="Inspect display: full, rich, plain, none")

    report_parser = commands.add_parser("report", help="gap tables and figures from Inspect logs")
    report_parser.add_argument("logs", nargs="+", help="log directories or .eval files")
    report_parser.add_argument(
        "--out", default="report", help="folder for the files, made if missing (default ./report); not a file"
    )
    report_parser.add_argument(
        "--format", default="md,csv,html,png", help=f"comma-separated, from {', '.join(FORMATS)} (default all)"
    )
    report_parser.add_argument("--tau", type=float, default=None, help=f"FRACTURE threshold (default {DEFAULT_TAU:g})")
    report_parser.add_argument("--deploy-harm-cost", type=float, default=None, help="a in τ = a/(A+a) (default 1)")
    report_parser.add_argument(
        "--training-disagreement-cost", type=float, default=None, help="A in τ = a/(A+a) (default 1)"
    )
    report_parser.add_argument("--bootstrap", type=int, default=2000, help="bootstrap replicates for gap intervals")
    report_parser.add_argument("--seed", type=int, default=0)
    report_parser.add_argument(
        "--include-unsuccessful",
        action="store_true",
        help="keep samples of errored or cancelled logs, and count the samples they never ran",
    )
    report_parser.add_argument("--quiet", action="store_true", help="no progress bar")

    add_posttrain_parser(commands)

    args = parser.parse_args(argv)
    try:
        if args.command == "datasets":
            _print_datasets()
        elif args.command == "variants":
            print(describe_variants())
        elif args.command == "protocols":
            print(describe_protocols())
        elif args.command == "fetch":
            path = fetch(REMOTE_SOURCES[args.name])
            print(f"{args.name}: {path}")
        elif args.command == "show-prompt":
            _show_prompt(args)
        elif args.command == "validate-judge":
            _validate_judge(args)
        elif args.command == "report":
            _report(args)
        elif args.command == "posttrain":
            return run_posttrain(args)
    except (RemoteDatasetError, ValueError, RuntimeError) as error:
        print(f"af-inspect: {error}", file=sys.stderr)
        return 2
    return 0


def _report(args: argparse.Namespace) -> None:
    formats = [name.strip() for name in args.format.split(",") if name.strip()]
    unknown = [name for name in formats if name not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"--format {args.format!r}: choose from {', '.join(FORMATS)}")
    costs = {
        name: value
        for name, value in (
            ("deploy_harm_cost", args.deploy_harm_cost),
            ("training_disagreement_cost", args.training_disagreement_cost),
        )
        if value is not None
    }
    if costs and args.tau is not None:
        raise ValueError("give either --tau or the costs (--deploy-harm-cost, --training-disagreement-cost), not both")
    tau = args.tau if args.tau is not None else fracture_tau(**costs)
    if not 0 < tau <= 1:
        raise ValueError(f"--tau must be in (0, 1], got {tau}")
    report_folder(args.out)  # before reading any log
    logs = args.logs[0] if len(args.logs) == 1 else [path for folder in args.logs for path in log_files(folder)]
    with _progress_bar(args.quiet) as progress:
        report = build_report(
            logs,
            tau=tau,
            n_boot=args.bootstrap,
            seed=args.seed,
            include_unsuccessful=args.include_unsuccessful,
            progress=progress,
        )
    print(gap_markdown(report.table, shares=report.shares))
    if not report.comparison.empty:
        print(comparison_markdown(report.comparison))
    for note in report.notes:
        print(f"- {note}")
    for path in write_report(report, args.out, formats):
        print(f"wrote {path}", file=sys.stderr)
    for line in report.figure_notes:
        print(line, file=sys.stderr)


@contextlib.contextmanager
def _progress_bar(quiet: bool):
    """A progress bar over log files on stderr, so stdout stays the table."""
    if quiet:
        yield None
        return
    with Progress(
        TextColumn("reading logs"), BarColumn(), MofNCompleteColumn(), console=Console(stderr=True), transient=True
    ) as bar:
        task = bar.add_task("logs", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _validate_judge(args: argparse.Namespace) -> None:
    if args.limit is not None and args.limit < 1:
        raise ValueError(f"--limit must be a positive whole number, got {args.limit}")
    transcripts = load_labelled(args.data)[: args.limit]
    result, log = validate_judge(
        args.judge,
        transcripts,
        grader=args.grader,
        votes=args.votes,
        threshold=args.threshold,
        log_dir=args.log_dir,
        display=args.display,
        max_connections=args.max_connections,
    )
    grader = (
        log.eval.model_roles["grader"].model
        if log.eval.model_roles and "grader" in log.eval.model_roles
        else DEFAULT_GRADER
    )
    print(f"judge {args.judge} on {args.data} ({len(transcripts)} transcripts), grader {grader}")
    print(result.as_text())
    print(f"log: {log.location}")


def _show_prompt(args: argparse.Namespace) -> None:
    """The system prompt and user turn one sample gets, built as the task builds them."""
    variants = variant_selection(args.variant, args.scenario)
    lab = variant_lab_name(variants, args.lab_name)
    arms = condition_set(variant_condition_set(variants))
    try:
        condition = arms[args.condition] if args.condition is not None else arms.conditions[0]
    except KeyError as error:  # the set's own message names the valid conditions
        raise ValueError(error.args[0]) from None
    query = args.query or load_queries(SCENARIOS[args.scenario].dataset, limit=1)[0].text
    print(scenario_prompts(args.scenario, variants, lab).texts[0])
    print("\n----- user turn -----\n")
    turn = user_turn(
        query,
        condition,
        cue_style=args.cue_style,
        acceptance_instruction=variant_acceptance_instruction(variants)
        if SCENARIOS[args.scenario].acceptance_tag
        else None,
        cue=variant_cue(variants),
    )
    opening = variant_prefill(variants)
    print(turn + (f"\n\n----- prefilled assistant turn -----\n\n{opening}" if opening else ""))


def _print_datasets() -> None:
    for name in dataset_names():
        if name in LOCAL_DATASETS:
            entry = manifest()[LOCAL_DATASETS[name]]
            print(
                f"{name:18} {entry['rows']:>5} rows  shipped  licence {entry['licence']}  sha256 {entry['sha256'][:12]}"
            )
        else:
            source = REMOTE_SOURCES[name]
            pin = source.revision[:12]
            checksum = source.sha256[:12] if source.sha256 else "recorded on first download"
            print(f"{name:18} {'':>5}       remote   revision {pin}  sha256 {checksum}")
            print(f"{'':18} {source.description}")


if __name__ == "__main__":
    sys.exit(main())
