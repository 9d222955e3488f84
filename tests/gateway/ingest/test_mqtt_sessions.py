"""MQTT sessions belong to logins (mosquitto's use_username_as_clientid), so no device can
take the gateway's persistent session, as the review did: a device connected with the client
id `selfdata-gateway` and a clean session, the broker wiped the gateway's session and the two
kept throwing each other off (40 messages PUBACKed to a phone, 20 stored).

A real mosquitto with the generated configuration, an in-process gateway.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time

from harness import Household, Mosquitto, free_port, make_config, require
from gateway import accounts
from gateway.accounts import broker
from gateway.service import Gateway
from gateway.store import Store
from helpers import Phone, count_fixes, location, wait_for
from webui.app import make_app


class Box:
    """A household (alice/phone, alice/tablet, bob/phone), its broker and its gateway."""

    def __init__(self, tmp_path):
        require("mosquitto")
        self.port = free_port()
        self.config = make_config(tmp_path / "data", mqtt_port=self.port)
        self.household = Household(self.config)
        self.secrets = dict(self.household.secrets)
        store = Store(self.config.db_path).open()
        with store.transaction() as conn:
            device, secret = accounts.add_device(conn, "alice", "tablet")
            self.secrets[device.username] = secret
            broker.sync_broker_files(self.config, conn)
        store.close()
        self.broker = Mosquitto(self.config, self.port).start()
        self.gw: Gateway | None = None

    async def start_gateway(self) -> Gateway:
        self.gw = Gateway(self.config, web_app=make_app)
        await self.gw.start()
        await wait_for(lambda: self.gw.mqtt.connected)
        return self.gw

    async def stop_gateway(self) -> None:
        await self.gw.stop()
        self.gw = None

    def phone(self, user: str, **kw) -> Phone:
        return Phone(self.port, user, self.secrets[user], **kw)

    def stored(self) -> int:
        return count_fixes(self.config.db_path)

    async def close(self) -> None:
        if self.gw is not None:
            await self.stop_gateway()
        self.broker.stop()


class Publisher(threading.Thread):
    """Phones sending QoS 1 locations at a steady pace; counts what the broker PUBACKed."""

    def __init__(self, box: Box, users: list[str], total: int, base: int):
        super().__init__(daemon=True)
        self.box, self.users, self.total, self.base = box, users, total, base
        self.acknowledged = 0

    def run(self):
        phones = {u: self.box.phone(u) for u in self.users}
        infos = []
        for i in range(self.total):
            user = self.users[i % len(self.users)]
            infos.append(phones[user].publish(f"owntracks/{user}", location(self.base + i)))
            time.sleep(0.005)
        for info in infos:
            info.wait_for_publish(30)
        self.acknowledged = sum(info.is_published() for info in infos)
        for phone in phones.values():
            phone.close()


async def test_a_device_cannot_take_the_gateways_session(tmp_path):
    box = Box(tmp_path)
    try:
        gw = await box.start_gateway()
        stream = Publisher(box, ["alice/phone", "bob/phone"], 400, int(time.time()) - 3600)
        stream.start()
        attacks = []
        while stream.is_alive() and len(attacks) < 20:
            # A device's own valid login, the gateway's client id, a clean session.
            thief = box.phone("alice/tablet", client_id=box.config.mqtt.username,
                              clean_session=True)
            attacks.append(thief.connected)
            await asyncio.sleep(0.05)
            thief.close()
        await asyncio.to_thread(stream.join, 60)
        # The gateway's own username with a guessed password is no way in either.
        guess = Phone(box.port, box.config.mqtt.username, "guess", client_id="x",
                      clean_session=True)
        guess.close()

        assert len(attacks) >= 5 and all(rc is not None and not rc.is_failure for rc in attacks), \
            f"the attack did not run: {attacks}"
        assert guess.connected is not None and guess.connected.is_failure
        assert stream.acknowledged == 400
        await wait_for(lambda: box.stored() == 400)
        assert gw.mqtt.counts["disconnects"] == 0, "the gateway was thrown off its session"

        # The session survives: what phones send while the gateway is away is kept for it.
        await box.stop_gateway()
        later = Publisher(box, ["bob/phone"], 30, int(time.time()) - 60)
        later.start()
        await asyncio.to_thread(later.join, 60)
        gw = await box.start_gateway()
        assert gw.mqtt.session_present is True
        await wait_for(lambda: box.stored() == 430)
    finally:
        await box.close()


async def test_two_devices_of_a_member_and_a_reconnecting_phone_keep_their_sessions(tmp_path):
    box = Box(tmp_path)
    try:
        await box.start_gateway()
        now = int(time.time())
        # Both apps configured with the same client id: the broker names each session after
        # its login, so neither throws the other off.
        phone = box.phone("alice/phone", client_id="alice")
        tablet = box.phone("alice/tablet", client_id="alice")
        phone.client.subscribe("owntracks/alice/+", qos=1)
        await asyncio.sleep(0.3)
        for i in range(5):
            phone.publish("owntracks/alice/phone", location(now - 100 + i))
            tablet.publish("owntracks/alice/tablet", location(now - 100 + i))
        await wait_for(lambda: box.stored() == 10)
        assert phone.client.is_connected() and tablet.client.is_connected()

        # The phone goes away; what its member's tablet sends meanwhile waits in its
        # session, found again when it comes back, even under another client id.
        await wait_for(lambda: len([t for t, _ in phone.received
                                    if t == "owntracks/alice/tablet"]) >= 5)
        phone.close()
        for i in range(3):
            tablet.publish("owntracks/alice/tablet", location(now - 50 + i))
        await wait_for(lambda: box.stored() == 13)
        back = box.phone("alice/phone", client_id="reinstalled-app")
        try:
            assert back.session_present is True
            away = {now - 50 + i for i in range(3)}
            await wait_for(lambda: away <= {json.loads(p)["tst"] for t, p in back.received
                                            if t == "owntracks/alice/tablet"})
        finally:
            back.close()
            tablet.close()
    finally:
        await box.close()
