//! The user programs on async-std, with only `pipe-async-std` and `async-std`.

use std::time::Duration;

use pipe_async_std::prelude::*;
use pipe_async_std::{make_pipe_client_with_config, make_pipe_with_config, Bytes, Config, Error, TcpSocketPipe};

const TIMEOUT: Duration = Duration::from_secs(10);

async fn pair() -> (TcpSocketPipe, TcpSocketPipe) {
    let mut channel = TcpSocketPipe::new().expect("channel");
    let mut client = TcpSocketPipe::client(channel.out_path(), channel.in_path()).expect("client");
    let accepting = async_std::task::spawn(async move { channel.connect(TIMEOUT).await.map(|()| channel) });
    client.connect(TIMEOUT).await.expect("client connects");
    let channel = accepting.await.expect("channel connects");
    (channel, client)
}

#[test]
fn split_halves_in_two_tasks_with_select() {
    async_std::task::block_on(async {
        let (mut channel, client) = pair().await;
        let (mut reader, mut writer) = client.into_split().expect("split");
        let writing = async_std::task::spawn(async move {
            for i in 0..100u32 {
                writer.write(&i.to_be_bytes()).await?;
            }
            writer.close().await
        });
        let echo = async_std::task::spawn(async move {
            while let Some(message) = channel.read().await? {
                channel.write_bytes(message).await?;
            }
            channel.close().await
        });
        let mut got = Vec::new();
        loop {
            // `select!` on async-std: the next message, or a timer tick, whichever comes first.
            match async_std::future::timeout(Duration::from_millis(5), reader.next()).await {
                Ok(Some(message)) => got.push(message.expect("a message")),
                Ok(None) => break,
                Err(_tick) => {}
            }
        }
        writing.await.expect("writer");
        echo.await.expect("echo");
        let expected: Vec<Bytes> = (0..100u32).map(|i| Bytes::copy_from_slice(&i.to_be_bytes())).collect();
        assert_eq!(got, expected);
    })
}

#[test]
fn stream_and_sink_combinators_on_the_whole_pipe_and_on_the_halves() {
    async_std::task::block_on(async {
        let (mut channel, mut client) = pair().await;
        client.feed(Bytes::from_static(b"fed")).await.expect("feed");
        let mut more = futures_iter(["a", "b"]);
        client.send_all(&mut more).await.expect("send_all");
        client.close().await.expect("close");
        let all: Vec<Bytes> = (&mut channel).try_collect().await.expect("try_collect");
        assert_eq!(all, ["fed", "a", "b"]);
        channel.close().await.expect("close");

        let (channel, client) = pair().await;
        let (channel_reader, channel_writer) = channel.into_split().expect("split");
        let (client_reader, mut client_writer) = client.into_split().expect("split");
        // The channel forwards what it reads back to the client.
        let forwarding = async_std::task::spawn(channel_reader.forward(channel_writer));
        client_writer.send_all(&mut futures_iter(["x", "y", "z"])).await.expect("send_all");
        client_writer.close().await.expect("close");
        forwarding.await.expect("forward");
        let echoed: Vec<Bytes> = client_reader.try_collect().await.expect("try_collect");
        assert_eq!(echoed, ["x", "y", "z"]);
    })
}

#[test]
fn reunite_gives_the_pipe_back() {
    async_std::task::block_on(async {
        let (mut channel, client) = pair().await;
        let (reader, mut writer) = client.into_split().expect("split");
        writer.write(b"from the half").await.expect("write");
        let mut client = reader.reunite(writer).expect("the halves of one pipe");
        client.write(b"from the whole").await.expect("write");
        assert_eq!(channel.read().await.expect("read").as_deref(), Some(&b"from the half"[..]));
        assert_eq!(channel.read().await.expect("read").as_deref(), Some(&b"from the whole"[..]));
    })
}

#[test]
fn a_configured_default_pipe_and_matching_errors() {
    async_std::task::block_on(async {
        let config = Config::default().with_max_frame_len(1024);
        let mut channel = make_pipe_with_config(config.clone()).expect("channel");
        let mut client = make_pipe_client_with_config(channel.out_path(), channel.in_path(), config).expect("client");
        let accepting = async_std::task::spawn(async move { channel.connect(TIMEOUT).await.map(|()| channel) });
        client.connect(TIMEOUT).await.expect("client connects");
        let _channel = accepting.await.expect("channel connects");
        assert!(matches!(client.write(b"").await, Err(Error::EmptyFrame)));
        assert!(matches!(client.write(&[0; 1025]).await, Err(Error::FrameTooLarge { len: 1025, max: 1024 })));

        let mut lonely = TcpSocketPipe::new().expect("channel");
        match lonely.connect(Duration::from_millis(50)).await {
            Err(Error::Timeout { timeout, .. }) => assert_eq!(timeout, Duration::from_millis(50)),
            other => panic!("a connect with no peer: {other:?}"),
        }
    })
}

/// A stream of `Ok` messages, for `send_all`.
fn futures_iter<const N: usize>(items: [&'static str; N]) -> impl Stream<Item = Result<Bytes, Error>> + Unpin {
    stream::iter(items.map(|item| Ok(Bytes::from(item))))
}

#[cfg(unix)]
#[test]
fn the_codec_over_a_socket_pair_sends_the_close_and_its_stream_ends_there() {
    use pipe_async_std::{Framed, PipeCodec, Received};
    async_std::task::block_on(async {
        let (a, b) = async_std::os::unix::net::UnixStream::pair().expect("a socket pair");
        let mut a = Framed::new(a, PipeCodec::new());
        let mut b = Framed::new(b, PipeCodec::new());
        a.send(Received::Frame(Bytes::from_static(b"hi"))).await.expect("send");
        a.send(Received::PeerClosed).await.expect("send the close");
        drop(a); // the transport ends, as a peer's does after its close
        assert_eq!(b.next().await.transpose().expect("decode"), Some(Received::Frame("hi".into())));
        assert_eq!(b.next().await.transpose().expect("decode"), Some(Received::PeerClosed));
        assert!(b.next().await.is_none(), "the stream ends after the close");
    })
}
