"""The subscriber reads the broker's socket ahead: paho's small reads are served from one
``recv``, in order, across packet boundaries, and ``pending()`` says what is left."""
from __future__ import annotations

import socket

from receivers.mqtt import _ReadAhead


def test_small_reads_come_from_one_recv_in_order():
    a, b = socket.socketpair()
    try:
        data = bytes(range(256)) * 40   # 10 KiB: many of paho's reads
        a.sendall(data)
        reader = _ReadAhead(b)
        got = [reader.recv(1), reader.recv(1), reader.recv(300)]
        assert reader.pending() == len(data) - 302      # the rest is already here
        while reader.pending():
            got.append(reader.recv(7))
        assert b"".join(got) == data
        b.setblocking(False)
        try:
            reader.recv(1)
            raise AssertionError("nothing was left to read")
        except BlockingIOError:
            pass   # what paho expects of an empty non-blocking socket
        a.close()
        b.setblocking(True)
        assert reader.recv(1) == b""   # the broker closed: paho sees the connection lost
        assert reader.fileno() == b.fileno()   # select() and the rest: the socket's own
    finally:
        a.close()
        b.close()
