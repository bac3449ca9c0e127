"""What the send gate (storage.send_gate) costs a provider request: CPU per small POST on a
keep-alive loopback connection, through the outgoing client without the gate's request
class, with it (every provider request pays this), and with it inside an open gate whose
mark does nothing (a submission; the real mark is a database commit, measured by the
engine's benchmarks).

    PYTHONPATH=$PWD/src:$PWD python bench/bench_send_gate.py [requests]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx

from reelforge.providers.http import send
from reelforge.storage.http_client import outgoing_client
from reelforge.storage.send_gate import SendGate, gated

BODY = b'{"request_id":"r"}'
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


class Answering(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if data.endswith(b"}"):  # the JSON body's end: one request each (sequential)
            self.transport.write(ANSWER)


async def measure(url: str, requests: int, *, gated_client: bool, gate: bool) -> float:
    client = outgoing_client(
        timeout=httpx.Timeout(5.0), trust_env=False, send_gate_on_wire=gated_client
    )

    async def noop() -> bool:
        return True

    try:
        await send(client, "bench", "POST", url, json={"warm": 1})
        cpu = time.process_time()
        for i in range(requests):
            if gate:
                with gated(SendGate(noop)):
                    await send(client, "bench", "POST", url, json={"prompt": "p", "i": i})
            else:
                await send(client, "bench", "POST", url, json={"prompt": "p", "i": i})
        return (time.process_time() - cpu) / requests * 1e6
    finally:
        await client.aclose()


async def main(requests: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Answering, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/submit"
    figures: dict[str, float] = {}
    try:
        for _round in range(3):  # best of three: the machine is shared
            for name, gated_client, gate in (
                ("plain", False, False),
                ("gated_client", True, False),
                ("in_open_gate", True, True),
            ):
                value = await measure(url, requests, gated_client=gated_client, gate=gate)
                figures[name] = min(figures.get(name, value), value)
    finally:
        server.close()
    print(
        f"CPU per POST (server in-process, best of 3 x {requests}): "
        f"plain client {figures['plain']:.0f} us, gated client {figures['gated_client']:.0f} us, "
        f"inside an open gate {figures['in_open_gate']:.0f} us"
    )
    print(json.dumps({"bench": "send_gate", "cpu_us_per_post": figures}, indent=2))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
