"""The ``seamline`` command."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from seamline.auth.cli import token_app, user_app
from seamline.bench.cli import bench_app
from seamline.errors import SeamlineError
from seamline.model.factory import Factory
from seamline.model.loader import load_factory
from seamline.settings import Settings

if TYPE_CHECKING:
    from seamline.auth import Auth, DemoAdmin

app = typer.Typer(
    help="Seamline: the workshop brain for connected garment factories.",
    no_args_is_help=True,
    add_completion=False,
)
# soft_wrap: a long line stays one line in logs and pipes instead of wrapping at 80 columns
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

StoreUrl = Annotated[
    str | None,
    typer.Option("--store", help="postgresql://user@host:5432/db[?schema=s]; default: DuckDB in --data-dir"),
]
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="where the store lives [default: ./seamline-data]")
]
Port = Annotated[int | None, typer.Option("--port", help="HTTP port [default: 8000]")]
Host = Annotated[str | None, typer.Option("--host", help="HTTP address [default: 127.0.0.1]")]
FactoryFile = Annotated[
    Path | None, typer.Option("--factory", help="factory TOML file [default: the reference factory]")
]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _load(settings: Settings) -> Factory:
    try:
        return load_factory(settings.factory_file)
    except SeamlineError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(2) from None


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("asyncua").setLevel(max(logging.WARNING, logging.getLogger().level))  # chatty at INFO


def _run(coro: Any) -> None:
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        pass
    except SeamlineError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(getattr(exc, "exit_code", 1)) from None


def _say(text: str) -> None:
    """Print service output as it is: a path or a message may hold [brackets]."""
    console.print(text, markup=False)


def _open_auth(settings: Settings) -> Auth:
    from seamline.auth import open_auth

    try:
        return open_auth(settings.store, settings.data_dir)
    except SeamlineError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(1) from None


def _auth_banner(auth: Auth, demo: DemoAdmin | None) -> None:
    where = auth.store.where
    users, tokens = auth.users(), [t for t in auth.tokens() if t.revoked_ms is None]
    console.print(f"  auth      {escape(where)}: {len(users)} users, {len(tokens)} API tokens")
    if demo is not None:
        if demo.password is not None:
            console.print(
                f"  sign in   user [bold]{demo.user}[/bold], password [bold]{escape(demo.password)}[/bold]"
                f" (shown once; kept in {escape(str(demo.password_file))})"
            )
        else:
            console.print(f"  sign in   user {demo.user}, password in {escape(str(demo.password_file))}")
        console.print(
            f"  token     admin API token in {escape(str(demo.token_file))}:"
            f' curl -H "Authorization: Bearer $(cat {escape(str(demo.token_file))})" ...'
        )
    elif not users and not tokens:
        console.print(
            "  [yellow]no users or API tokens yet:[/yellow] `seamline user add NAME --role admin`"
            " (and `seamline token create` for devices and scripts)"
        )


def _banner(settings: Settings, factory: Factory, what: str) -> None:
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"[bold]Seamline[/bold] {what}")
    console.print(
        f"  factory   {factory.site_name}: {len(factory.devices)} devices, {factory.sensor_count:,} sensors,"
        f" {len(factory.lines)} lines, nominal {factory.readings_per_s():,.0f} readings/s"
    )
    console.print(f"  store     {escape(settings.store_label)}")
    console.print(f"  API       {url}/api/v1/factory  ·  docs {url}/docs  ·  health {url}/healthz")
    console.print("  Ctrl-C stops it cleanly; starting it again on the same --data-dir keeps the data.")


@app.command()
def demo(
    port: Port = None,
    host: Host = None,
    data_dir: DataDir = None,
    store: StoreUrl = None,
    factory_file: FactoryFile = None,
    speed: Annotated[float, typer.Option(help="simulated seconds per wall second", min=0.1, max=3600)] = 1.0,
    seed: Annotated[int, typer.Option(help="simulation seed: same seed, same factory day")] = 0,
    duration: Annotated[float | None, typer.Option(help="stop after this many seconds", min=1)] = None,
) -> None:
    """Run the simulated reference factory and the platform on http://127.0.0.1:8000."""
    from seamline.run import SimOptions, serve

    settings = _settings(port=port, host=host, data_dir=data_dir, factory_file=factory_file, store=store)
    _logging(settings.log_level)
    factory = _load(settings)
    from seamline.auth import ensure_demo_admin

    auth = _open_auth(settings)
    try:
        admin = ensure_demo_admin(auth, settings.data_dir)
        _banner(settings, factory, f"demo: simulated factory at speed {speed:g}, seed {seed}")
        _auth_banner(auth, admin)
        _run(
            serve(
                settings,
                factory,
                auth,
                sim_opts=SimOptions(seed=seed, speed=speed),
                duration_s=duration,
                printer=_say,
            )
        )
    finally:
        auth.close()


@app.command("serve")
def serve_cmd(
    port: Port = None,
    host: Host = None,
    data_dir: DataDir = None,
    store: StoreUrl = None,
    factory_file: FactoryFile = None,
    mqtt: Annotated[
        str | None, typer.Option(help="broker to ingest from; 'none' to ingest over HTTP only")
    ] = "mqtt://127.0.0.1:1883",
    sparkplug_group: Annotated[
        str | None, typer.Option(help="also ingest Sparkplug B of this group id from the --mqtt broker")
    ] = None,
    opcua: Annotated[
        Path | None, typer.Option(help="OPC UA servers and node mappings to subscribe to (TOML)")
    ] = None,
    mqtt_ca: Annotated[
        Path | None,
        typer.Option(
            "--mqtt-ca", help="CA file (PEM) to trust for an mqtts:// broker [default: the system's]"
        ),
    ] = None,
    mqtt_cert: Annotated[
        Path | None, typer.Option("--mqtt-cert", help="client certificate (PEM) for an mqtts:// broker")
    ] = None,
    mqtt_key: Annotated[
        Path | None, typer.Option("--mqtt-key", help="private key (PEM) of --mqtt-cert, if not in that file")
    ] = None,
) -> None:
    """Run the platform without the simulator: ingest over HTTP, MQTT (JSON, Sparkplug B) and OPC UA."""
    from seamline.run import serve

    mqtt_url = None if mqtt in (None, "", "none") else mqtt
    if sparkplug_group and not mqtt_url:
        err.print("[red]error:[/red] --sparkplug-group needs a broker: give --mqtt mqtt://host:port")
        raise typer.Exit(2)
    if sparkplug_group and mqtt_url and mqtt_url.startswith("mqtts://"):
        err.print("[red]error:[/red] --sparkplug-group does not speak TLS yet: use an mqtt:// broker for it")
        raise typer.Exit(2)
    settings = _settings(
        port=port,
        host=host,
        data_dir=data_dir,
        factory_file=factory_file,
        mqtt_url=mqtt_url,
        sparkplug_group=sparkplug_group,
        store=store,
        mqtt_ca_file=mqtt_ca,
        mqtt_cert_file=mqtt_cert,
        mqtt_key_file=mqtt_key,
    )
    _logging(settings.log_level)
    factory = _load(settings)
    opcua_config = None
    if opcua is not None:
        from seamline.ingest.opcua import load_opcua_config

        try:
            opcua_config = load_opcua_config(opcua, factory)
        except SeamlineError as exc:
            err.print(f"[red]error:[/red] {escape(exc.message)}")
            raise typer.Exit(2) from None
    sources = [
        "HTTP",
        *([settings.mqtt_label] if settings.mqtt_label else []),
        *([f"Sparkplug B group {sparkplug_group}"] if sparkplug_group else []),
        *([f"OPC UA ({opcua})"] if opcua else []),
    ]
    auth = _open_auth(settings)
    try:
        _banner(settings, factory, f"serve: ingest over {', '.join(sources)}")
        _auth_banner(auth, None)
        _run(serve(settings, factory, auth, opcua=opcua_config, printer=_say))
    finally:
        auth.close()


@app.command()
def simulate(
    to: Annotated[str, typer.Option("--to", help="mqtt://host:port or http://host:port")],
    factory_file: FactoryFile = None,
    speed: Annotated[float, typer.Option(help="simulated seconds per wall second", min=0.1, max=3600)] = 1.0,
    seed: Annotated[int, typer.Option(help="simulation seed")] = 0,
    duration: Annotated[float | None, typer.Option(help="stop after this many seconds", min=1)] = None,
    token: Annotated[
        str | None,
        typer.Option(help="API token for http:// (role ingest or admin) [default: SEAMLINE_TOKEN]"),
    ] = None,
) -> None:
    """Run the simulated device fleet, publishing to a Seamline over MQTT or HTTP."""
    from seamline.fleet import run_fleet

    settings = _settings(factory_file=factory_file, token=token)
    _logging(settings.log_level)
    factory = _load(settings)
    console.print(
        f"[bold]Seamline[/bold] simulate: {len(factory.devices)} devices, {factory.sensor_count:,} sensors"
        f" -> {to} (speed {speed:g}, seed {seed}); Ctrl-C stops"
    )
    _run(
        run_fleet(
            factory, to, seed=seed, speed=speed, duration_s=duration, token=settings.token, printer=_say
        )
    )


@app.command("aql")
def aql_cmd(
    lot_size: Annotated[int, typer.Option("--lot-size", help="units in the lot (2 or more)")],
    aql: Annotated[str, typer.Option("--aql", help="acceptance quality limit: 0.010 ... 1000, e.g. 2.5")],
    level: Annotated[str, typer.Option("--level", help="inspection level: I, II, III, S-1..S-4")] = "II",
    inspection: Annotated[str, typer.Option(help="normal, tightened or reduced")] = "normal",
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """ISO 2859-1 (ANSI/ASQ Z1.4) single sampling plan: code letter, sample size, accept and reject."""
    import orjson

    from seamline.quality import single_plan

    try:
        plan = single_plan(lot_size, level, aql, inspection)
    except SeamlineError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(2) from None
    if json_out:
        typer.echo(orjson.dumps(plan.as_dict()).decode())  # not through rich: no markup
        return
    arrow = (
        f", the arrow leads to letter {plan.plan_letter}'s plan"
        if plan.plan_letter != plan.code_letter
        else ""
    )
    _say(
        f"ISO 2859-1 single sampling, {plan.inspection.value} inspection (Table {plan.table}):"
        f" lot {plan.lot_size:,}, level {plan.level.value}, AQL {plan.aql}"
        f" -> code letter {plan.code_letter}{arrow}"
    )
    sample = f"sample {plan.sample_size:,} units"
    if plan.hundred_percent:
        sample = f"sample {plan.sample_size:,} >= lot: inspect all {plan.lot_size:,} units (100 %)"
    _say(f"  {sample}; accept with <= {plan.accept} nonconforming, reject with >= {plan.reject}")
    if plan.reject > plan.accept + 1:
        between = " to ".join(dict.fromkeys((str(plan.accept + 1), str(plan.reject - 1))))
        _say(f"  {between} nonconforming: accept, but reinstate normal inspection (ANSI/ASQ Z1.4 10.1.4)")


class SolveKind(StrEnum):
    JOBSHOP = "jobshop"
    FJSP = "fjsp"
    SALBP2 = "salbp2"
    ALWABP = "alwabp"


@app.command("solve")
def solve_cmd(
    kind: Annotated[SolveKind, typer.Argument(help="jobshop, fjsp, salbp2 or alwabp")],
    file: Annotated[Path, typer.Argument(help="the instance file, in its benchmark format")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds the solver may take", min=0.01)],
    seed: Annotated[
        int, typer.Option(help="random seed; with --workers 1 the same seed gives the same answer")
    ] = 0,
    workers: Annotated[int, typer.Option(help="CP-SAT search workers (threads)", min=1)] = 2,
    stations: Annotated[
        int | None, typer.Option("--stations", help="number of stations M (salbp2 only)")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Solve a job shop, flexible job shop, SALBP-2 or ALWABP instance and print the validated solution."""
    import orjson

    from seamline.brain import LineBalance, read_problem, solve

    if stations is not None and kind is not SolveKind.SALBP2:
        _usage(f"--stations applies to salbp2 only, not to {kind.value}")
    if kind is SolveKind.SALBP2 and stations is None:
        _usage("salbp2 needs the number of stations: --stations M")
    try:
        problem = read_problem(kind.value, file, stations=stations)
        solution = solve(problem, time_limit, seed=seed, workers=workers)
    except SeamlineError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(getattr(exc, "exit_code", 1)) from None
    if json_out:
        typer.echo(orjson.dumps(solution.as_dict()).decode())
        return
    bound = "none" if solution.lower_bound is None else f"{solution.lower_bound}"
    gap = "" if solution.gap is None else f", gap {solution.gap:.2%}"
    what = "cycle time" if isinstance(solution, LineBalance) else "makespan"
    _say(
        f"{kind.value} {file.name}: {what} {solution.objective}"
        f" ({solution.status.value}; lower bound {bound}{gap})"
        f" in {solution.elapsed_s:.2f} s by {solution.method}"
    )
    if isinstance(solution, LineBalance):
        for s, station in enumerate(solution.stations):
            worker = "" if station.worker is None else f" worker {station.worker}"
            tasks = " ".join(str(t) for t in station.tasks) or "-"
            _say(f"  station {s + 1}{worker}: load {station.load:>6}  tasks {tasks}")
        return
    by_machine: dict[int, list[str]] = {}
    for op in sorted(solution.operations, key=lambda o: (o.machine, o.start)):
        by_machine.setdefault(op.machine, []).append(f"j{op.job}.{op.op}@{op.start}")
    for machine in sorted(by_machine):
        _say(f"  machine {machine}: {' '.join(by_machine[machine])}")


@app.command("plan")
def plan_cmd(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="a planning problem as JSON (seamline.brain.plan_io); absent: the factory file's orders"
        ),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="seconds the solver may take", min=0.01)
    ] = 5.0,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    now: Annotated[
        str | None,
        typer.Option(help="plan the factory file's orders from this ISO 8601 instant (default: now)"),
    ] = None,
    factory_file: FactoryFile = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the plan as one JSON object")] = False,
) -> None:
    """Plan orders onto sewing lines (weighted tardiness, then changeovers, then makespan) and print
    the validated plan, line by line."""
    import datetime as dt

    import orjson

    from seamline.brain.plan_factory import planning_problem
    from seamline.brain.plan_io import plan_to_json, problem_from_json
    from seamline.brain.plan_solver import solve_plan
    from seamline.brain.plan_text import plan_text

    try:
        if file is not None:
            problem = problem_from_json(orjson.loads(file.read_bytes()))
        else:
            at = dt.datetime.fromisoformat(now) if now else dt.datetime.now(dt.UTC)
            problem = planning_problem(_load(_settings(factory_file=factory_file)), at)
        plan = solve_plan(problem, time_limit, seed)
    except (OSError, ValueError) as exc:
        _usage(f"{file or now}: {exc}")
    except SeamlineError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(getattr(exc, "exit_code", 1)) from None
    if json_out:
        typer.echo(orjson.dumps(plan_to_json(plan)).decode())
        return
    _say(plan_text(problem, plan))


factory_app = typer.Typer(help="Factory files.", no_args_is_help=True)
report_app = typer.Typer(help="Reports from the stored production records.", no_args_is_help=True)
app.add_typer(factory_app, name="factory")
app.add_typer(report_app, name="report")
app.add_typer(bench_app, name="bench")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


class ReportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


def _usage(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(2)


@report_app.command("shift")
def report_shift(
    date: Annotated[str, typer.Option("--date", help="the shift's local date in the factory, YYYY-MM-DD")],
    shift: Annotated[int, typer.Option("--shift", help="the shift's number that day, from 1")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="csv, xlsx or pdf")],
    line: Annotated[str | None, typer.Option("--line", help="only this line (its id) [default: all]")] = None,
    data_dir: DataDir = None,
    store: StoreUrl = None,
    factory_file: FactoryFile = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", help="file to write [default: ./shift-report-DATE-SSHIFT[-LINE].FORMAT]"),
    ] = None,
) -> None:
    """A shift's production per line, hour and operator: output vs target, efficiency, minutes."""
    import datetime as dt

    from seamline.production.report import WRITERS, build_shift_report, default_filename, read_ledger
    from seamline.production.shifts import shift_window

    if data_dir is not None and store is not None:
        _usage("give --data-dir (DuckDB) or --store (PostgreSQL), not both")
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        _usage(f"--date {date!r} is not a date; give the shift's local date as YYYY-MM-DD, e.g. 2026-11-02")
    settings = _settings(data_dir=data_dir, store=store, factory_file=factory_file)
    factory = _load(settings)
    lines = factory.lines
    if line is not None:
        chosen = factory.lines_by_id.get(line)
        if chosen is None:
            known = ", ".join(x.id for x in factory.lines)
            _usage(f"--line {line!r}: {factory.site_name} has no such line; its lines are {known}")
        lines = (chosen,)
    if settings.store is None and not settings.data_dir.is_dir():
        _usage(
            f"no data directory {settings.data_dir}: give the --data-dir that `seamline serve` or"
            " `seamline demo` writes to (or --store postgresql://...)"
        )
    path = output if output is not None else Path(default_filename(day, shift, line, fmt.value))
    if not path.parent.is_dir():
        _usage(f"--output {path}: the directory {path.parent} does not exist")
    try:
        start_ms, end_ms = shift_window(factory, day, shift)
        ledger = read_ledger(factory, settings.store_spec, downtime_threshold_s=settings.downtime_threshold_s)
        report = build_shift_report(
            ledger, day, shift, lines=lines, planned_efficiency=settings.planned_efficiency
        )
    except SeamlineError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        code = 2 if exc.reason == "no_store" else getattr(exc, "exit_code", 1)
        raise typer.Exit(code) from None
    part = path.with_name(path.name + ".part")  # a report half written never looks finished
    try:
        WRITERS[fmt.value](report, part)
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    if not report.records:
        err.print(
            f"[yellow]warning:[/yellow] the store has no production records in shift {shift} of {day}"
            f" ({report.clock(start_ms)}-{report.clock(end_ms)} {factory.timezone}"
            f"{', line ' + escape(line) if line else ''}); the report shows zeros"
        )
    _say(f"wrote {path.resolve()}")


@factory_app.command("check")
def factory_check(path: Annotated[Path, typer.Argument(help="factory TOML file")]) -> None:
    """Validate a factory file and summarise it."""
    settings = _settings(factory_file=path)
    f = _load(settings)
    console.print(
        f"[green]ok[/green] {path}: {f.site_name}; {len(f.areas)} areas, {len(f.lines)} lines,"
        f" {len(f.devices)} devices, {f.sensor_count:,} sensors, {len(f.operators)} operators,"
        f" {len(f.styles)} styles, {len(f.orders)} orders; nominal {f.readings_per_s():,.0f} readings/s"
    )


@app.command("import")
def import_cmd(
    path: Annotated[
        Path, typer.Argument(help="events, orders, bundles: .jsonl or .csv (README, 'Importing history')")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check every row, report the bad ones, store nothing")
    ] = False,
    data_dir: DataDir = None,
    store: StoreUrl = None,
    factory_file: FactoryFile = None,
) -> None:
    """Import historical device events (scans, badges, inspections, downtime, ...), orders and bundles
    through ingest's checks."""
    from seamline.ingest.importer import check_file  # keep `--help` instant
    from seamline.timeutil import now_ms

    settings = _settings(data_dir=data_dir, store=store, factory_file=factory_file)
    f = _load(settings)
    if not path.is_file():
        err.print(f"[red]error:[/red] {escape(str(path))}: no such file")
        raise typer.Exit(2)
    try:
        report, messages = check_file(
            path,
            f,
            now_ms=now_ms(),
            progress=lambda n: err.print(f"  {n:,} rows checked"),
            check_order=_order_check(settings, f),
        )
    except (ValueError, UnicodeDecodeError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    for bad in report.bad[:200]:
        err.print(f"  line {bad.line}: {escape(bad.message)}", markup=True)
    if len(report.bad) > 200:
        err.print(f"  ... and {len(report.bad) - 200:,} more bad rows")
    kinds = ", ".join(f"{n:,} {t}" for t, n in report.by_type.most_common())
    _say(f"{path}: {report.rows:,} rows, {report.valid:,} valid ({kinds or 'none'}), {len(report.bad):,} bad")
    if dry_run:
        _say("dry run: nothing was stored")
        raise typer.Exit(1 if report.bad else 0)
    if not messages:
        raise typer.Exit(1 if report.bad else 0)
    stored, duplicates = _store_imported(settings, f, messages)
    _say(f"stored {stored:,} events ({duplicates:,} already stored) in {settings.store_spec}")
    raise typer.Exit(1 if report.bad else 0)


def _order_check(settings: Settings, factory: Factory) -> Callable[[dict[str, Any]], None]:
    """A check of the file's orders and bundles against the orders the store knows (of the factory
    file, earlier imports and the API) and the file's own before them. An event stored already (the
    same file imported again) passes: the store keeps it once."""
    import orjson

    from seamline.production.engine import stored_orders
    from seamline.production.orders import OrderBook, catalogue
    from seamline.store.select import store_for

    book = OrderBook(factory, catalogue(factory))
    seen: set[bytes] = set()
    stored = store_for(settings.store_spec, read_only=True)
    try:
        stored.open(factory)
    except SeamlineError as exc:
        if exc.reason != "no_store":  # a new store knows no order; one in use cannot be read
            err.print(f"note: orders made before are not checked against: {escape(exc.message)}")
    else:
        try:
            for e in stored_orders(stored):
                book.apply(e.type, e.ts_ms, e.data)
                seen.add(orjson.dumps({"type": e.type, **e.data}, option=orjson.OPT_SORT_KEYS))
        finally:
            stored.close()

    def check(event: dict[str, Any]) -> None:
        data = {k: v for k, v in event.items() if k != "ts"}
        if orjson.dumps(data, option=orjson.OPT_SORT_KEYS) in seen:
            return
        book.check(event["type"], event)
        book.apply(event["type"], event["ts"], event)

    return check


def _store_imported(settings: Settings, factory: Factory, messages: list[dict[str, Any]]) -> tuple[int, int]:
    """Through the platform's own writer: production records see the events on the next start."""
    from seamline.ingest.pipeline import Ingestor, Receipt
    from seamline.store.select import store_for

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    target = store_for(settings.store_spec)
    try:
        target.open(factory)
    except SeamlineError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(1) from None
    ingestor = Ingestor(factory, target)
    ingestor.start()
    receipts: list[Receipt] = []
    try:
        for i in range(0, len(messages), 5_000):
            chunk = messages[i : i + 5_000]
            ingestor.submit_many(
                chunk,
                transport="import",
                topic_devices=[None] * len(chunk),
                on_done=lambda r: receipts.append(r) if isinstance(r, Receipt) else None,
            )
        ingestor.flush()
    finally:
        ingestor.stop()
        target.close()
    return sum(r.accepted for r in receipts), sum(r.duplicates for r in receipts)


if __name__ == "__main__":
    app()
