//! `PipeCodec` in `asynchronous_codec::Framed` over real futures-io byte streams (a Unix socket
//! pair, a loopback TCP connection): frames and the close both ways, nothing decoded after the
//! close, typed refusals. The same cases as pipe-tokio's codec tests.

use std::time::Duration;

use asynchronous_codec::Framed;
use bytes::Bytes;
use futures_lite::future;
use futures_util::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use futures_util::{SinkExt, StreamExt};
use pipe_smol::{Error, PipeCodec, Received};

async fn tcp_pair() -> (async_net::TcpStream, async_net::TcpStream) {
    let listener = async_net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = async_net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (b, _) = listener.accept().await.unwrap();
    (a, b)
}

async fn next<S: AsyncRead + AsyncWrite + Unpin>(framed: &mut Framed<S, PipeCodec>) -> Option<Result<Received, Error>> {
    future::or(framed.next(), async {
        smol::Timer::after(Duration::from_secs(5)).await;
        panic!("the stream did not answer within 5 s")
    })
    .await
}

async fn frames_then_the_close_arrive_in_order_and_the_stream_ends<S>(a: S, b: S)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut a, mut b) = (Framed::new(a, PipeCodec::new()), Framed::new(b, PipeCodec::new()));
    let big = Bytes::from(vec![7u8; 300_000]);
    let sender = smol::spawn(async move {
        a.send(Bytes::from_static(b"one").into()).await?;
        a.send(Received::Frame(big)).await?;
        a.send(Received::PeerClosed).await?;
        // Bytes after the close, a whole frame and a cut one, then the end of the transport.
        (*a).write_all(b"\0\0\0\x05after\0\0\0\x09cut").await?;
        a.close().await?;
        Ok::<_, Error>(())
    });
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame("one".into())));
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame(vec![7u8; 300_000].into())));
    assert!(!b.codec().peer_closed());
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::PeerClosed));
    assert!(b.codec().peer_closed());
    assert!(next(&mut b).await.is_none(), "nothing after the close is decoded, not even the cut frame");
    assert!(next(&mut b).await.is_none(), "and the stream stays ended");
    sender.await.unwrap();
}

async fn an_end_inside_a_frame_is_a_truncated_frame<S: AsyncRead + AsyncWrite + Unpin>(mut a: S, b: S) {
    let mut b = Framed::new(b, PipeCodec::new());
    a.write_all(b"\0\0\0\x0ahello").await.unwrap();
    a.close().await.unwrap();
    match next(&mut b).await {
        Some(Err(Error::TruncatedFrame { expected: 14, received: 9 })) => {}
        other => panic!("expected a truncated frame, got {other:?}"),
    }
}

async fn an_end_right_after_a_header_is_a_truncated_frame<S: AsyncRead + AsyncWrite + Unpin>(mut a: S, b: S) {
    let mut b = Framed::new(b, PipeCodec::new());
    a.write_all(b"\0\0\0\x0a").await.unwrap();
    a.close().await.unwrap();
    match next(&mut b).await {
        Some(Err(Error::TruncatedFrame { expected: 14, received: 4 })) => {}
        other => panic!("expected a truncated frame, got {other:?}"),
    }
}

#[cfg(unix)]
#[test]
fn unix_frames_then_the_close_arrive_in_order_and_the_stream_ends() {
    let (a, b) = async_net::unix::UnixStream::pair().unwrap();
    smol::block_on(frames_then_the_close_arrive_in_order_and_the_stream_ends(a, b));
}

#[test]
fn tcp_frames_then_the_close_arrive_in_order_and_the_stream_ends() {
    smol::block_on(async {
        let (a, b) = tcp_pair().await;
        frames_then_the_close_arrive_in_order_and_the_stream_ends(a, b).await;
    });
}

#[cfg(unix)]
#[test]
fn unix_an_end_inside_a_frame_is_a_truncated_frame() {
    let (a, b) = async_net::unix::UnixStream::pair().unwrap();
    smol::block_on(an_end_inside_a_frame_is_a_truncated_frame(a, b));
}

#[cfg(unix)]
#[test]
fn unix_an_end_right_after_a_header_is_a_truncated_frame() {
    let (a, b) = async_net::unix::UnixStream::pair().unwrap();
    smol::block_on(an_end_right_after_a_header_is_a_truncated_frame(a, b));
}

#[test]
fn tcp_an_end_inside_a_frame_is_a_truncated_frame() {
    smol::block_on(async {
        let (a, b) = tcp_pair().await;
        an_end_inside_a_frame_is_a_truncated_frame(a, b).await;
    });
}

#[test]
fn tcp_an_end_right_after_a_header_is_a_truncated_frame() {
    smol::block_on(async {
        let (a, b) = tcp_pair().await;
        an_end_right_after_a_header_is_a_truncated_frame(a, b).await;
    });
}

#[test]
fn tcp_both_sides_send_and_close() {
    smol::block_on(async {
        let (a, b) = tcp_pair().await;
        let (mut a, mut b) = (Framed::new(a, PipeCodec::new()), Framed::new(b, PipeCodec::new()));
        a.send(Received::Frame("ping".into())).await.unwrap();
        assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame("ping".into())));
        b.send(Received::Frame("pong".into())).await.unwrap();
        assert_eq!(next(&mut a).await.transpose().unwrap(), Some(Received::Frame("pong".into())));
        a.send(Received::PeerClosed).await.unwrap();
        assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::PeerClosed));
        b.send(Received::PeerClosed).await.unwrap();
        b.close().await.unwrap();
        assert_eq!(next(&mut a).await.transpose().unwrap(), Some(Received::PeerClosed));
        assert!(next(&mut a).await.is_none());
    });
}

#[test]
fn tcp_after_the_close_bytes_that_keep_coming_are_discarded_until_the_transport_ends() {
    smol::block_on(async {
        let (a, b) = tcp_pair().await;
        let (mut a, mut b) = (Framed::new(a, PipeCodec::new()), Framed::new(b, PipeCodec::new()));
        a.send(Received::PeerClosed).await.unwrap();
        assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::PeerClosed));
        for _ in 0..10 {
            a.send(Received::Frame("late".into())).await.unwrap();
        }
        // The transport is still open: Framed keeps reading, and the codec drops what it reads.
        let waiting = future::or(async { Some(b.next().await) }, async {
            smol::Timer::after(Duration::from_millis(100)).await;
            None
        })
        .await;
        assert!(waiting.is_none(), "no item: {waiting:?}");
        assert!(b.read_buffer().is_empty(), "what arrived after the close was discarded");
        a.close().await.unwrap();
        assert!(next(&mut b).await.is_none());
    });
}

#[test]
fn empty_and_oversized_messages_are_refused_and_nothing_is_written() {
    smol::block_on(async {
        let (a, b) = tcp_pair().await;
        let mut a = Framed::new(a, PipeCodec::with_max_frame_len(8));
        let mut b = Framed::new(b, PipeCodec::with_max_frame_len(8));
        assert!(matches!(a.send(Received::Frame(Bytes::new())).await, Err(Error::EmptyFrame)));
        assert!(matches!(a.send(Bytes::new().into()).await, Err(Error::EmptyFrame)));
        assert!(matches!(
            a.send(Received::Frame(vec![1; 9].into())).await,
            Err(Error::FrameTooLarge { len: 9, max: 8 })
        ));
        a.send(Received::Frame(vec![1; 8].into())).await.unwrap();
        assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame(vec![1; 8].into())));

        // A peer announcing more than the maximum is refused on the header alone.
        (*a).write_all(&[0, 0, 0, 9]).await.unwrap();
        match next(&mut b).await {
            Some(Err(Error::PeerFrameTooLarge { declared: 9, max: 8 })) => {}
            other => panic!("expected an oversized peer frame, got {other:?}"),
        }
    });
}
