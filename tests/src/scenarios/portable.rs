//! The platform default, on every platform: `make_pipe` builds FIFOs on Unix and TCP elsewhere
//! (Windows), and whatever it built carries frames both ways and closes cleanly. These run
//! natively and, for Windows, under Wine (`.ci/portability.sh`).

use futures_util::future::join;
use pipe_io::{make_pipe, make_pipe_client, Pipe, Portable, Runtime, Tcp, Transport};

use super::CONNECT_TIMEOUT;

fn platform_default() -> Transport {
    if cfg!(unix) {
        Transport::Fifo
    } else {
        Transport::Tcp
    }
}

async fn connect_pair<R: Runtime>(mut channel: Pipe<R, Portable>) -> (Pipe<R, Portable>, Pipe<R, Portable>) {
    let mut client = make_pipe_client::<R>(channel.out_path(), channel.in_path()).unwrap();
    assert_eq!(client.transport(), channel.transport());
    let (a, b) = join(channel.connect(CONNECT_TIMEOUT), client.connect(CONNECT_TIMEOUT)).await;
    a.unwrap();
    b.unwrap();
    (channel, client)
}

/// Frames both ways (a large one included), then a close from each side in turn.
async fn exchange_and_close<R: Runtime>(mut channel: Pipe<R, Portable>, mut client: Pipe<R, Portable>) {
    client.write(b"from the client").await.unwrap();
    assert_eq!(channel.read().await.unwrap().as_deref(), Some(&b"from the client"[..]));
    channel.write(b"from the channel").await.unwrap();
    assert_eq!(client.read().await.unwrap().as_deref(), Some(&b"from the channel"[..]));

    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (sent, received) = join(channel.write(&big), client.read()).await;
    sent.unwrap();
    assert_eq!(received.unwrap().as_deref(), Some(&big[..]));

    client.close().await.unwrap();
    assert_eq!(channel.read().await.unwrap(), None, "the channel sees the client's close");
    assert_eq!(channel.read().await.unwrap(), None, "and keeps seeing it");
    channel.close().await.unwrap();
}

/// `make_pipe` builds FIFOs on Unix and TCP elsewhere; a TCP channel's paths are its port.
pub async fn make_pipe_builds_the_platform_default<R: Runtime>() {
    let channel = make_pipe::<R>().unwrap();
    assert_eq!(channel.transport(), platform_default());
    if channel.transport() == Transport::Tcp {
        let port: u16 = channel.in_path().parse().expect("a TCP channel's path is its port");
        assert_ne!(port, 0);
        assert_eq!(channel.in_path(), channel.out_path());
    }
}

/// A pair on the platform default transport exchanges frames and closes.
pub async fn default_transport_pair_exchanges_and_closes<R: Runtime>() {
    let (channel, client) = connect_pair(make_pipe::<R>().unwrap()).await;
    assert_eq!(channel.transport(), platform_default());
    exchange_and_close(channel, client).await;
}

/// A TCP pair, on every platform, exchanges frames and closes.
pub async fn tcp_pair_exchanges_and_closes<R: Runtime>() {
    let (channel, client) = connect_pair(Pipe::<R, Tcp>::new().unwrap().into()).await;
    assert_eq!(channel.transport(), Transport::Tcp);
    exchange_and_close(channel, client).await;
}

/// `"<port>"` and `"<host>:<port>"` name a TCP client on every platform, by the text alone.
pub async fn a_port_names_a_tcp_client<R: Runtime>() {
    for in_path in ["40000", "127.0.0.1:40000", "[::1]:40000", "localhost:40000", "a:1"] {
        assert_eq!(make_pipe_client::<R>(in_path, in_path).unwrap().transport(), Transport::Tcp, "{in_path}");
    }
}

/// On Unix, whatever is not a TCP address is a FIFO path, absolute paths that end in `:<port>`
/// included, and `./` turns a name that looks like an address into a path.
#[cfg(unix)]
pub async fn anything_else_names_a_fifo_client<R: Runtime>() {
    for in_path in ["/tmp/x/aea_to_process", "/tmp/x:1", "./a:1", "./40000", "fifo", "a:0", "::1:40000"] {
        assert_eq!(make_pipe_client::<R>(in_path, "/tmp/out").unwrap().transport(), Transport::Fifo, "{in_path}");
    }
}
