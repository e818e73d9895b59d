//! `PipeCodec` in `tokio_util::codec::Framed` over `tokio::io::duplex`, a real in-memory byte
//! stream: frames and the close both ways, nothing decoded after the close, typed refusals.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use pipe_tokio::{Error, PipeCodec, Received};
use tokio::io::{AsyncWriteExt, DuplexStream};
use tokio_util::codec::Framed;

fn pair(max: usize) -> (Framed<DuplexStream, PipeCodec>, Framed<DuplexStream, PipeCodec>) {
    // A small duplex buffer, so that frames cross it in many reads.
    let (a, b) = tokio::io::duplex(256);
    (Framed::new(a, PipeCodec::with_max_frame_len(max)), Framed::new(b, PipeCodec::with_max_frame_len(max)))
}

async fn next(framed: &mut Framed<DuplexStream, PipeCodec>) -> Option<Result<Received, Error>> {
    tokio::time::timeout(Duration::from_secs(5), framed.next()).await.expect("the stream answers within 5 s")
}

#[tokio::test]
async fn frames_then_the_close_arrive_in_order_and_the_stream_ends() {
    let (mut a, mut b) = pair(1 << 20);
    let big = Bytes::from(vec![7u8; 100_000]);
    let sender = tokio::spawn(async move {
        a.send(Bytes::from_static(b"one")).await?;
        a.send(&b"two"[..]).await?;
        a.send(Received::Frame(big)).await?;
        a.send(Received::PeerClosed).await?;
        // Bytes after the close, a whole frame and a cut one, then the end of the transport.
        a.get_mut().write_all(b"\0\0\0\x05after\0\0\0\x09cut").await?;
        a.get_mut().shutdown().await?;
        Ok::<_, Error>(())
    });
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame("one".into())));
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame("two".into())));
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame(vec![7u8; 100_000].into())));
    assert!(!b.codec().peer_closed());
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::PeerClosed));
    assert!(b.codec().peer_closed());
    assert!(next(&mut b).await.is_none(), "nothing after the close is decoded, not even the cut frame");
    assert!(next(&mut b).await.is_none(), "and the stream stays ended");
    sender.await.unwrap().unwrap();
}

#[tokio::test]
async fn both_sides_send_and_close() {
    let (mut a, mut b) = pair(1024);
    a.send(Bytes::from_static(b"ping")).await.unwrap();
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame("ping".into())));
    b.send(Bytes::from_static(b"pong")).await.unwrap();
    assert_eq!(next(&mut a).await.transpose().unwrap(), Some(Received::Frame("pong".into())));
    a.send(Received::PeerClosed).await.unwrap();
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::PeerClosed));
    b.send(Received::PeerClosed).await.unwrap();
    SinkExt::<Received>::close(&mut b).await.unwrap();
    assert_eq!(next(&mut a).await.transpose().unwrap(), Some(Received::PeerClosed));
    assert!(next(&mut a).await.is_none());
}

#[tokio::test]
async fn after_the_close_bytes_that_keep_coming_are_discarded_until_the_transport_ends() {
    let (mut a, mut b) = pair(1024);
    a.send(Received::PeerClosed).await.unwrap();
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::PeerClosed));
    for _ in 0..10 {
        a.send(Bytes::from_static(b"late")).await.unwrap();
    }
    // The transport is still open: Framed keeps reading, and the codec drops what it reads.
    let waiting = tokio::time::timeout(Duration::from_millis(100), b.next()).await;
    assert!(waiting.is_err(), "no item: {waiting:?}");
    assert!(b.read_buffer().is_empty(), "what arrived after the close was discarded");
    drop(a);
    assert!(next(&mut b).await.is_none());
}

#[tokio::test]
async fn an_end_at_a_frame_boundary_without_a_close_ends_the_stream_without_peer_closed() {
    let (mut a, mut b) = pair(1024);
    a.send(Bytes::from_static(b"last")).await.unwrap();
    a.get_mut().shutdown().await.unwrap();
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame("last".into())));
    assert!(next(&mut b).await.is_none());
    assert!(!b.codec().peer_closed());
}

#[tokio::test]
async fn an_end_inside_a_frame_is_a_truncated_frame() {
    let (mut a, mut b) = pair(1024);
    a.get_mut().write_all(b"\0\0\0\x0ahello").await.unwrap();
    a.get_mut().shutdown().await.unwrap();
    match next(&mut b).await {
        Some(Err(Error::TruncatedFrame { expected: 14, received: 9 })) => {}
        other => panic!("expected a truncated frame, got {other:?}"),
    }
    assert!(next(&mut b).await.is_none(), "Framed ends after an error");
}

#[tokio::test]
async fn empty_messages_are_refused_and_nothing_is_written() {
    let (mut a, _b) = pair(1024);
    assert!(matches!(a.send(Bytes::new()).await, Err(Error::EmptyFrame)));
    assert!(matches!(a.send(&b""[..]).await, Err(Error::EmptyFrame)));
    assert!(matches!(a.send(Received::Frame(Bytes::new())).await, Err(Error::EmptyFrame)));
    assert!(a.write_buffer().is_empty());
}

#[tokio::test]
async fn oversized_frames_are_refused_both_ways() {
    let (mut a, mut b) = pair(8);
    assert!(matches!(a.send(Bytes::from(vec![1; 9])).await, Err(Error::FrameTooLarge { len: 9, max: 8 })));
    assert!(matches!(a.send(Received::Frame(vec![1; 9].into())).await, Err(Error::FrameTooLarge { len: 9, max: 8 })));
    assert!(a.write_buffer().is_empty());
    a.send(Bytes::from(vec![1; 8])).await.unwrap();
    assert_eq!(next(&mut b).await.transpose().unwrap(), Some(Received::Frame(vec![1; 8].into())));

    // A peer announcing more than the maximum is refused on the header alone.
    a.get_mut().write_all(&[0, 0, 0, 9]).await.unwrap();
    match next(&mut b).await {
        Some(Err(Error::PeerFrameTooLarge { declared: 9, max: 8 })) => {}
        other => panic!("expected an oversized peer frame, got {other:?}"),
    }
}
