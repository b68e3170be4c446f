#!/usr/bin/env python3
"""N WebSocket clients connect to /living-map/stream at once; prints, over all of them, the time
from the burst's start to each client's first byte and to the end of its first (snapshot) message.

Usage: bench/ws_burst.py host port clients [deflate] [hold-seconds]

A raw client on plain sockets, on purpose: it only parses frame headers, so on a 2-core machine
shared with the service it measures the server, not itself. The Vert.x client measured before
(ConnectBurst) spent 0.7-0.8 s on a single 8.9 MB snapshot in a cold JVM that decoded every frame,
against 0.3 s here (2026-12-06). Like a browser, every client keeps reading after its snapshot
(a client that stops reading is a slow consumer and gets resynchronised); with hold-seconds > 0
the clients stay connected that long after the last snapshot and the live rate they got is
printed with the number of sockets the server closed. With deflate the clients offer
permessage-deflate as browsers do. Client 0 keeps its first message whole and checks it: inflated
when compressed (one inflater, as a browser keeps one per connection), it must be the snapshot.
"""
import base64
import json
import os
import selectors
import socket
import sys
import time
import zlib

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deflate = len(sys.argv) > 4 and sys.argv[4] == "true"
hold = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0


class Client:
    def __init__(self, i):
        self.i = i
        self.buf = bytearray()
        self.upgraded = False
        self.first = None  # seconds to the first byte
        self.done = None  # seconds to the end of the first message (-1: closed before)
        self.size = 0
        self.skip = 0  # payload bytes of the current frame still to read
        self.fin = False
        self.rsv1 = False
        self.keep = i == 0
        self.message = bytearray()
        self.extensions = ""


sel = selectors.DefaultSelector()
start = time.monotonic()
clients = []
for i in range(n):
    s = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if deflate else ""
    s.sendall(
        (
            "GET /living-map/stream HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
            % (host, port, key, ext)
        ).encode()
    )
    s.setblocking(False)
    c = Client(i)
    clients.append(c)
    sel.register(s, selectors.EVENT_READ, (s, c))

left = n
last_done = None
live_bytes = 0
closed_after = 0


def first_message_done(c, now):
    global left
    c.done = now
    left -= 1
    c.buf = bytearray()


while True:
    if not left:
        if last_done is None:
            last_done = time.monotonic()
        if time.monotonic() - last_done >= hold:
            break
    events = sel.select(1.0)
    if not events and time.monotonic() - start > 120:
        break
    for key, _ in events:
        s, c = key.data
        try:
            d = s.recv(1 << 20)
        except ConnectionError:
            d = b""
        now = time.monotonic() - start
        if not d:
            sel.unregister(s)
            if c.done is None:
                c.done = -1
                left -= 1
            else:
                closed_after += 1
            continue
        if c.first is None:
            c.first = now
        if c.done is not None:
            if last_done is not None:
                live_bytes += len(d)
            continue
        c.buf += d
        if not c.upgraded:
            k = c.buf.find(b"\r\n\r\n")
            if k < 0:
                continue
            head = c.buf[:k].decode("latin-1").lower()
            if " 101 " not in head.split("\r\n")[0]:
                raise SystemExit("client %d: upgrade refused: %s" % (c.i, head.split("\r\n")[0]))
            c.extensions = "permessage-deflate" if "permessage-deflate" in head else ""
            c.upgraded = True
            del c.buf[: k + 4]
        while c.done is None:
            if c.skip:
                take = min(c.skip, len(c.buf))
                if c.keep:
                    c.message += c.buf[:take]
                del c.buf[:take]
                c.skip -= take
                if c.skip:
                    break
                if c.fin:
                    first_message_done(c, now)
                continue
            if len(c.buf) < 2:
                break
            b0, b1 = c.buf[0], c.buf[1]
            ln, off = b1 & 0x7F, 2
            if ln == 126:
                if len(c.buf) < 4:
                    break
                ln, off = int.from_bytes(c.buf[2:4], "big"), 4
            elif ln == 127:
                if len(c.buf) < 10:
                    break
                ln, off = int.from_bytes(c.buf[2:10], "big"), 10
            if (b0 & 0x0F) >= 8:  # a control frame (ping) inside: skip it, not the message's
                if len(c.buf) < off + ln:
                    break
                del c.buf[: off + ln]
                continue
            if (b0 & 0x0F) != 0:
                c.rsv1 = bool(b0 & 0x40)
            c.fin = bool(b0 & 0x80)
            del c.buf[:off]
            c.size += ln
            c.skip = ln
            if ln == 0 and c.fin:
                first_message_done(c, now)

done = sorted(c.done if c.done is not None else -1 for c in clients)
firsts = sorted(c.first if c.first is not None else -1 for c in clients)
failed = sum(1 for c in clients if c.done is None or c.done < 0)
c0 = clients[0]
check = "not checked"
if c0.done is not None and c0.done >= 0:
    body = bytes(c0.message)
    if c0.rsv1:
        body = zlib.decompressobj(-15).decompress(body + b"\x00\x00\xff\xff")
    first = json.loads(body)
    check = "client 0: %s seq %s, %d bytes%s" % (
        first.get("kind"),
        first.get("seq"),
        len(body),
        " (inflated from %d)" % len(c0.message) if c0.rsv1 else "",
    )
    if first.get("kind") != "snapshot":
        raise SystemExit("client 0's first message is not the snapshot: " + check)
print(
    "connect burst: clients=%d deflate=%s negotiated=%d with_snapshot=%d failed=%d"
    " first_byte_p50=%.0fms first_byte_max=%.0fms p50=%.0fms p90=%.0fms max=%.0fms"
    " message_bytes=%d; %s"
    % (
        n,
        deflate,
        sum(1 for c in clients if c.extensions),
        n - failed,
        failed,
        firsts[n // 2] * 1000,
        firsts[-1] * 1000,
        done[n // 2] * 1000,
        done[int(n * 0.9)] * 1000,
        done[-1] * 1000,
        max(c.size for c in clients),
        check,
    )
)
if hold:
    print(
        "held %.0fs after the last snapshot: %.1f MB/s received in all, %d sockets closed by the server"
        % (hold, live_bytes / hold / 1e6, closed_after)
    )
