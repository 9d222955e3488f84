"""An MQTT subscriber that acknowledges a message only after its handler finished.

paho-mqtt 2.x runs the network loop in its own thread; messages are handed to the asyncio
loop in batches (what paho read since the loop last looked, up to ``BATCH``) and their
PUBACKs are sent (``manual_ack``) once the handler's coroutine has returned, that is after
the gateway committed them. With a fixed client id and a persistent
session (clean_session false) the broker keeps what arrives while the gateway is down and
redelivers whatever was not acknowledged.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import socket
import struct
import time
from collections import Counter
from typing import Awaitable, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

log = logging.getLogger(__name__)

# Handed a batch of (topic, payload), returns once they are committed: for each message
# whether it was handled (only those are acknowledged).
Handler = Callable[[list[tuple[str, bytes]]], Awaitable[list[bool]]]

# Messages handed to the handler at once, at most: one task, one trip to the writer and one
# write of PUBACKs for all of them.
BATCH = 1000
_PUBACK = struct.Struct("!BBH")


class _ReadAhead:
    """The broker's socket, read 64 KiB at a time.

    paho reads a packet a few bytes at a time (a ``recv`` for its first byte, one per
    length byte, one for the rest): four system calls per message, each one handing the
    GIL to the event loop's thread and waiting to get it back, which in a burst cost more
    than the message itself. Here one ``recv`` serves hundreds of messages, and
    ``pending()`` (which paho asks of a TLS socket too) says there is more to read without
    waiting in ``select``. Everything else is the socket's own."""

    def __init__(self, sock):
        self._sock = sock
        self._buffer = memoryview(b"")

    def recv(self, size: int) -> bytes:
        if not self._buffer:
            data = self._sock.recv(max(size, 65536))
            if len(data) <= size:
                return data
            self._buffer = memoryview(data)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out.tobytes()

    def buffered(self) -> int:
        return len(self._buffer)

    def pending(self) -> int:
        inner = getattr(self._sock, "pending", None)
        return len(self._buffer) + (inner() if inner is not None else 0)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _Client(mqtt.Client):
    """paho's client on a ``_ReadAhead`` socket, reading every packet already received
    before it goes back to ``select``."""

    # Set by the subscriber: true while the gateway holds as many messages as it should.
    busy = staticmethod(lambda: False)
    # Set by the subscriber: called in paho's thread with (topic bytes, payload, mid, qos)
    # for each QoS 0 or 1 PUBLISH. None: paho's own path (an MQTTMessage, on_message).
    deliver = None

    def _handle_publish(self):
        """A PUBLISH as four values instead of paho's MQTTMessage, which builds a
        ``threading.Condition`` for every message, formats a debug line and matches the
        topic against per-topic callbacks under two locks: paho's processor time for a
        message went from 32-36 us to 16 us (PUBACKs batched in both). Left to paho: QoS 2,
        MQTT 5, and what it must judge malformed."""
        deliver, header = self.deliver, self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if deliver is None or qos > 1 or not self._manual_ack or self._protocol == mqtt.MQTTv5:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        end = 2 + int.from_bytes(packet[:2], "big")     # the topic's length, then the topic
        start = end + 2 if qos else end                  # then the message id (QoS 1)
        if end == 2 or len(packet) < start:
            return super()._handle_publish()
        deliver(bytes(packet[2:end]), bytes(packet[start:]),
                int.from_bytes(packet[end:start], "big") if qos else 0, qos)
        return mqtt.MQTT_ERR_SUCCESS

    def _create_socket(self):
        return _ReadAhead(super()._create_socket())

    def loop_read(self, max_packets: int = 1):
        # Not reading leaves the rest with the broker (which keeps them in its queue):
        # without it a burst was held whole, 45,000 messages, 300 MB at the peak.
        while self.busy():
            time.sleep(0.005)
        rc = super().loop_read(max_packets)
        # The buffer rarely ends on a packet's end, and a packet cut in two refills it: the
        # room is asked again before each packet, or this loop would read on (17,000
        # messages held in a 30,000 backlog). What stays buffered is read next time round
        # (``pending()`` keeps paho from waiting in ``select`` for it).
        while rc == mqtt.MQTT_ERR_SUCCESS and isinstance(self._sock, _ReadAhead) \
                and self._sock.buffered() and not self.busy():
            rc = super().loop_read(1)
        return rc

    def ack_many(self, mids: list[int]) -> None:
        """PUBACK for each QoS 1 message in ``mids``, queued as one packet: ``ack()`` queues
        one per message, and wakes paho's thread for each (a write on its socket pair, a
        GIL hand-over), which cost the event loop more than anything else in a burst."""
        if mids:
            self._packet_queue(mqtt.PUBACK, b"".join([_PUBACK.pack(mqtt.PUBACK, 2, mid)
                                                      for mid in mids]), 0, 0)


class MqttSubscriber:
    def __init__(self, host: str, port: int, *, client_id: str, username: str, password: str,
                 topics: list[str], handler: Handler, keepalive: int = 60,
                 retry_seconds: float = 5.0, qos: int = 1, max_held: int = 5000):
        self.host, self.port = host, port
        self.topics = topics
        self.qos = qos
        self.handler = handler
        self.keepalive = keepalive
        self.counts: Counter = Counter()
        self.connected = False
        self.session_present: bool | None = None  # what the broker said at the last connect
        self.last_error: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: collections.deque = collections.deque()  # paho thread -> event loop
        self._wake_pending = False
        self._tasks: set[asyncio.Task] = set()
        self.max_held = max_held   # messages received and not yet handled, at most
        # Received (written by paho's thread only) and finished (by the loop only): what is
        # held is their difference, with no lock between the two threads.
        self._received = 0
        self._finished = 0
        c = _Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                    protocol=mqtt.MQTTv311, manual_ack=True)
        c.username_pw_set(username, password)
        c.reconnect_delay_set(min_delay=1, max_delay=max(1, int(retry_seconds * 6)))
        # Our acknowledgements wait for a commit: let many messages be in flight meanwhile.
        c.max_inflight_messages_set(1000)
        c.max_queued_messages_set(0)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.deliver = self._deliver
        self._stopping = False
        c.busy = lambda: not self._stopping and self.held() >= self.max_held
        self.client = c

    def held(self) -> int:
        """Messages received and not yet handled (committed, or found not storable)."""
        return self._received - self._finished

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        # connect_async + loop_start: paho keeps retrying in its thread until the broker
        # answers, so an absent broker never blocks the rest of the gateway.
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()

    async def stop(self) -> None:
        self.connected = False  # so the disconnect below is not reported as a loss
        self._stopping = True   # paho's thread no longer waits for room
        self.client.disconnect()
        await asyncio.get_running_loop().run_in_executor(None, self.client.loop_stop)
        self.connected = False

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int = 1):
        return self.client.publish(topic, payload, qos=qos, retain=retain)

    # ----- paho callbacks (network thread)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self.last_error = f"broker refused the connection: {reason_code}"
            log.warning("mqtt: %s", self.last_error)
            return
        self.connected = True
        self.session_present = flags.session_present
        self.last_error = None
        log.info("mqtt: connected to %s:%d (session present: %s)", self.host, self.port,
                 flags.session_present)
        client.subscribe([(t, self.qos) for t in self.topics])

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        if self.connected:
            self.counts["disconnects"] += 1
            log.warning("mqtt: disconnected from %s:%d (%s); reconnecting", self.host,
                        self.port, reason_code)
        self.connected = False
        self.last_error = f"disconnected: {reason_code}"

    def _on_message(self, client, userdata, msg):
        # paho's own path (``_Client.deliver`` takes the others)
        self._deliver(msg.topic, msg.payload, msg.mid, msg.qos)

    def _deliver(self, topic: bytes | str, payload: bytes, mid: int, qos: int) -> None:
        # Queue the message and wake the event loop once per burst, not once per message:
        # each wake-up is a syscall and a GIL hand-over between paho's thread and the loop,
        # which capped a backlog drain at ~3,500 messages/s.
        self.counts["received"] += 1
        self._received += 1
        self._inbox.append((topic, payload, mid, qos))
        if not self._wake_pending:
            self._wake_pending = True
            self._loop.call_soon_threadsafe(self._drain_inbox)

    # ----- event loop side

    def _drain_inbox(self) -> None:
        self._wake_pending = False  # first: a message queued from now on wakes us again
        inbox = self._inbox
        while inbox:
            batch = [inbox.popleft() for _ in range(min(len(inbox), BATCH))]
            task = self._loop.create_task(self._handle(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, batch: list) -> None:
        # The broker checks that a topic is UTF-8 (MQTT 3.1.1, 1.5.3): one that is not
        # still reaches the router, which refuses it as no device's.
        messages = [(topic if topic.__class__ is str else topic.decode("utf-8", "replace"),
                     payload) for topic, payload, _, _ in batch]
        try:
            handled = await self.handler(messages)
        except Exception as exc:  # not committed: nothing of the batch is acknowledged
            self._finished += len(batch)
            self._not_stored(messages[0][0], len(batch), exc)
            return
        # Committed: now the broker may forget them.
        acked = [(mid, qos) for (_, _, mid, qos), ok in zip(batch, handled) if ok and qos]
        self.client.ack_many([mid for mid, qos in acked if qos == 1])
        for mid, qos in acked:
            if qos == 2:   # none at a QoS 1 subscription; PUBCOMP through paho if one comes
                self.client.ack(mid, qos)
        self._finished += len(batch)
        if not all(handled):
            self._not_stored(messages[handled.index(False)][0], handled.count(False),
                             "not handled")

    def _not_stored(self, topic: str, count: int, why) -> None:
        # Not committed: no PUBACK. Reconnecting makes the broker send it again.
        self.counts["handler_errors"] += count
        log.error("mqtt: %d message(s) (the first on %s) not stored (%s); reconnecting for "
                  "redelivery", count, topic, why)
        sock = self.client.socket()
        if sock is not None:
            # Dropping the socket (not disconnect(), which paho takes as final) makes the
            # network thread reconnect on its own.
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
