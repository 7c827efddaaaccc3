#!/usr/bin/env python3
"""An independent HTTP/3 client for tests/http3_python.rs, written on aioquic's API.

Usage: h3_client.py HOST PORT CAFILE METHOD PATH [BODY_FILE] [METHOD PATH [BODY_FILE] ...]
where BODY_FILE is '-' for no body. Every request goes over one QUIC connection (ALPN h3,
server name localhost, trusting only CAFILE). Prints one JSON line per response:
{"status": 200, "body_hex": "...", "headers": {...}}. Exits non-zero on any failure.
"""

import asyncio
import json
import sys

from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated, QuicEvent


class H3Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._http = H3Connection(self._quic)
        self._waiting = {}  # stream id -> (future, response dict)

    def quic_event_received(self, event: QuicEvent) -> None:
        if isinstance(event, ConnectionTerminated):
            for fut, _ in self._waiting.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(f"connection closed: {event}"))
            return
        for ev in self._http.handle_event(event):
            entry = self._waiting.get(ev.stream_id)
            if entry is None:
                continue
            fut, resp = entry
            if isinstance(ev, HeadersReceived):
                for name, value in ev.headers:
                    if name == b":status":
                        resp["status"] = int(value)
                    else:
                        resp["headers"][name.decode()] = value.decode()
                ended = ev.stream_ended
            elif isinstance(ev, DataReceived):
                resp["body"] += ev.data
                ended = ev.stream_ended
            else:
                ended = False
            if ended and not fut.done():
                fut.set_result(resp)

    async def request(self, method: str, path: str, body: bytes | None) -> dict:
        stream_id = self._quic.get_next_available_stream_id()
        headers = [
            (b":method", method.encode()),
            (b":scheme", b"https"),
            (b":authority", b"localhost"),
            (b":path", path.encode()),
            (b"user-agent", b"aioquic-test"),
        ]
        if body is not None:
            headers.append((b"content-length", str(len(body)).encode()))
        self._http.send_headers(stream_id, headers, end_stream=body is None)
        if body is not None:
            self._http.send_data(stream_id, body, end_stream=True)
        fut = asyncio.get_running_loop().create_future()
        self._waiting[stream_id] = (fut, {"status": None, "headers": {}, "body": b""})
        self.transmit()
        return await asyncio.wait_for(fut, timeout=10)


async def main(argv: list[str]) -> None:
    host, port, cafile = argv[0], int(argv[1]), argv[2]
    rest = argv[3:]
    requests = []
    while rest:
        method, path = rest[0], rest[1]
        body = None
        if len(rest) > 2 and rest[2] not in ("GET", "POST", "PUT", "HEAD", "DELETE"):
            body = None if rest[2] == "-" else open(rest[2], "rb").read()
            rest = rest[3:]
        else:
            rest = rest[2:]
        requests.append((method, path, body))
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name="localhost")
    config.load_verify_locations(cafile)
    async with connect(host, port, configuration=config, create_protocol=H3Client) as client:
        for method, path, body in requests:
            resp = await client.request(method, path, body)
            print(
                json.dumps(
                    {
                        "status": resp["status"],
                        "headers": resp["headers"],
                        "body_hex": resp["body"].hex(),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1:]), timeout=20))
