#!/usr/bin/env python3
"""One end of a pipe-bench session, built on the real aea.helpers.pipe classes.

pipe-bench (bench/src) starts this script twice, as the channel and as the
client, the way it starts itself for the Rust implementations, and reads the
same line protocol on stdout:

    READY <in_path> <out_path>   channel: one per pipe, once the rendezvous is live
    READY_DONE                   channel: all pipes announced
    RESULT <i> tput <frames> <bytes> <ns>
    RESULT <i> rtt <median_ns> <p99_ns>
    RESULT <i> idle <rss_before_kib> <rss_after_kib> <pipes>
    PEAK_RSS <kib>               both, at the end

Usage:
    aea_bench.py --role channel|client --transport fifo|tcp --plan PLAN
                 [--peer IN_PATH OUT_PATH]...

PLAN is a comma-separated list of runs (see bench/src/plan.rs):
    single:FRAMES:SIZE:LIMIT_MS   the client writes FRAMES frames, one write() each
    large:FRAMES:SIZE:LIMIT_MS    the same, for large frames (TCP only: the AEA's
                                  FIFO write() loses frames of 64 KiB or more)
    rtt:ROUNDS:SIZE:LIMIT_MS      the channel pings, the client echoes
    idle:PIPES                    PIPES idle open pipes; the channel reports memory
A run stops early once LIMIT_MS milliseconds have passed (0: no limit).

A throughput run starts when the channel sends a "go" frame and ends when the
frame whose byte 0 is 1 has arrived; the channel times it on its own clock.

The AEA FIFO write() is a bare os.write() on a non-blocking descriptor: when the
pipe is full it raises BlockingIOError, having written nothing for frames under
PIPE_BUF (4 KiB) bytes, which Linux writes atomically. This script then waits
until the descriptor is writable and calls write() again; an application
streaming through the AEA FIFO has to do the same. Nothing else is added to the
AEA classes.
"""
import argparse
import asyncio
import logging
import sys
import time
from typing import List, Optional, Tuple

try:
    from aea.helpers.pipe import (
        PosixNamedPipeChannel,
        PosixNamedPipeChannelClient,
        TCPSocketChannel,
        TCPSocketChannelClient,
    )
except ImportError as _error:  # pragma: no cover
    sys.stderr.write("ERROR cannot import aea.helpers.pipe ({}): use the venv of tests/python/setup_venv.sh\n".format(_error))
    sys.exit(1)

DATA = 0
LAST = 1
CONNECT_TIMEOUT = 20.0
# The FIFO channel retries its connect every timeout/10 seconds.
FIFO_CHANNEL_TIMEOUT = 5.0
IDLE_WAIT = 0.3
PIPE_BUF = 4096


class BenchError(Exception):
    """The session went wrong."""


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def payload(size: int, flag: int) -> bytes:
    buf = bytearray(size)
    buf[0] = flag
    return bytes(buf)


def parse_plan(text: str) -> List[Tuple]:
    runs = []
    for part in filter(None, text.split(",")):
        kind, *nums = part.split(":")
        runs.append((kind, *map(int, nums)))
    return runs


class End:
    """One AEA pipe end, with a write() that survives a full FIFO."""

    def __init__(self, pipe, transport: str) -> None:
        self.pipe = pipe
        self.fifo = transport == "fifo"

    async def write(self, data: bytes) -> None:
        while True:
            try:
                await self.pipe.write(data)
                return
            except BlockingIOError:
                if not self.fifo or len(data) + 4 > PIPE_BUF:
                    raise
                await self._writable()

    async def _writable(self) -> None:
        loop = asyncio.get_event_loop()
        fd = self.pipe._pipe._out  # pylint: disable=protected-access
        ready = loop.create_future()
        loop.add_writer(fd, lambda: ready.done() or ready.set_result(None))
        try:
            await ready
        finally:
            loop.remove_writer(fd)

    async def read(self) -> Optional[bytes]:
        return await self.pipe.read()

    async def close(self) -> None:
        await self.pipe.close()


async def open_channel(transport: str):
    """A channel whose rendezvous is live, and its connect() task."""
    if transport == "fifo":
        pipe = PosixNamedPipeChannel()
        task = asyncio.ensure_future(pipe.connect(FIFO_CHANNEL_TIMEOUT))
        await asyncio.sleep(0)  # the first attempt opens the read end
    else:
        pipe = TCPSocketChannel()
        task = asyncio.ensure_future(pipe.connect(CONNECT_TIMEOUT))
        # The port is picked in __init__ but only listened on once connect() runs.
        while pipe._server is None and not task.done():  # pylint: disable=protected-access
            await asyncio.sleep(0.001)
    return pipe, task


async def connected(task) -> None:
    if not await task:
        raise BenchError("connect() returned False")


def open_client(transport: str, in_path: str, out_path: str):
    if transport == "fifo":
        return PosixNamedPipeChannelClient(in_path, out_path)
    return TCPSocketChannelClient(in_path, out_path)


async def receive_run(end: End) -> str:
    """Sends the go frame and receives the run."""
    frames = 0
    nbytes = 0
    started = time.perf_counter_ns()
    await end.write(b"go")
    while True:
        frame = await end.read()
        if frame is None:
            raise BenchError("the peer closed in the middle of a run")
        frames += 1
        nbytes += len(frame)
        if frame[0] == LAST:
            break
    nanos = max(1, time.perf_counter_ns() - started)
    return "tput {} {} {}".format(frames, nbytes, nanos)


async def send_run(end: End, frames: int, size: int, limit_ms: int) -> None:
    normal = payload(size, DATA)
    last = payload(size, LAST)
    deadline = time.perf_counter_ns() + limit_ms * 1_000_000 if limit_ms else None
    for sent in range(frames):
        if sent + 1 == frames or (deadline and sent % 64 == 0 and time.perf_counter_ns() >= deadline):
            await end.write(last)
            return
        await end.write(normal)


async def ping_pong(end: End, rounds: int, size: int, limit_ms: int) -> str:
    ping = payload(size, DATA)
    samples = []
    started = time.perf_counter_ns()
    for round_ in range(rounds):
        t = time.perf_counter_ns()
        await end.write(ping)
        if await end.read() is None:
            raise BenchError("the peer closed in the middle of a ping-pong")
        samples.append(time.perf_counter_ns() - t)
        if limit_ms and round_ % 64 == 63 and time.perf_counter_ns() - started >= limit_ms * 1_000_000:
            break
    await end.write(payload(size, LAST))
    samples.sort()

    def at(q: float) -> int:
        return samples[int((len(samples) - 1) * q + 0.5)]

    return "rtt {} {}".format(at(0.5), at(0.99))


async def channel(transport: str, plan: List[Tuple]) -> None:
    if plan and plan[0][0] == "idle":
        await idle_channel(transport, plan[0][1])
        return
    pipe, task = await open_channel(transport)
    emit("READY {} {}".format(pipe.in_path, pipe.out_path))
    emit("READY_DONE")
    await connected(task)
    end = End(pipe, transport)
    for index, run in enumerate(plan):
        kind = run[0]
        if kind in ("single", "large"):
            outcome = await receive_run(end)
        elif kind == "rtt":
            outcome = await ping_pong(end, run[1], run[2], run[3])
        else:
            raise BenchError("unsupported run {!r}".format(run))
        emit("RESULT {} {}".format(index, outcome))
    await end.close()


async def client(transport: str, plan: List[Tuple], peers: List[Tuple[str, str]]) -> None:
    if plan and plan[0][0] == "idle":
        await idle_client(transport, peers)
        return
    in_path, out_path = peers[0]
    pipe = open_client(transport, in_path, out_path)
    if not await pipe.connect(CONNECT_TIMEOUT):
        raise BenchError("client connect() failed")
    end = End(pipe, transport)
    for run in plan:
        kind = run[0]
        if kind in ("single", "large"):
            if await end.read() != b"go":
                raise BenchError("expected a go frame")
            await send_run(end, run[1], run[2], run[3])
        elif kind == "rtt":
            while True:
                frame = await end.read()
                if frame is None:
                    raise BenchError("the peer closed in the middle of a ping-pong")
                if frame[0] == LAST:
                    break
                await end.write(frame)
        else:
            raise BenchError("unsupported run {!r}".format(run))
    while await end.read() is not None:
        pass
    await end.close()


async def idle_channel(transport: str, pipes: int) -> None:
    before = status_kib("VmRSS")
    opened = [await open_channel(transport) for _ in range(pipes)]
    for pipe, _ in opened:
        emit("READY {} {}".format(pipe.in_path, pipe.out_path))
    emit("READY_DONE")
    await asyncio.gather(*(connected(task) for _, task in opened))
    reads = [asyncio.ensure_future(pipe.read()) for pipe, _ in opened]
    await asyncio.sleep(IDLE_WAIT)
    after = status_kib("VmRSS")
    emit("RESULT 0 idle {} {} {}".format(before, after, pipes))
    for read in reads:
        read.cancel()
    for pipe, _ in opened:
        await pipe.close()


async def idle_client(transport: str, peers: List[Tuple[str, str]]) -> None:
    pipes = [open_client(transport, i, o) for i, o in peers]
    results = await asyncio.gather(*(p.connect(CONNECT_TIMEOUT) for p in pipes))
    if not all(results):
        raise BenchError("client connect() failed")

    async def drain(pipe) -> None:
        while await pipe.read() is not None:
            pass
        await pipe.close()

    await asyncio.gather(*(drain(p) for p in pipes))


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description="pipe-bench end on aea.helpers.pipe")
    parser.add_argument("--role", required=True, choices=["channel", "client"])
    parser.add_argument("--transport", required=True, choices=["fifo", "tcp"])
    parser.add_argument("--plan", required=True)
    parser.add_argument("--peer", nargs=2, action="append", default=[], metavar=("IN_PATH", "OUT_PATH"))
    args = parser.parse_args(argv)
    plan = parse_plan(args.plan)
    # The AEA FIFO close() closes the read descriptor under asyncio's transport, which then logs a
    # "Fatal read error" with a traceback: expected, and not ours to report.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        if args.role == "channel":
            asyncio.run(channel(args.transport, plan))
        else:
            asyncio.run(client(args.transport, plan, [tuple(p) for p in args.peer]))
    except Exception as error:  # pylint: disable=broad-except
        sys.stderr.write("ERROR aea_bench {} {}: {!r}\n".format(args.role, args.transport, error))
        return 1
    emit("PEAK_RSS {}".format(status_kib("VmHWM")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
