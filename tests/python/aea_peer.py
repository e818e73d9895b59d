#!/usr/bin/env python3
"""Command-line AEA pipe peer for interop tests.

Runs one end of an `aea.helpers.pipe` connection with the real AEA classes
(`PosixNamedPipeChannel`, `PosixNamedPipeChannelClient`, `TCPSocketChannel`,
`TCPSocketChannelClient`), so that tests written in another language can check
that they speak the same protocol byte for byte.

Usage:
    aea_peer.py --role channel|client --transport fifo|tcp
                [--in-path P --out-path P] --mode MODE
                [--timeout S] [--count N] [--sizes a,b,c] [--verbose]

Progress is reported on stdout, one line at a time, flushed after each line
(see README.md beside this file for the whole line protocol):

    READY <in_path> <out_path>   channel only, before waiting for the peer
    CONNECTED                    connect() succeeded
    SENT <n>                     n frames handed to write()
    FRAME <len> <sha256hex>      a frame was read (recv-then-close, send-then-wait)
    VERIFIED <n>                 send mode: all n echoed frames match
    ECHOED <n>                   echo mode: n frames were echoed
    PARTIAL_SENT <announced> <sent>   partial mode: the cut frame was written
    HOLDING                      hold mode: connected, reading nothing
    SEQUENCE <first> <last> <n>  sequence mode: the numbered frames read
    CLOSE_REASON <kind>          why read() returned None (just before PEER_CLOSED)
    PEER_CLOSED                  read() returned None
    CLOSED                       this side's close() returned
    TIMEOUT                      a wait exceeded --timeout (exit code 3)

Exit codes: 0 success, 1 error (message on stderr), 2 bad usage, 3 timeout.

Modes:
    echo             read frames and write each back unchanged until read()
                     returns None, then close.
    send             write the frames given by --sizes/--count (a reader task
                     runs concurrently so echoes never back up), read the same
                     number of frames back, compare them, then close first.
    recv-then-close  read --count frames, print FRAME for each, then close.
    send-then-wait   write the frames, then read (printing FRAME for anything
                     that arrives) until read() returns None, then close.
    partial          simulate a peer that dies in the middle of a frame: write
                     a header announcing sizes[0] bytes (default 100000) and
                     only sizes[1] payload bytes (default 1000) in one raw
                     write, bypassing the class's write(), which would always
                     send whole frames: on a FIFO with os.write() on the
                     protocol's output fd, on TCP with the asyncio
                     StreamWriter's write() + drain(). On a FIFO, wait
                     until the other side has read those bytes (a Python
                     FIFO channel connects only on its next retry, and
                     cannot once this process has exited), bounded by
                     --timeout. Then sleep 0.5 s and
                     terminate the process with os._exit(0) without calling
                     close(): the kernel closes the descriptors as it would
                     for a crashed process, so no zero-length frame is sent on
                     a FIFO and the TCP socket gets a plain FIN (or an RST if
                     the peer had sent data that was never read). A FIFO
                     channel's temporary directory is removed first.
    hold             connect, print HOLDING, read nothing for --timeout
                     seconds (the tests kill it meanwhile), then close.
    sequence         read numbered frames (an 8-byte big-endian number k,
                     then the first n-8 bytes of frame k's payload) until
                     read() returns None, checking each is whole and follows
                     the one before; print SEQUENCE <first> <last> <count>
                     ("-" for none), then close.

Frame payloads are deterministic: byte i of the frame with sequence number k
(0-based, counted per run) and size n is (k*31 + i) % 251.

Every wait (connect, each read, each write, close) is bounded by --timeout
seconds. The peer never uses asyncio.wait_for() around read(): the AEA read()
swallows CancelledError and returns None, so wait_for() would turn a timeout
into a fake "peer closed".
"""
import argparse
import asyncio
import hashlib
import logging
import os
import re
import shutil
import struct
import sys
from typing import Any, Awaitable, List, Optional, Tuple


try:
    from aea.helpers.pipe import (
        PosixNamedPipeChannel,
        PosixNamedPipeChannelClient,
        TCPSocketChannel,
        TCPSocketChannelClient,
    )
except ImportError as _import_error:  # pragma: no cover
    sys.stderr.write(
        "ERROR cannot import aea.helpers.pipe ({}); run this script with the "
        "python of a venv made by setup_venv.sh\n".format(_import_error)
    )
    sys.exit(1)


EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3

DEFAULT_TIMEOUT = 10.0  # the AEA default (PIPE_CONN_TIMEOUT)
DEFAULT_SEND_SIZES = [1, 100, 1000]
DEFAULT_PARTIAL_SIZES = [100000, 1000]
PARTIAL_LINGER = 0.5


class PeerTimeout(Exception):
    """A wait exceeded --timeout."""


class PeerError(Exception):
    """The peer misbehaved (unexpected close, wrong data, failed connect)."""


def emit(line: str) -> None:
    """Print one protocol line on stdout and flush it."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def payload(seq: int, size: int) -> bytes:
    """Deterministic payload: byte i of frame `seq` is (seq*31 + i) % 251."""
    period = bytes((seq * 31 + i) % 251 for i in range(251))
    reps = size // 251 + 1
    return (period * reps)[:size]


def frame_line(data: bytes) -> str:
    return "FRAME {} {}".format(len(data), hashlib.sha256(data).hexdigest())


class CloseReason(logging.Handler):
    """Learns why read() returned None from the AEA classes' own logging.

    Both AEA readers log "Connection disconnected while reading from pipe
    (<got>/<expected>)" at INFO when the stream ends inside readexactly(), and
    log nothing when they return None for a zero-length frame. So:
      no message            -> "zero-frame"
      (0/4)                 -> "eof" (end of stream at a frame boundary; a
                               header announcing 4 bytes followed by EOF looks
                               the same)
      anything else         -> "truncated <got> <expected>"
    """

    PATTERN = re.compile(r"disconnected while reading from pipe \((\d+)/(\d+)\)")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.last = None  # type: Optional[Tuple[int, int]]

    def emit(self, record: logging.LogRecord) -> None:
        match = self.PATTERN.search(record.getMessage())
        if match:
            self.last = (int(match.group(1)), int(match.group(2)))

    def reset(self) -> None:
        self.last = None

    def kind(self) -> str:
        if self.last is None:
            return "zero-frame"
        got, expected = self.last
        if (got, expected) == (0, 4):
            return "eof"
        return "truncated {} {}".format(got, expected)


class Peer:
    """One end of an AEA pipe, driven by the command-line arguments."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.timeout = args.timeout  # type: float
        self.reason = CloseReason()
        self.logger = logging.getLogger("aea_peer.pipe")
        self.logger.propagate = False
        self.logger.setLevel(logging.DEBUG if args.verbose else logging.INFO)
        self.logger.addHandler(self.reason)
        if args.verbose:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("[aea_peer %(levelname)s] %(message)s"))
            self.logger.addHandler(handler)
        self.pipe = None  # type: Any
        self.pipe_dir = None  # type: Optional[str]

    # -- helpers -----------------------------------------------------------

    async def within(self, awaitable: Awaitable, what: str) -> Any:
        """Await `awaitable`, raising PeerTimeout after --timeout seconds.

        Uses asyncio.wait (which does not cancel) instead of wait_for, see the
        module docstring. A task left pending is cancelled by asyncio.run()
        on the way out.
        """
        task = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if not done:
            raise PeerTimeout("timed out after {} s waiting for {}".format(self.timeout, what))
        return task.result()

    async def read_frame(self) -> Tuple[Optional[bytes], str]:
        """Read one frame; on None also return the close reason."""
        self.reason.reset()
        data = await self.within(self.pipe.read(), "read")
        if data is None:
            return None, self.reason.kind()
        return data, ""

    async def write_frame(self, data: bytes) -> None:
        try:
            await self.within(self.pipe.write(data), "write")
        except BlockingIOError as e:
            # the AEA FIFO write() is a bare os.write() on a non-blocking fd
            raise PeerError(
                "write of a {}-byte frame failed with {!r}: the FIFO buffer (64 KiB on "
                "Linux) is full, because the frame is too big or the peer is not "
                "reading (or has not finished connecting) yet".format(len(data), e)
            )

    async def close(self) -> None:
        await self.within(self.pipe.close(), "close")
        self.pipe_dir = None  # a channel's close() removed it
        emit("CLOSED")

    def peer_closed(self, kind: str) -> None:
        emit("CLOSE_REASON {}".format(kind))
        emit("PEER_CLOSED")

    def frames_to_send(self) -> List[bytes]:
        sizes = self.args.sizes or DEFAULT_SEND_SIZES
        count = self.args.count if self.args.count is not None else len(sizes)
        return [payload(k, sizes[k % len(sizes)]) for k in range(count)]

    def cleanup(self) -> None:
        """Remove a FIFO channel's directory if close() did not."""
        if self.pipe_dir is not None:
            shutil.rmtree(self.pipe_dir, ignore_errors=True)
            self.pipe_dir = None

    # -- connect -----------------------------------------------------------

    async def connect(self) -> None:
        args = self.args
        if args.role == "channel":
            if args.transport == "fifo":
                self.pipe = PosixNamedPipeChannel(logger=self.logger)
                self.pipe_dir = self.pipe._pipe_dir  # pylint: disable=protected-access
            else:
                self.pipe = TCPSocketChannel(logger=self.logger)
            task = asyncio.ensure_future(self.pipe.connect(self.timeout))
            if args.transport == "tcp":
                # TCPSocketChannel picks its port in __init__ but only listens
                # once connect() runs: announce the port when it is live, so a
                # client that dials once (like the Go peer) cannot miss it.
                while self.pipe._server is None and not task.done():  # pylint: disable=protected-access
                    await asyncio.sleep(0.001)
                if task.done() and task.exception() is not None:
                    raise PeerError("channel connect failed: {!r}".format(task.exception()))
            emit("READY {} {}".format(self.pipe.in_path, self.pipe.out_path))
            ok = await self.within(task, "connect")
            if not ok:
                raise PeerTimeout("channel connect() returned False (no peer within {} s)".format(self.timeout))
        else:
            if args.transport == "fifo":
                self.pipe = PosixNamedPipeChannelClient(args.in_path, args.out_path, logger=self.logger)
            else:
                self.pipe = TCPSocketChannelClient(args.in_path, args.out_path, logger=self.logger)
            ok = await self.within(self.pipe.connect(self.timeout), "connect")
            if not ok:
                if self.pipe.last_exception is not None:
                    raise PeerError("client connect failed: {!r}".format(self.pipe.last_exception))
                raise PeerTimeout("client connect() returned False (no peer within {} s)".format(self.timeout))
        emit("CONNECTED")

    # -- modes -------------------------------------------------------------

    async def mode_echo(self) -> None:
        echoed = 0
        while True:
            data, kind = await self.read_frame()
            if data is None:
                break
            await self.write_frame(data)
            echoed += 1
        emit("ECHOED {}".format(echoed))
        self.peer_closed(kind)
        await self.close()

    async def read_echoes(self, expected: List[bytes]) -> None:
        for k, want in enumerate(expected):
            got, kind = await self.read_frame()
            if got is None:
                self.peer_closed(kind)
                raise PeerError("peer closed ({}) after {} of {} echoed frames".format(kind, k, len(expected)))
            if got != want:
                if len(got) != len(want):
                    detail = "length {} instead of {}".format(len(got), len(want))
                else:
                    first = next(i for i in range(len(got)) if got[i] != want[i])
                    detail = "first difference at byte {}".format(first)
                raise PeerError("echoed frame {} differs: {}".format(k, detail))

    async def mode_send(self) -> None:
        frames = self.frames_to_send()
        if any(len(f) == 0 for f in frames):
            raise PeerError("send mode cannot use size 0: the AEA readers take a zero-length frame as a close")
        reader = asyncio.ensure_future(self.read_echoes(frames))
        for data in frames:
            if reader.done():
                break  # the reader failed early; its error is raised below
            await self.write_frame(data)
        else:
            emit("SENT {}".format(len(frames)))
        # read_echoes bounds each read by --timeout itself
        await reader
        emit("VERIFIED {}".format(len(frames)))
        await self.close()

    async def mode_recv_then_close(self) -> None:
        count = self.args.count
        for k in range(count):
            data, kind = await self.read_frame()
            if data is None:
                self.peer_closed(kind)
                raise PeerError("peer closed ({}) after {} of {} frames".format(kind, k, count))
            emit(frame_line(data))
        await self.close()

    async def mode_send_then_wait(self) -> None:
        frames = self.frames_to_send()
        for data in frames:
            await self.write_frame(data)
        emit("SENT {}".format(len(frames)))
        while True:
            data, kind = await self.read_frame()
            if data is None:
                break
            emit(frame_line(data))
        self.peer_closed(kind)
        await self.close()

    async def mode_partial(self) -> None:
        sizes = self.args.sizes or DEFAULT_PARTIAL_SIZES
        if len(sizes) != 2 or sizes[1] >= sizes[0]:
            raise PeerError("partial mode takes --sizes ANNOUNCED,SENT with SENT < ANNOUNCED")
        announced, sent = sizes
        raw = announced.to_bytes(4, "big") + payload(0, sent)
        if self.args.transport == "fifo":
            # both FIFO classes keep a PosixNamedPipeProtocol in ._pipe; its
            # ._out is the non-blocking write fd used by write()
            fd = self.pipe._pipe._out  # pylint: disable=protected-access
            written = os.write(fd, raw)
            if written != len(raw):
                raise PeerError("short raw write: {} of {} bytes".format(written, len(raw)))
            # A Python FIFO channel connects only on its next retry (every
            # timeout/10 s), and it cannot once this process is gone: its open()
            # of our read end fails with ENXIO. So stay until the cut frame has
            # been read, which shows the other side is connected.
            await self.within(self.until_read(fd), "the other side to read the cut frame")
        else:
            # both TCP classes keep a TCPSocketProtocol in ._sock
            writer = self.pipe._sock.writer  # pylint: disable=protected-access
            writer.write(raw)
            await self.within(writer.drain(), "drain")
        emit("PARTIAL_SENT {} {}".format(announced, sent))
        await asyncio.sleep(PARTIAL_LINGER)
        self.cleanup()
        sys.stderr.flush()
        os._exit(EXIT_OK)  # pylint: disable=protected-access

    async def until_read(self, fd: int) -> None:
        """Return once nothing written into the FIFO `fd` is left unread.

        FIONREAD on a FIFO's write end counts the bytes in the pipe. Where that
        ioctl is not there, waits one FIFO connect retry period of the default
        timeout instead.
        """
        while True:
            try:
                import fcntl  # pylint: disable=import-outside-toplevel
                import termios  # pylint: disable=import-outside-toplevel

                unread = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
            except (ImportError, OSError):
                await asyncio.sleep(DEFAULT_TIMEOUT / 10 + PARTIAL_LINGER)
                return
            if unread == 0:
                return
            await asyncio.sleep(0.01)

    async def mode_hold(self) -> None:
        """Connect and read nothing for --timeout seconds (until killed, in the tests)."""
        emit("HOLDING")
        await asyncio.sleep(self.timeout)
        await self.close()

    async def mode_sequence(self) -> None:
        """Read numbered frames (8-byte big-endian number, then payload(number, rest))
        until the peer closes; each must be whole and follow the one before."""
        first = last = None
        count = 0
        while True:
            data, kind = await self.read_frame()
            if data is None:
                break
            if len(data) < 8:
                raise PeerError("frame {} has {} bytes: not a numbered frame".format(count, len(data)))
            seq = int.from_bytes(data[:8], "big")
            if data[8:] != payload(seq, len(data) - 8):
                raise PeerError("frame {} ({} bytes) is not whole".format(seq, len(data)))
            if last is not None and seq != last + 1:
                raise PeerError("frame {} came after frame {}".format(seq, last))
            if first is None:
                first = seq
            last = seq
            count += 1
        emit("SEQUENCE {} {} {}".format("-" if first is None else first, "-" if last is None else last, count))
        self.peer_closed(kind)
        await self.close()

    async def run(self) -> int:
        try:
            await self.connect()
            mode = {
                "echo": self.mode_echo,
                "send": self.mode_send,
                "recv-then-close": self.mode_recv_then_close,
                "send-then-wait": self.mode_send_then_wait,
                "partial": self.mode_partial,
                "hold": self.mode_hold,
                "sequence": self.mode_sequence,
            }[self.args.mode]
            await mode()
            return EXIT_OK
        except PeerTimeout as e:
            sys.stderr.write("ERROR {}\n".format(e))
            emit("TIMEOUT")
            return EXIT_TIMEOUT
        except PeerError as e:
            sys.stderr.write("ERROR {}\n".format(e))
            return EXIT_ERROR
        except Exception as e:  # pylint: disable=broad-except
            sys.stderr.write("ERROR unexpected {!r}\n".format(e))
            return EXIT_ERROR
        finally:
            self.cleanup()


def parse_sizes(text: str) -> List[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("sizes must be comma-separated integers: {!r}".format(text))
    if not sizes or any(s < 0 or s > 0xFFFFFFFF for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be in 0..2^32-1: {!r}".format(text))
    return sizes


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="AEA pipe peer for interop tests (see README.md).",
    )
    parser.add_argument("--role", required=True, choices=["channel", "client"])
    parser.add_argument("--transport", required=True, choices=["fifo", "tcp"])
    parser.add_argument("--in-path", help="client only: where this side reads (= channel out_path)")
    parser.add_argument("--out-path", help="client only: where this side writes (= channel in_path)")
    parser.add_argument(
        "--mode", required=True,
        choices=["echo", "send", "recv-then-close", "send-then-wait", "partial", "hold", "sequence"],
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="bound on every wait, seconds (default %(default)s)")
    parser.add_argument("--count", type=int, help="number of frames (default: number of --sizes)")
    parser.add_argument("--sizes", type=parse_sizes,
                        help="comma-separated frame sizes, repeated cyclically up to --count")
    parser.add_argument("--verbose", action="store_true", help="AEA debug logging on stderr")
    args = parser.parse_args(argv)
    if args.role == "client":
        if args.in_path is None or args.out_path is None:
            parser.error("--role client needs --in-path and --out-path")
    elif args.in_path is not None or args.out_path is not None:
        parser.error("--role channel creates its own paths: drop --in-path/--out-path")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    if args.count is not None and args.count < 0:
        parser.error("--count must be >= 0")
    if args.mode == "recv-then-close" and args.count is None:
        parser.error("--mode recv-then-close needs --count")
    return args


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    return asyncio.run(Peer(args).run())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
