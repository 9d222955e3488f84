"""`selfdata device add|list|remove`: phones and dongles, with what a phone needs to connect."""
from __future__ import annotations

from ... import accounts
from ...accounts.broker import sync_broker_files
from ...accounts.provisioning import phone_setup
from ...queries.devices import device_list
from ..context import print_json


def register(sub, common):
    p = sub.add_parser("device", help="a member's phones and GPS dongles")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    a = dsub.add_parser("add", parents=[common],
                        help="add a device and print everything its phone needs")
    a.add_argument("member")
    a.add_argument("device")
    a.add_argument("--encryption-key", metavar="KEY",
                   help="OwnTracks payload encryption passphrase (ASCII, up to 32 characters)")
    a.add_argument("--mode", choices=("mqtt", "http"), default="mqtt",
                   help="the OwnTracks connection mode to configure (default: mqtt)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=add)

    ls = dsub.add_parser("list", parents=[common], help="list devices")
    ls.add_argument("member", nargs="?")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_)

    rm = dsub.add_parser("remove", parents=[common], help="remove a device and its data")
    rm.add_argument("member")
    rm.add_argument("device")
    rm.set_defaults(func=remove)


def add(args, ctx):
    key = args.encryption_key
    if key is not None and (len(key.encode()) > 32 or not key.isascii()):
        print("selfdata: the encryption key must be ASCII and at most 32 characters "
              "(OwnTracks cuts longer keys differently on Android and iOS)")
        return 1
    with ctx.store.transaction() as conn:
        device, secret = accounts.add_device(conn, args.member, args.device, encryption_key=key)
    _sync_broker(ctx)
    setup = phone_setup(ctx.config, device, secret, mode=args.mode)
    if args.json:
        print_json(setup)
        return 0
    c = setup["connection"]
    print(f"device {device.username} added. Give the phone these settings (shown only once):")
    print(f"  MQTT   host {c['mqtt_host']}  port {c['mqtt_port']}  topic {c['topic']}")
    print(f"  HTTP   {c['http_url']}")
    print(f"  user   {c['username']}")
    print(f"  pass   {c['password']}")
    print(f"  device {device.name}   tid {device.tid}")
    if key:
        print(f"  encryption key {key}")
    print("OwnTracks configuration (Settings › Configuration management › import, or the link):")
    print_json(setup["owntracks"])
    print(setup["owntracks_link"])
    return 0


def list_(args, ctx):
    out = device_list(ctx.store.conn, args.member)
    if args.json:
        print_json(out)
        return 0
    for d in out:
        seen = "never seen" if d["last_seen_ts"] is None else f"{d['fixes']} fixes"
        print(f"{d['username']:<30} tid {d['tid']}  {seen}{'  encrypted' if d['encrypted'] else ''}")
    if not out:
        print("no devices yet: selfdata device add MEMBER DEVICE")
    return 0


def remove(args, ctx):
    with ctx.store.transaction() as conn:
        device = accounts.remove_device(conn, args.member, args.device)
    _sync_broker(ctx)
    print(f"device {device.username} removed with its data")
    return 0


def _sync_broker(ctx):
    sync_broker_files(ctx.config, ctx.store.conn, reload=True)
