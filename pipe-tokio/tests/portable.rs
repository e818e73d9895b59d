//! The platform default, on every platform: `make_pipe` builds FIFOs on Unix and TCP elsewhere
//! (Windows), and whatever it built carries frames both ways and closes cleanly. These tests run
//! natively and, for Windows, under Wine (`.ci/portability.sh`).

use std::time::Duration;

use pipe_tokio::{make_pipe, make_pipe_client, LocalPortablePipe, TcpSocketPipe, Transport};

const TIMEOUT: Duration = Duration::from_secs(10);

fn platform_default() -> Transport {
    if cfg!(unix) {
        Transport::Fifo
    } else {
        Transport::Tcp
    }
}

async fn connect_pair(mut channel: LocalPortablePipe) -> (LocalPortablePipe, LocalPortablePipe) {
    let mut client = make_pipe_client(channel.out_path(), channel.in_path()).unwrap();
    assert_eq!(client.transport(), channel.transport());
    let (a, b) = tokio::join!(channel.connect(TIMEOUT), client.connect(TIMEOUT));
    a.unwrap();
    b.unwrap();
    (channel, client)
}

/// Frames both ways (a large one included), then a close from each side in turn.
async fn exchange_and_close(mut channel: LocalPortablePipe, mut client: LocalPortablePipe) {
    client.write(b"from the client").await.unwrap();
    assert_eq!(channel.read().await.unwrap().as_deref(), Some(&b"from the client"[..]));
    channel.write(b"from the channel").await.unwrap();
    assert_eq!(client.read().await.unwrap().as_deref(), Some(&b"from the channel"[..]));

    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (sent, received) = tokio::join!(channel.write(&big), client.read());
    sent.unwrap();
    assert_eq!(received.unwrap().as_deref(), Some(&big[..]));

    client.close().await.unwrap();
    assert_eq!(channel.read().await.unwrap(), None, "the channel sees the client's close");
    assert_eq!(channel.read().await.unwrap(), None, "and keeps seeing it");
    channel.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn make_pipe_builds_the_platform_default_transport() {
    let channel = make_pipe().unwrap();
    assert_eq!(channel.transport(), platform_default());
    if channel.transport() == Transport::Tcp {
        let port: u16 = channel.in_path().parse().expect("a TCP channel's path is its port");
        assert_ne!(port, 0);
        assert_eq!(channel.in_path(), channel.out_path());
    }
}

#[tokio::test(flavor = "current_thread")]
async fn default_transport_pair_exchanges_frames_and_closes() {
    let (channel, client) = connect_pair(make_pipe().unwrap()).await;
    assert_eq!(channel.transport(), platform_default());
    exchange_and_close(channel, client).await;
}

#[tokio::test(flavor = "current_thread")]
async fn tcp_pair_exchanges_frames_and_closes_on_every_platform() {
    let (channel, client) = connect_pair(TcpSocketPipe::new().unwrap().into()).await;
    assert_eq!(channel.transport(), Transport::Tcp);
    exchange_and_close(channel, client).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_port_names_a_tcp_client_on_every_platform() {
    assert_eq!(make_pipe_client("40000", "40000").unwrap().transport(), Transport::Tcp);
    assert_eq!(make_pipe_client("127.0.0.1:40000", "").unwrap().transport(), Transport::Tcp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_transport_pair_works_across_tasks_of_a_multi_thread_runtime() {
    let mut channel = make_pipe().unwrap();
    let mut client = make_pipe_client(channel.out_path(), channel.in_path()).unwrap();
    let peer = tokio::spawn(async move {
        client.connect(TIMEOUT).await.unwrap();
        while let Some(frame) = client.read().await.unwrap() {
            client.write(&frame).await.unwrap();
        }
        client.close().await.unwrap();
    });
    channel.connect(TIMEOUT).await.unwrap();
    for i in 1..=50u32 {
        let frame = i.to_be_bytes().repeat(i as usize);
        channel.write(&frame).await.unwrap();
        assert_eq!(channel.read().await.unwrap().as_deref(), Some(&frame[..]));
    }
    channel.close().await.unwrap();
    peer.await.unwrap();
}
