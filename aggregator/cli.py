"""`selfdata-aggregator`: a thin command line over the aggregator's library."""
import argparse
import asyncio
import json
import logging
import os
import sys

from aggregator import enrol, publish
from aggregator.store import open_store
from aggregator.studies import ensure_standing_study, load_study_file

DSN_ENV = "SELFDATA_AGGREGATOR_DSN"


def _with_store(fn):
    async def run(args):
        store = await open_store(args.data_dir, args.dsn)
        try:
            await ensure_standing_study(store)
            return await fn(store, args)
        finally:
            await store.close()
    return lambda args: asyncio.run(run(args))


@_with_store
async def token_new(store, args):
    for token in await enrol.issue_tokens(store, args.count):
        print(token)


@_with_store
async def study_add(store, args):
    study = load_study_file(args.file)
    await store.put_study(study)
    print(f"study {study['id']} published: {', '.join(study['fields'])}; k={study['k']}")


@_with_store
async def study_list(store, args):
    print(json.dumps(list((await store.studies()).values()), ensure_ascii=False, indent=2))


@_with_store
async def key_revoke(store, args):
    if not await store.contributor(args.pseudonym):
        print(f"no contributor {args.pseudonym}", file=sys.stderr)
        return 1
    await store.revoke(args.pseudonym)
    print(f"revoked {args.pseudonym}")


@_with_store
async def publish_now(store, args):
    for outcome in await publish.publish_all(store, args.k, grace_days=args.grace_days):
        if args.month and outcome["month"] != args.month:
            continue
        print(f"{outcome['study']} {outcome['month']}: {outcome['reason']}"
              + (f" (release {outcome['released']})" if outcome["released"] else ""))


def serve(args):
    from aiohttp import web
    from aggregator.app import Settings, build_app
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.workers > 1:
        return serve_workers(args)
    settings = Settings(args.data_dir, args.dsn, args.k, args.publish_every, grace_days=args.grace_days)
    web.run_app(build_app(settings), host=args.host, port=args.port, access_log=None,
                reuse_port=args.reuse_port or None,
                print=lambda *_a: print(f"aggregator listening on http://{args.host}:{args.port}",
                                        flush=True))


def serve_workers(args) -> int:
    """N server processes sharing the port (SO_REUSEPORT), so intake uses every core. The
    key and the schema are made here first, so workers never race to create them; only the
    first worker runs the publication passes."""
    import signal
    import subprocess
    from aggregator.keys import load_or_create_key
    load_or_create_key(args.data_dir)
    _with_store(lambda store, a: asyncio.sleep(0))(args)
    base = [sys.executable, "-m", "aggregator.cli", "serve", "--data-dir", args.data_dir,
            "--host", args.host, "--port", str(args.port), "--k", str(args.k),
            "--grace-days", str(args.grace_days),
            "--workers", "1", "--reuse-port"] + (["--dsn", args.dsn] if args.dsn else [])
    children = [subprocess.Popen(base + ["--publish-every", str(args.publish_every if i == 0 else 0)])
                for i in range(args.workers)]

    def stop(*_a):
        for child in children:
            child.terminate()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return max(child.wait() for child in children)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="selfdata-aggregator",
                                description="The city's reference receiver for the city link.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", required=True, help="its key and, by default, its SQLite database")
    common.add_argument("--dsn", default=os.environ.get(DSN_ENV),
                        help=f"postgresql://... to store in PostgreSQL (or ${DSN_ENV})")
    sub = p.add_subparsers(dest="command", required=True)

    token = sub.add_parser("token", help="enrolment tokens").add_subparsers(dest="action", required=True)
    t = token.add_parser("new", parents=[common], help="issue one-time tokens, one a line")
    t.add_argument("--count", type=int, default=1)
    t.set_defaults(run=token_new)

    study = sub.add_parser("study", help="studies").add_subparsers(dest="action", required=True)
    s = study.add_parser("add", parents=[common], help="publish a study from a TOML file")
    s.add_argument("file")
    s.set_defaults(run=study_add)
    study.add_parser("list", parents=[common]).set_defaults(run=study_list)

    key = sub.add_parser("key", help="contributors' keys").add_subparsers(dest="action", required=True)
    r = key.add_parser("revoke", parents=[common], help="revoke a contributor's key")
    r.add_argument("pseudonym")
    r.set_defaults(run=key_revoke)

    pub = sub.add_parser("publish", parents=[common], help="run one publication pass now")
    pub.add_argument("--month")
    pub.add_argument("--k", type=int, default=publish.DEFAULT_K)
    pub.add_argument("--grace-days", type=int, default=publish.GRACE_DAYS,
                     help="days after a month ends before its first release")
    pub.set_defaults(run=publish_now)

    sv = sub.add_parser("serve", parents=[common], help="run intake, enrolment and publication")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8470)
    sv.add_argument("--k", type=int, default=publish.DEFAULT_K)
    sv.add_argument("--grace-days", type=int, default=publish.GRACE_DAYS,
                    help="days after a month ends before its first release")
    sv.add_argument("--publish-every", type=float, default=3600.0,
                    help="seconds between publication passes (0: only by `publish`)")
    sv.add_argument("--workers", type=int, default=1,
                    help="server processes sharing the port (PostgreSQL: one per core)")
    sv.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    sv.set_defaults(run=serve)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "count", 1) < 1:
        print("--count must be at least 1", file=sys.stderr)
        return 2
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
