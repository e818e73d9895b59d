//! The re-exported `PipeCodec` in `asynchronous_codec::Framed` over async-std's own TCP sockets:
//! frames and the close, then the end of the stream.

use asynchronous_codec::Framed;
use futures_util::io::AsyncWriteExt;
use futures_util::{SinkExt, StreamExt};
use pipe_async_std::{Error, PipeCodec, Received};

#[async_std::test]
async fn frames_then_the_close_over_async_std_tcp() -> Result<(), Error> {
    let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
    let a = async_std::net::TcpStream::connect(listener.local_addr()?).await?;
    let (b, _) = listener.accept().await?;
    let mut a = Framed::new(a, PipeCodec::new());
    let mut b = Framed::new(b, PipeCodec::new());

    // The sender runs as its own task: the large frame does not fit the socket buffers.
    let sender = async_std::task::spawn(async move {
        a.send(Received::Frame("one".into())).await?;
        a.send(Received::Frame(vec![3; 200_000].into())).await?;
        a.send(Received::PeerClosed).await?;
        (*a).write_all(b"\0\0\0\x05after").await?; // never decoded
        a.close().await
    });

    assert_eq!(b.next().await.transpose()?, Some(Received::Frame("one".into())));
    assert_eq!(b.next().await.transpose()?, Some(Received::Frame(vec![3; 200_000].into())));
    assert_eq!(b.next().await.transpose()?, Some(Received::PeerClosed));
    assert_eq!(b.next().await.transpose()?, None);
    assert!(b.codec().peer_closed());
    sender.await
}

#[async_std::test]
async fn empty_messages_are_refused() {
    let mut out = asynchronous_codec::FramedWrite::new(Vec::new(), PipeCodec::new());
    assert!(matches!(out.send(Received::Frame("".into())).await, Err(Error::EmptyFrame)));
}
