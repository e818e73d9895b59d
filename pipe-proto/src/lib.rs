//! The sans-IO core of an AEA-compatible pipe: the length-prefix codec and the connection state
//! machine, with **no IO and no clock**.
//!
//! This crate never touches a file descriptor, a socket, a thread or the system clock. It decides
//! (framing, limits, the connect retry schedule, close semantics, every state change), and an IO
//! owner (`pipe-tokio`, `pipe-smol`, `pipe-async-std`, or your own loop) carries out what it asks
//! and reports what happened, with the current time passed in. That makes every behaviour
//! deterministic: the tests drive two connections against each other with fake time, and the
//! fuzzers feed arbitrary bytes and events.
//!
//! # Wire format
//!
//! The same as Python's `aea.helpers.pipe` and the AEA's Go peer:
//!
//! ```text
//! +--------+--------+--------+--------+-------------------------------+
//! |  length (u32, big-endian)         |  payload: `length` bytes      |
//! +--------+--------+--------+--------+-------------------------------+
//!   00 00 00 05  68 65 6c 6c 6f           a frame carrying "hello"
//!   00 00 00 00                           length 0: the peer closed
//! ```
//!
//! An empty message therefore cannot be sent: [`EncodeError::Empty`] refuses it before any byte
//! is produced. Frames are limited to [`Config::max_frame_len`] ([`DEFAULT_MAX_FRAME_LEN`],
//! 16 MiB; Python has no limit, tokio-util's codec defaults to 8 MiB), checked on the header
//! alone when receiving.
//!
//! # The pieces
//!
//! - [`FrameHeader`], [`encode_into`], [`FrameDecoder`]: the codec on its own. The frame rules on
//!   receipt (zero = close, over the maximum = error) live in one function, [`FrameHeader::parse`].
//! - [`CodecCore`]: what the runtime crates' `PipeCodec` does for a `Framed` stream (decode up to
//!   the close frame and nothing after it; encode [`Received`], the close included).
//! - [`Connection`]: one pipe end from creation to closed. It runs the connect steps and owns a
//!   [`RecvHalf`] (read buffer, decoder, hang-up probe timer) and a [`SendHalf`] (transmit queue,
//!   close), which hold every rule after the connect; [`Connection::into_split`] hands them out
//!   to be driven separately, with the same rules.
//! - [`Inbox`] and [`Outbox`]: the buffers under the halves. Received frames are handed out as
//!   [`Received`] (the payload a `Bytes` of its own) or lent in place as [`ReceivedRef`];
//!   [`IntoFrame`]: what a batch of messages to send may be made of.
//! - [`Failure`], [`Undelivered`] and one error enum per domain.
//! - [`Config`]: frame limit, buffer sizes, retry delays, the hang-up probe.
//!
//! # What each call answers
//!
//! Every situation has one answer, the same on the whole connection and on the split halves:
//!
//! | situation | receive | send | close |
//! |---|---|---|---|
//! | the peer closed (zero frame, or end of stream at a frame boundary) | [`Received::PeerClosed`], on every call | [`SendError::PeerClosed`] (unless [`Config::with_half_close`]); no close marker is sent | `Ok` once the queue is written |
//! | the peer's stream ended inside a frame, or broke the frame rules | [`RecvError::Failed`] with the [`DecodeError`], on every call | the same failure; what was still queued is [`Undelivered`] | `Ok`, or [`SendError::Undelivered`] if frames were lost |
//! | a write failed (the peer is gone) | what the peer sent before, up to its end | [`SendError::Undelivered`] (or [`SendError::Failed`] if nothing was queued), on every call | the same as send if frames were lost, else `Ok` |
//! | this side closed | [`RecvError::ClosedLocally`] | [`SendError::ClosedLocally`] | the first answer again |
//! | connect on a connected pipe | | | [`ConnectError::InvalidState`], or the failure if it failed |
//!
//! The close answers one question: was every frame queued before it handed to the OS? A
//! failure that lost nothing is answered by the calls that meet it.

//! # The canonical driving loop
//!
//! 1. Call [`Connection::connect`] with `now` and the timeout.
//! 2. Take every [`Connection::poll_action`]: a connect step (open an end, accept, dial), a probe
//!    read, a write of [`Connection::io_slices`], the close of the write side. Report each
//!    outcome ([`Connection::handle_event`], [`Connection::handle_written`],
//!    [`Connection::handle_close`], or the errors).
//! 3. When the connection wants bytes, read into [`Connection::read_buf`], report with
//!    [`Connection::handle_read`], and take frames from [`Connection::poll_recv`] until `None`
//!    (or borrow them in place, without an allocation each, from the receive half's
//!    [`RecvHalf::poll_recv_ref`]).
//! 4. Wait for IO readiness or until [`Connection::poll_timeout`]; at the timeout, call
//!    [`Connection::handle_timeout`] with the current time. Go to 2.
//!
//! Here is the loop for two in-memory TCP ends, the channel's accept succeeding at once and the
//! client refused twice before its dial goes through:
//!
//! ```
//! use bytes::Bytes;
//! use pipe_proto::{Action, Config, ConnectAction, Connection, Event, Received, SendAction, Side, State, Transport};
//! use std::io::IoSlice;
//! use std::time::{Duration, Instant};
//!
//! let mut now = Instant::now();
//! let mut channel = Connection::new(Transport::Tcp, Side::Channel, Config::default());
//! let mut client = Connection::new(Transport::Tcp, Side::Client, Config::default());
//! channel.connect(now, Duration::from_secs(10))?;
//! client.connect(now, Duration::from_secs(10))?;
//!
//! let mut refusals = 2;
//! while client.state() != State::Open {
//!     while let Some(action) = client.poll_action() {
//!         assert_eq!(action, Action::Connect(ConnectAction::Dial));
//!         let event = if refusals > 0 { refusals -= 1; Event::NotReady } else { Event::Done };
//!         client.handle_event(now, event);
//!     }
//!     if let Some(deadline) = client.poll_timeout() {
//!         now = deadline; // a real loop sleeps until then
//!         client.handle_timeout(now);
//!     }
//! }
//! assert_eq!(channel.poll_action(), Some(Action::Connect(ConnectAction::Accept)));
//! channel.handle_event(now, Event::Done);
//! assert_eq!(channel.poll_action(), Some(Action::Connect(ConnectAction::StopListening)));
//!
//! // The client sends two frames and closes; the "wire" is a Vec.
//! client.send(Bytes::from_static(b"hello"))?;
//! client.send_slice(b"world")?;
//! client.close();
//! let mut wire = Vec::new();
//! while let Some(action) = client.poll_action() {
//!     match action {
//!         Action::Send(SendAction::Transmit) => {
//!             let mut slices = [IoSlice::new(&[]); 16];
//!             let n = client.io_slices(&mut slices);
//!             let before = wire.len();
//!             for slice in &slices[..n] {
//!                 wire.extend_from_slice(slice);
//!             }
//!             client.handle_written(wire.len() - before);
//!         }
//!         Action::Send(SendAction::CloseWrite) => {
//!             // shutdown(Write) on the socket, then report how it went
//!             client.handle_close(Ok(()));
//!         }
//!         other => unreachable!("{other:?}"),
//!     }
//! }
//! assert_eq!(client.state(), State::Closed);
//! assert_eq!(client.poll_close(), Some(Ok(())), "everything queued was handed to the OS");
//!
//! // The channel reads what arrived, then the end of the stream.
//! let space = channel.read_buf();
//! space[..wire.len()].copy_from_slice(&wire);
//! channel.handle_read(wire.len());
//! channel.handle_read(0);
//! let mut received = Vec::new();
//! while let Some(result) = channel.poll_recv() {
//!     match result? {
//!         Received::Frame(payload) => received.push(payload),
//!         Received::PeerClosed => break,
//!     }
//! }
//! assert_eq!(received, ["hello", "world"]);
//! assert!(channel.peer_closed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod codec;
mod config;
mod connect_action;
mod connection;
mod decoder;
mod error;
mod frame;
mod inbox;
mod into_frame;
mod link;
mod outbox;
mod recv;
mod retry;
mod send;
mod state;
mod transport;

pub use codec::CodecCore;
pub use config::{Config, DEFAULT_FIFO_HANGUP_PROBE, DEFAULT_MAX_FRAME_LEN};
pub use connect_action::ConnectAction;
pub use connection::{Action, Connection, Event};
pub use decoder::{FrameDecoder, Received, ReceivedRef};
pub use error::{ConnectError, DecodeError, EncodeError, Failure, RecvError, SendError, Undelivered};
pub use frame::{encode_into, FrameHeader, Header, CLOSE_FRAME, HEADER_LEN, WIRE_MAX_FRAME_LEN};
pub use inbox::Inbox;
pub use into_frame::IntoFrame;
pub use outbox::Outbox;
pub use recv::{RecvAction, RecvHalf};
pub use send::{SendAction, SendHalf};
pub use state::State;
pub use transport::{Side, Transport};

#[cfg(test)]
mod tests;
