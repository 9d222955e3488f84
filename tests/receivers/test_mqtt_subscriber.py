"""The MQTT subscriber against a real mosquitto: a burst is handed over in batches, at most
``max_held`` messages are held at once, each is acknowledged once handled and only then, and
what the handler did not handle comes again."""
from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

from gateway.accounts import broker
from helpers import Phone, location, wait_for
from receivers.mqtt import BATCH, MqttSubscriber

USER = "alice/phone"


def _subscriber(household, handler, **options) -> MqttSubscriber:
    cfg = household.config
    return MqttSubscriber(cfg.mqtt.host, cfg.mqtt.port, client_id=cfg.mqtt.username,
                          username=cfg.mqtt.username, password=broker.gateway_password(cfg),
                          topics=["owntracks/#"], handler=handler, retry_seconds=0.5,
                          **options)


async def _session(household) -> None:
    """The subscriber's persistent session exists: what phones send next is queued for it."""
    sub = _subscriber(household, _handle_all([]))
    await sub.start()
    await wait_for(lambda: sub.connected)
    await asyncio.sleep(0.3)   # the subscription is in place
    await sub.stop()


def _publish(household, count: int, first_ts: int) -> None:
    phone = Phone(household.config.mqtt.port, USER, household.secrets[USER])
    try:
        infos = [phone.publish(f"owntracks/{USER}", location(first_ts + i)) for i in range(count)]
        for info in infos:
            info.wait_for_publish(30)
    finally:
        phone.close()


def _count_connections(sub: MqttSubscriber) -> tuple[list[int], dict[int, int]]:
    """Number the subscriber's connections and note which one each message first came on."""
    connection, first_seen_on = [0], {}
    on_connect, deliver = sub.client.on_connect, sub.client.deliver

    def counted_connect(*args):
        connection[0] += 1
        on_connect(*args)

    def noted_deliver(topic, payload, mid, qos):
        first_seen_on.setdefault(json.loads(payload)["tst"], connection[0])
        deliver(topic, payload, mid, qos)

    sub.client.on_connect, sub.client.deliver = counted_connect, noted_deliver
    return connection, first_seen_on


def _handle_all(seen: list, held_at: list | None = None, sub_box: list | None = None):
    async def handler(messages):
        if held_at is not None:
            held_at.append(sub_box[0].held())
        seen.append([json.loads(payload)["tst"] for _, payload in messages])
        await asyncio.sleep(0.01)   # a commit takes a while: the broker's socket fills meanwhile
        return [True] * len(messages)
    return handler


async def _nothing_comes_again(household) -> None:
    again: list = []
    sub = _subscriber(household, _handle_all(again))
    await sub.start()
    try:
        await wait_for(lambda: sub.connected)
        await asyncio.sleep(1.0)
    finally:
        await sub.stop()
    assert again == [], "the broker sent again what was acknowledged"


async def test_a_backlog_comes_in_batches_within_the_bound_and_is_acknowledged_once(
        mqtt_household):
    await _session(mqtt_household)
    first = int(time.time()) - 86400
    _publish(mqtt_household, 3000, first)
    seen, held_at, box = [], [], []
    sub = _subscriber(mqtt_household, _handle_all(seen, held_at, box), max_held=400)
    box.append(sub)
    await sub.start()
    try:
        await wait_for(lambda: sum(map(len, seen)) >= 3000, timeout=60)
        await asyncio.sleep(0.3)
    finally:
        await sub.stop()
    received = [ts for batch in seen for ts in batch]
    assert sorted(received) == list(range(first, first + 3000))   # each once
    assert len(seen) < 3000 / 5, f"{len(seen)} handler calls: messages not batched"
    assert max(map(len, seen)) <= BATCH
    assert max(held_at) <= 401, f"{max(held_at)} messages held at once"
    assert sub.held() == 0 and sub.counts["handler_errors"] == 0
    await _nothing_comes_again(mqtt_household)


async def test_what_the_handler_did_not_handle_is_sent_again_and_only_that(mqtt_household):
    await _session(mqtt_household)
    first = int(time.time()) - 86400
    _publish(mqtt_household, 50, first)
    handled: list[int] = []
    refused_once: set[int] = set()
    calls = {"raised": False}

    async def handler(messages):
        stamps = [json.loads(payload)["tst"] for _, payload in messages]
        if not calls["raised"]:   # the first batch fails whole: say, the commit failed
            calls["raised"] = True
            raise RuntimeError("database is locked")
        out = []
        for ts in stamps:
            if ts < first + 50 and ts % 7 == 0 and ts not in refused_once:   # a fault, once
                refused_once.add(ts)
                out.append(False)
            else:
                handled.append(ts)
                out.append(True)
        return out

    sub = _subscriber(mqtt_household, handler)
    connection, first_seen_on = _count_connections(sub)
    await sub.start()
    try:
        await wait_for(lambda: set(handled) >= set(range(first, first + 50)), timeout=60)
        await asyncio.sleep(0.5)
        recovered_on = connection[0]
        # Once recovered, what phones send next is handled and acknowledged once.
        await asyncio.get_running_loop().run_in_executor(
            None, _publish, mqtt_household, 20, first + 50)
        await wait_for(lambda: set(handled) >= set(range(first, first + 70)), timeout=60)
        await asyncio.sleep(0.5)
    finally:
        await sub.stop()
    assert refused_once, "no message was refused once"
    assert sub.counts["handler_errors"] >= 1 + len(refused_once)
    assert recovered_on >= 2, "no reconnection for the refused messages"
    assert set(handled) == set(range(first, first + 70))
    # At least once, never needlessly twice: what came on the connection nothing cut was
    # handled once, and no reconnection followed (a message of the cut connections may come
    # twice: its PUBACK could be queued behind the cut).
    counts = Counter(handled)
    assert [ts for ts in range(first + 50, first + 70) if counts[ts] != 1] == []
    assert {first_seen_on[ts] for ts in range(first + 50, first + 70)} == {recovered_on}
    assert connection[0] == recovered_on
    await _nothing_comes_again(mqtt_household)
