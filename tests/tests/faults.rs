//! Faults across processes: a peer killed in the middle of a frame, a peer sending a 4 GiB header
//! or random bytes, a second TCP client, rendezvous that do not exist, a slow reader under a
//! gigabyte, and a thousand create-connect-close cycles.
//!
//! Where a test needs to look at our pipe's errors directly, this test process is one end (on
//! tokio or smol) and a `pipe-peer` process the other; otherwise both ends are `pipe-peer`
//! processes and the test reads their lines. Every test has a hard time limit, and every child
//! process is killed when its handle is dropped. Unix only: most faults involve FIFOs.
#![cfg(unix)]

mod common;

use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{after, ours, position};
use pipe_io::{Error, Pipe, Portable, State, Tcp, Transport};
use pipe_tests::peer::{
    hard_timeout, random_bytes, sleep, timeout, AsyncStdExec, Exec, Payloads, Peer, PeerExit, SmolExec, TokioExec,
};

/// A frame size that is no multiple of a page, so a blocked writer is inside a frame.
const FRAME: usize = (1 << 20) + 3;
/// The library's default limit, which the readers below use.
const MAX: usize = pipe_io::DEFAULT_MAX_FRAME_LEN;
/// What the memory of a reading or writing process may grow by.
const MEMORY_MARGIN_KB: u64 = 64 * 1024;

/// Our peer program as the client of `channel`, on the same runtime as the test.
fn client_of<E: Exec>(channel: &Pipe<E::R, Portable>, transport: &str, args: &[&str]) -> Peer {
    let mut command = ours(&[
        "--runtime",
        E::NAME,
        "--role",
        "client",
        "--transport",
        transport,
        "--in-path",
        channel.out_path(),
        "--out-path",
        channel.in_path(),
    ]);
    command.args(args);
    Peer::spawn(format!("{} client", E::NAME), command)
}

async fn connect<E: Exec>(pipe: &mut Pipe<E::R, Portable>) {
    timeout::<E::R, _>(Duration::from_secs(20), pipe.connect(Duration::from_secs(15)))
        .await
        .expect("connect hung")
        .expect("connect failed");
}

/// The peer writes 1 MiB frames without pause; we read three, stop reading so that it blocks in
/// the middle of a frame, and kill it. Within a second we must see the truncated frame (or a
/// clean close), after any complete frames still buffered.
fn peer_killed_while_writing<E: Exec>(transport: &'static str) {
    hard_timeout(Duration::from_secs(60), move || {
        E::block_on(async move {
            let mut channel = common::channel::<E::R>(transport);
            let size = FRAME.to_string();
            let mut peer = client_of::<E>(&channel, transport, &["--mode", "send-forever", "--sizes", &size]);
            connect::<E>(&mut channel).await;
            let mut payloads = Payloads::new(FRAME);
            let mut k = 0;
            while k < 3 {
                let frame = timeout::<E::R, _>(Duration::from_secs(10), channel.read()).await.expect("read hung");
                let frame = frame.expect("read failed").expect("a frame");
                assert!(payloads.check(k, &frame), "frame {k}");
                k += 1;
            }
            sleep::<E::R>(Duration::from_millis(300)).await;
            peer.kill();
            let killed = Instant::now();
            let outcome = loop {
                match timeout::<E::R, _>(Duration::from_secs(2), channel.read()).await {
                    None => panic!("no answer 2 s after the writer was killed\n{}", peer.report()),
                    Some(Ok(Some(frame))) => {
                        assert!(payloads.check(k, &frame), "frame {k}");
                        k += 1;
                    }
                    Some(outcome) => break outcome,
                }
            };
            let took = killed.elapsed();
            match &outcome {
                Err(Error::TruncatedFrame { expected, received }) => {
                    assert_eq!(*expected, FRAME + 4);
                    assert!(received < expected);
                }
                Ok(None) => {}
                other => panic!("expected a truncated frame or a clean close, got {other:?}"),
            }
            assert!(took < Duration::from_secs(1), "took {took:?} to notice");
            eprintln!("{transport}: {k} whole frames, then {outcome:?} {took:?} after the kill");
            channel.close().await.expect("close");
        })
    })
}

/// The peer reads nothing; we write until a write blocks (in the middle of a frame), kill the
/// peer, and the blocked write must fail within a second, with this process alive (no SIGPIPE).
fn peer_killed_while_reading<E: Exec>(transport: &'static str) {
    hard_timeout(Duration::from_secs(60), move || {
        E::block_on(async move {
            let mut channel = common::channel::<E::R>(transport);
            let mut peer = client_of::<E>(&channel, transport, &["--mode", "hold", "--timeout", "30"]);
            connect::<E>(&mut channel).await;
            let payloads = Payloads::new(FRAME);
            let mut written = 0;
            while timeout::<E::R, _>(Duration::from_millis(300), channel.write_bytes(payloads.frame(written, FRAME)))
                .await
                .is_some_and(|result| result.is_ok())
            {
                written += 1;
                assert!(written < 200, "200 MiB written to a peer that reads nothing: no backpressure");
            }
            peer.kill();
            let killed = Instant::now();
            let result = timeout::<E::R, _>(Duration::from_secs(2), channel.flush())
                .await
                .expect("the blocked write still hangs 2 s after the reader was killed");
            let took = killed.elapsed();
            let err = result.expect_err("writing to a killed peer must fail");
            // The frame cut mid-write is reported lost, with the OS's reason.
            assert!(
                matches!(&err, Error::Undelivered { frames: 1, source, .. }
                    if matches!(&**source, Error::Io(e) if matches!(e.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset))),
                "{err:?}"
            );
            assert!(took < Duration::from_secs(1), "took {took:?}");
            let later = timeout::<E::R, _>(Duration::from_secs(2), channel.write(b"later")).await.expect("hung");
            assert_eq!(later.expect_err("a write after the failure").to_string(), err.to_string(), "the same answer");
            let closed = timeout::<E::R, _>(Duration::from_secs(2), channel.close()).await.expect("close hung");
            assert_eq!(closed.expect_err("the close reports the lost frame").to_string(), err.to_string());
            eprintln!("{transport}: {written} frames went out, then {err} {took:?} after the kill");
        })
    })
}

#[test]
fn fifo_tokio_peer_killed_while_writing() {
    peer_killed_while_writing::<TokioExec>("fifo");
}

#[test]
fn tcp_tokio_peer_killed_while_writing() {
    peer_killed_while_writing::<TokioExec>("tcp");
}

#[test]
fn fifo_smol_peer_killed_while_writing() {
    peer_killed_while_writing::<SmolExec>("fifo");
}

#[test]
fn tcp_smol_peer_killed_while_writing() {
    peer_killed_while_writing::<SmolExec>("tcp");
}

#[test]
fn fifo_tokio_peer_killed_while_reading() {
    peer_killed_while_reading::<TokioExec>("fifo");
}

#[test]
fn tcp_tokio_peer_killed_while_reading() {
    peer_killed_while_reading::<TokioExec>("tcp");
}

#[test]
fn fifo_smol_peer_killed_while_reading() {
    peer_killed_while_reading::<SmolExec>("fifo");
}

#[test]
fn tcp_smol_peer_killed_while_reading() {
    peer_killed_while_reading::<SmolExec>("tcp");
}

/// What a broken writer sends.
#[derive(Debug, Clone, Copy)]
enum Garbage {
    /// A header announcing 0xFFFFFFFF bytes, and 1000 of them.
    HugeHeader,
    /// A mebibyte of pseudo-random bytes.
    Random,
}

const RANDOM_SEED: u64 = 1;

/// Both ends are our peer program: the reader (channel, `drain`) reports its memory; the
/// writer (client) sends the garbage raw. The reader must fail with `PeerFrameTooLarge` at once,
/// its memory staying small.
fn garbage_case(runtime: &'static str, transport: &'static str, garbage: Garbage) {
    hard_timeout(Duration::from_secs(60), move || {
        let (writer_args, announced) = match garbage {
            Garbage::HugeHeader => (vec!["--mode", "partial", "--sizes", "4294967295,1000"], u32::MAX as usize),
            Garbage::Random => {
                let head = random_bytes(RANDOM_SEED, 4);
                let announced = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
                assert!(announced > MAX, "the seed must start with a header over the limit");
                (vec!["--mode", "random", "--sizes", "1048576", "--seed", "1"], announced)
            }
        };
        let mut reader = Peer::spawn(
            format!("{runtime} reader"),
            ours(&[
                "--runtime",
                runtime,
                "--role",
                "channel",
                "--transport",
                transport,
                "--mode",
                "drain",
                "--report-mem",
                "--timeout",
                "20",
            ]),
        );
        let (in_path, out_path) = reader.ready(after(20));
        let mut command = ours(&[
            "--runtime",
            runtime,
            "--role",
            "client",
            "--transport",
            transport,
            "--in-path",
            &out_path,
            "--out-path",
            &in_path,
            "--linger",
            "20",
        ]);
        command.args(&writer_args);
        let mut writer = Peer::spawn(format!("{runtime} writer"), command);
        writer
            .expect(if matches!(garbage, Garbage::HugeHeader) { "PARTIAL_SENT" } else { "RANDOM_SENDING" }, after(20));
        let sent = Instant::now();
        let exit = reader.finish(after(20));
        let report = format!("{}\n{}", writer.report(), reader.report());
        assert!(sent.elapsed() < Duration::from_secs(2), "took {:?}\n{report}", sent.elapsed());
        assert_eq!(exit.code(), Some(1), "{report}");
        assert!(exit.has(&format!("READ_ERROR PeerFrameTooLarge {announced} {MAX}")), "{report}");
        let baseline = mem(&exit, "connected").0;
        let peak = mem(&exit, "end").1;
        assert!(peak < baseline + MEMORY_MARGIN_KB, "VmHWM {peak} kB against {baseline} kB at connect\n{report}");
    })
}

/// `(VmRSS, VmHWM)` in kB from a `MEM <phase>` line.
fn mem(exit: &PeerExit, phase: &str) -> (u64, u64) {
    let line = exit
        .lines
        .iter()
        .find(|l| l.starts_with(&format!("MEM {phase} ")))
        .unwrap_or_else(|| panic!("no MEM {phase} line in {:?}", exit.lines));
    let words: Vec<u64> = line.split_whitespace().skip(2).map(|w| w.parse().unwrap()).collect();
    (words[0], words[1])
}

macro_rules! garbage_tests {
    ($($name:ident: $runtime:literal, $transport:literal, $garbage:ident;)*) => {
        $(
            #[test]
            fn $name() {
                garbage_case($runtime, $transport, Garbage::$garbage);
            }
        )*
    };
}

garbage_tests! {
    fifo_tokio_reader_refuses_a_4_gib_header: "tokio", "fifo", HugeHeader;
    tcp_tokio_reader_refuses_a_4_gib_header: "tokio", "tcp", HugeHeader;
    fifo_smol_reader_refuses_a_4_gib_header: "smol", "fifo", HugeHeader;
    tcp_smol_reader_refuses_a_4_gib_header: "smol", "tcp", HugeHeader;
    fifo_async_std_reader_refuses_a_4_gib_header: "async-std", "fifo", HugeHeader;
    tcp_async_std_reader_refuses_a_4_gib_header: "async-std", "tcp", HugeHeader;
    fifo_tokio_reader_refuses_random_bytes: "tokio", "fifo", Random;
    tcp_tokio_reader_refuses_random_bytes: "tokio", "tcp", Random;
    fifo_smol_reader_refuses_random_bytes: "smol", "fifo", Random;
    tcp_smol_reader_refuses_random_bytes: "smol", "tcp", Random;
    fifo_async_std_reader_refuses_random_bytes: "async-std", "fifo", Random;
    tcp_async_std_reader_refuses_random_bytes: "async-std", "tcp", Random;
}

/// Our TCP channel (an `echo` process) has a client (this process); a second client is refused
/// (at the TCP level, and our peer program as a client never connects), and the first session
/// keeps working.
fn second_tcp_client<E: Exec>() {
    hard_timeout(Duration::from_secs(60), || {
        let mut channel = Peer::spawn(
            format!("{} channel", E::NAME),
            ours(&[
                "--runtime",
                E::NAME,
                "--role",
                "channel",
                "--transport",
                "tcp",
                "--mode",
                "echo",
                "--timeout",
                "30",
            ]),
        );
        let (port, _) = channel.ready(after(20));
        E::block_on(async {
            let mut first: Pipe<E::R, Portable> = Pipe::<E::R, Tcp>::client(&port, &port).expect("client").into();
            connect::<E>(&mut first).await;
            // The echo proves the channel accepted us, and so stopped listening.
            echo::<E>(&mut first, "first".into()).await;

            let refused = TcpStream::connect((Ipv4Addr::LOCALHOST, port.parse::<u16>().unwrap()));
            assert_eq!(refused.map_err(|e| e.kind()).err(), Some(io::ErrorKind::ConnectionRefused));

            let mut second = Peer::spawn(
                format!("second {} client", E::NAME),
                ours(&[
                    "--runtime",
                    E::NAME,
                    "--role",
                    "client",
                    "--transport",
                    "tcp",
                    "--in-path",
                    &port,
                    "--out-path",
                    &port,
                    "--mode",
                    "send",
                    "--timeout",
                    "1",
                ]),
            );
            let second_exit = second.finish(after(15));
            assert_eq!(second_exit.code(), Some(3), "the second client times out\n{}", second.report());
            assert!(!second_exit.has("CONNECTED"), "{}", second.report());

            let payloads = Payloads::new(FRAME);
            for (k, len) in [1, 1000, 65_536, FRAME].into_iter().enumerate() {
                echo::<E>(&mut first, payloads.frame(k, len)).await;
            }
            first.close().await.expect("close");
        });
        let exit = channel.finish(after(20));
        assert_eq!(exit.code(), Some(0), "{}", channel.report());
        assert!(exit.has("ECHOED 5"), "{}", channel.report());
        assert!(position(&exit, "PEER_CLOSED").is_some(), "{}", channel.report());
    })
}

async fn echo<E: Exec>(pipe: &mut Pipe<E::R, Portable>, data: bytes::Bytes) {
    timeout::<E::R, _>(Duration::from_secs(10), pipe.write_bytes(data.clone()))
        .await
        .expect("write hung")
        .expect("write");
    let back = timeout::<E::R, _>(Duration::from_secs(10), pipe.read()).await.expect("read hung");
    assert_eq!(back.expect("read"), Some(data));
}

#[test]
fn tcp_tokio_second_client_is_refused_and_the_first_keeps_working() {
    second_tcp_client::<TokioExec>();
}

#[test]
fn tcp_smol_second_client_is_refused_and_the_first_keeps_working() {
    second_tcp_client::<SmolExec>();
}

type MakeClient<E> = fn(&str, &str) -> Result<Pipe<<E as Exec>::R, Portable>, Error>;

/// `make_pipe_client` on a path that does not exist, a regular file, a directory, and a port
/// nobody listens on: a clear error, at once (or at the connect timeout for the port, as
/// refused connections are retried), and no panic.
fn bad_rendezvous<E: Exec>(make_pipe_client: MakeClient<E>) {
    hard_timeout(Duration::from_secs(30), move || {
        E::block_on(async move {
            let dir = tempfile::tempdir().unwrap();
            let path = |name: &str| dir.path().join(name).display().to_string();
            std::fs::write(path("regular"), b"not a fifo").unwrap();
            std::fs::create_dir(path("directory")).unwrap();
            let limit = Duration::from_secs(1);
            let attempt = |in_path: String, out_path: String| async move {
                let mut pipe = make_pipe_client(&in_path, &out_path).expect("the client is made lazily");
                assert_eq!(pipe.transport(), Transport::Fifo, "{in_path}");
                let start = Instant::now();
                let result = timeout::<E::R, _>(Duration::from_secs(5), pipe.connect(limit)).await.expect("hung");
                (result.expect_err("connect must fail"), start.elapsed())
            };

            let (err, took) = attempt(path("missing-in"), path("missing-out")).await;
            let enoent = rustix::io::Errno::NOENT.raw_os_error();
            assert!(matches!(&err, Error::Io(e) if e.kind() == io::ErrorKind::NotFound), "{err:?}");
            assert_eq!(err.raw_os_error(), Some(enoent), "{err:?}");
            let os_message = io::Error::from_raw_os_error(enoent).to_string();
            assert_eq!(err.to_string(), format!("{}: {os_message}", path("missing-in")), "the message names the path");
            assert!(took < limit, "a missing path fails at once, took {took:?}");
            // The failed pipe answers a later call with the same error: variant, code and words.
            let mut pipe = make_pipe_client(&path("missing-in"), &path("missing-out")).expect("client");
            let first = timeout::<E::R, _>(Duration::from_secs(5), pipe.connect(limit)).await.expect("hung");
            let first = first.expect_err("connect must fail");
            assert_eq!(pipe.state(), State::Failed);
            let again = pipe.into_split().map(drop).expect_err("a failed pipe does not split");
            assert!(matches!(again, Error::Io(_)), "{again:?}");
            assert_eq!(
                (again.kind(), again.raw_os_error(), again.to_string()),
                (first.kind(), Some(enoent), err.to_string())
            );

            for name in ["regular", "directory"] {
                let (err, took) = attempt(path(name), path(name)).await;
                assert!(matches!(&err, Error::NotAFifo { path: p } if *p == path(name)), "{err:?}");
                assert!(err.to_string().contains(&path(name)), "{err}");
                assert!(took < limit, "took {took:?}");
            }

            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port().to_string();
            let mut pipe = make_pipe_client(&port, &port).expect("client");
            assert_eq!(pipe.transport(), Transport::Tcp);
            let start = Instant::now();
            let err = timeout::<E::R, _>(Duration::from_secs(5), pipe.connect(limit))
                .await
                .expect("hung")
                .expect_err("nobody listens");
            let took = start.elapsed();
            assert!(matches!(err, Error::Timeout { timeout, .. } if timeout == limit), "{err:?}");
            assert!(took >= limit && took < limit * 3, "took {took:?}");
        })
    })
}

#[test]
fn tokio_make_pipe_client_on_bad_rendezvous_fails_cleanly() {
    bad_rendezvous::<TokioExec>(pipe_io::make_pipe_client::<pipe_tokio::Tokio>);
}

#[test]
fn smol_make_pipe_client_on_bad_rendezvous_fails_cleanly() {
    bad_rendezvous::<SmolExec>(pipe_io::make_pipe_client::<pipe_smol::AsyncIo>);
}

#[test]
fn async_std_make_pipe_client_on_bad_rendezvous_fails_cleanly() {
    bad_rendezvous::<AsyncStdExec>(pipe_io::make_pipe_client::<pipe_async_std::AsyncStd>);
}

/// Frames moved by [`gigabyte_case`], 1 MiB each: the whole gigibyte takes a few seconds even
/// in an unoptimised build.
const GIB_FRAMES: usize = 1024;

/// A fast writer (our `stream`, fresh 1 MiB frames through the `Sink`) and a slow reader (our
/// `drain`, checking every byte and sleeping 2 ms per frame) move 1 GiB between two processes.
/// Both count the same frames and bytes, and the writer's peak memory stays small: it waited
/// for the reader instead of queueing.
fn gigabyte_case(writer_runtime: &'static str, reader_runtime: &'static str, transport: &'static str) {
    hard_timeout(Duration::from_secs(120), move || {
        let start = Instant::now();
        let mut reader = Peer::spawn(
            format!("{reader_runtime} reader"),
            ours(&[
                "--runtime",
                reader_runtime,
                "--role",
                "channel",
                "--transport",
                transport,
                "--mode",
                "drain",
                "--delay-ms",
                "2",
                "--timeout",
                "60",
            ]),
        );
        let (in_path, out_path) = reader.ready(after(20));
        let count = GIB_FRAMES.to_string();
        let mut writer = Peer::spawn(
            format!("{writer_runtime} writer"),
            ours(&[
                "--runtime",
                writer_runtime,
                "--role",
                "client",
                "--transport",
                transport,
                "--in-path",
                &out_path,
                "--out-path",
                &in_path,
                "--mode",
                "stream",
                "--sizes",
                "1048576",
                "--count",
                &count,
                "--report-mem",
                "--timeout",
                "60",
            ]),
        );
        let writer_exit = writer.finish(after(100));
        let reader_exit = reader.finish(after(100));
        let report = format!("{}\n{}", writer.report(), reader.report());
        let bytes = GIB_FRAMES << 20;
        assert_eq!(writer_exit.code(), Some(0), "{report}");
        assert_eq!(reader_exit.code(), Some(0), "{report}");
        assert!(writer_exit.has(&format!("SENT {GIB_FRAMES} {bytes}")), "{report}");
        assert!(reader_exit.has(&format!("RECEIVED {GIB_FRAMES} {bytes}")), "{report}");
        let baseline = mem(&writer_exit, "connected").0;
        let peak = mem(&writer_exit, "end").1;
        assert!(peak < baseline + MEMORY_MARGIN_KB, "writer VmHWM {peak} kB against {baseline} kB\n{report}");
        eprintln!("{transport}: 1 GiB in {:?}, writer VmHWM {peak} kB (at connect {baseline} kB)", start.elapsed());
    })
}

#[test]
fn fifo_one_gibibyte_fast_tokio_writer_slow_smol_reader() {
    gigabyte_case("tokio", "smol", "fifo");
}

#[test]
fn tcp_one_gibibyte_fast_smol_writer_slow_async_std_reader() {
    gigabyte_case("smol", "async-std", "tcp");
}

/// A thousand channel create-connect-close cycles (with a client, a frame and both closes) in
/// one `pipe-peer` process: no descriptors, threads or FIFO directories left behind.
fn cycles_case(runtime: &'static str, transport: &'static str) {
    hard_timeout(Duration::from_secs(90), move || {
        let mut peer = Peer::spawn(
            format!("{runtime} cycles"),
            ours(&[
                "--runtime",
                runtime,
                "--role",
                "channel",
                "--transport",
                transport,
                "--mode",
                "cycles",
                "--count",
                "1000",
            ]),
        );
        let exit = peer.finish(after(80));
        assert_eq!(exit.code(), Some(0), "{}", peer.report());
        let words = exit.words("CYCLES").unwrap_or_else(|| panic!("no CYCLES line\n{}", peer.report()));
        let [n, _, fds_before, fds_after, _, threads_before, threads_after, _, dirs_left] = &words[..] else {
            panic!("bad CYCLES line {words:?}");
        };
        assert_eq!(n, "1000");
        assert_eq!(fds_after, fds_before, "descriptors leaked: {words:?}");
        assert_eq!(threads_after, threads_before, "threads leaked: {words:?}");
        assert_eq!(dirs_left, "0", "FIFO directories left: {words:?}");
    })
}

#[test]
fn fifo_tokio_thousand_cycles_leak_nothing() {
    cycles_case("tokio", "fifo");
}

#[test]
fn tcp_tokio_thousand_cycles_leak_nothing() {
    cycles_case("tokio", "tcp");
}

#[test]
fn fifo_smol_thousand_cycles_leak_nothing() {
    cycles_case("smol", "fifo");
}

#[test]
fn tcp_smol_thousand_cycles_leak_nothing() {
    cycles_case("smol", "tcp");
}

#[test]
fn fifo_async_std_thousand_cycles_leak_nothing() {
    cycles_case("async-std", "fifo");
}

#[test]
fn tcp_async_std_thousand_cycles_leak_nothing() {
    cycles_case("async-std", "tcp");
}
