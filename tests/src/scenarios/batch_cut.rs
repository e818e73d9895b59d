//! A batch cut by the peer's death: the peer stops reading, the batch fills the OS buffers and
//! waits, the peer dies. Every message the batch took is then either with the OS (lost with the
//! dead peer, as documented) or counted in `Error::Undelivered` and kept, in order: given back by
//! `take_unsent`, or sent first, whole and once, to the next peer after `reconnect`. The same for
//! `write_batch` on the pipe and on a split writer, and for the `Sink`'s `send_all`, where the
//! messages the sink did not take stay in the caller's stream.
//!
//! A batch begun before the peer's close arrived is not stopped by it: the peer that still reads
//! gets all of it.
//!
//! The peer "dies" as a process does: its pipe is dropped without a close, with unread data in
//! the FIFO or the socket (a TCP peer then resets the connection).

use std::time::Duration;

use bytes::Bytes;
use futures_util::future::join;
use futures_util::{stream, SinkExt, StreamExt};
use pipe_io::{Config, Error, Runtime};

use super::support::{connected, sleep, undelivered_by_os, within, Frames, Kind, CONNECT_TIMEOUT, SCENARIO_LIMIT};

/// Messages in the batch: 20 MiB in all, more than a FIFO or a loopback socket holds, so that
/// the batch is still being written when the peer dies.
const COUNT: usize = 20;
const LEN: usize = 1 << 20;

/// How long the peer stays, not reading, before it dies: time for the writer to fill the OS
/// buffers and wait. (If it died sooner, the batch would be cut all the same.)
const PEER_LIFETIME: Duration = Duration::from_millis(300);

fn batch() -> Vec<Bytes> {
    let frames = Frames::new(LEN);
    (0..COUNT).map(|k| frames.frame(k, LEN)).collect()
}

/// Which message of `batch` each of `messages` is (`None`: none of them), so that a failure
/// prints indices, not megabytes.
fn indices(batch: &[Bytes], messages: &[Bytes]) -> Vec<Option<usize>> {
    messages.iter().map(|m| batch.iter().position(|b| b == m)).collect()
}

/// The batch's answer: an `Undelivered` from the OS's error; how many messages it counts.
fn counted<K: Kind>(result: Result<(), Error>, what: &str) -> usize {
    let err = match result {
        Ok(()) => panic!("{}: {what} to a peer that died mid-batch answered Ok", K::NAME),
        Err(err) => err,
    };
    let Some((frames, _kind)) = undelivered_by_os(&err) else {
        panic!("{}: {what} answered {err:?}, not the messages it could not deliver", K::NAME)
    };
    assert!((1..=COUNT).contains(&frames), "{}: {what} counted {frames} of {COUNT} messages", K::NAME);
    frames
}

/// `write_batch` on the pipe, cut by the peer's death; then `reconnect` and a new peer: it gets
/// exactly the messages counted, once each, in order, then the next message.
pub async fn a_batch_cut_by_a_dead_peer_reaches_the_next_peer_whole_once_in_order<R: Runtime, K: Kind>() {
    let (mut channel, client) = connected::<R, K>().await;
    let batch = batch();
    let die = async move {
        sleep::<R>(PEER_LIFETIME).await;
        drop(client);
    };
    let (result, ()) =
        join(within::<R, _>(SCENARIO_LIMIT, "the cut batch", channel.write_batch(batch.clone())), die).await;
    let lost = counted::<K>(result, "write_batch");

    let mut client = K::client::<R>(channel.out_path(), channel.in_path(), Config::default()).expect("a new client");
    let (a, b) = join(channel.reconnect(CONNECT_TIMEOUT), client.connect(CONNECT_TIMEOUT)).await;
    a.unwrap_or_else(|err| panic!("{}: reconnect: {err}", K::NAME));
    b.unwrap_or_else(|err| panic!("{}: the new client's connect: {err}", K::NAME));

    let next = Bytes::from_static(b"the message after the batch");
    let mut expected: Vec<Option<usize>> = (COUNT - lost..COUNT).map(Some).collect();
    expected.push(None);
    let send = async {
        channel.write_bytes(next.clone()).await.unwrap_or_else(|err| panic!("{}: the next write: {err}", K::NAME));
        channel.close().await.unwrap_or_else(|err| panic!("{}: close: {err}", K::NAME));
    };
    let receive = async {
        let mut got = Vec::new();
        while let Some(message) = client.read().await.unwrap_or_else(|err| panic!("{}: read: {err}", K::NAME)) {
            got.push(message);
        }
        got
    };
    let ((), got) = within::<R, _>(SCENARIO_LIMIT, "the new peer's reads", join(send, receive)).await;
    assert_eq!(got.last(), Some(&next), "{}: the next message comes last", K::NAME);
    assert_eq!(
        indices(&batch, &got),
        expected,
        "{}: the new peer gets the {lost} messages counted, once each, in order, then the next one",
        K::NAME
    );
}

/// `write_batch` on a split writer, cut by the peer's death: `take_unsent` gives back exactly
/// the messages counted, the last ones of the batch, in order.
pub async fn a_split_writer_s_batch_cut_by_a_dead_peer_is_given_back_whole<R: Runtime, K: Kind>() {
    let (channel, client) = connected::<R, K>().await;
    let (_reader, mut writer) = channel.into_split().unwrap_or_else(|err| panic!("{}: split: {err}", K::NAME));
    let batch = batch();
    let die = async move {
        sleep::<R>(PEER_LIFETIME).await;
        drop(client);
    };
    let (result, ()) =
        join(within::<R, _>(SCENARIO_LIMIT, "the cut batch", writer.write_batch(batch.clone())), die).await;
    let lost = counted::<K>(result, "the split writer's write_batch");
    let expected: Vec<Option<usize>> = (COUNT - lost..COUNT).map(Some).collect();
    assert_eq!(indices(&batch, &writer.take_unsent()), expected, "{}: the {lost} messages counted, in order", K::NAME);
}

/// The `Sink`'s `send_all`, cut by the peer's death: the messages it took from the stream and
/// did not hand to the OS are counted and given back; the others are still in the stream.
pub async fn a_sink_s_send_all_cut_by_a_dead_peer_counts_every_message_it_took<R: Runtime, K: Kind>() {
    let (mut channel, client) = connected::<R, K>().await;
    let batch = batch();
    let mut messages = stream::iter(batch.clone().into_iter().map(Ok::<Bytes, Error>));
    let die = async move {
        sleep::<R>(PEER_LIFETIME).await;
        drop(client);
    };
    let (result, ()) =
        join(within::<R, _>(SCENARIO_LIMIT, "the cut send_all", channel.send_all(&mut messages)), die).await;
    let lost = counted::<K>(result, "send_all");
    let left: Vec<Bytes> = messages.map(|m| m.expect("the stream yields messages")).collect().await;
    let taken = COUNT - left.len();
    assert!(lost <= taken, "{}: {lost} counted of the {taken} taken", K::NAME);
    let expected: Vec<Option<usize>> = (taken - lost..taken).map(Some).collect();
    assert_eq!(
        indices(&batch, &channel.take_unsent()),
        expected,
        "{}: send_all took {taken} messages: those not handed to the OS are counted and given back",
        K::NAME
    );
    assert_eq!(indices(&batch, &left), (taken..COUNT).map(Some).collect::<Vec<_>>(), "{}: the rest", K::NAME);
}

/// A split channel's batch waits for room when the peer's close arrives (the client closed its
/// writer and still reads): the batch is not stopped by it, and the client gets every message.
pub async fn a_batch_begun_before_the_peer_s_close_arrived_is_delivered_whole<R: Runtime, K: Kind>() {
    let (channel, client) = connected::<R, K>().await;
    let (mut channel_reader, mut channel_writer) =
        channel.into_split().unwrap_or_else(|err| panic!("{}: split the channel: {err}", K::NAME));
    let (mut client_reader, mut client_writer) =
        client.into_split().unwrap_or_else(|err| panic!("{}: split the client: {err}", K::NAME));
    let batch = batch();
    let peer = async {
        sleep::<R>(PEER_LIFETIME).await; // the batch waits for room by then
        client_writer.close().await.unwrap_or_else(|err| panic!("{}: the client's close: {err}", K::NAME));
        let close = channel_reader.read().await.unwrap_or_else(|err| panic!("{}: read: {err}", K::NAME));
        assert!(close.is_none(), "{}: the channel reads the client's close", K::NAME);
        let mut got = Vec::new();
        for _ in 0..COUNT {
            match client_reader.read().await {
                Ok(Some(message)) => got.push(message),
                other => panic!("{}: the client's read after {} messages: {other:?}", K::NAME, got.len()),
            }
        }
        got
    };
    let writer = async {
        let sent = channel_writer.write_batch(batch.clone()).await;
        if sent.is_err() {
            // A batch that stopped short: the client is told by the end of the stream at once.
            let _ = channel_writer.close().await;
        }
        sent
    };
    let (sent, got) = within::<R, _>(SCENARIO_LIMIT, "the batch", join(writer, peer)).await;
    sent.unwrap_or_else(|err| panic!("{}: a batch begun before the peer's close answered {err}", K::NAME));
    assert_eq!(indices(&batch, &got), (0..COUNT).map(Some).collect::<Vec<_>>(), "{}: every message, in order", K::NAME);
}
