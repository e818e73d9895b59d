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
//! - [`FrameHeader`], [`encode_into`], [`FrameDecoder`]: the codec on its own.
//! - [`Connection`]: one pipe end from creation to closed; it owns an [`Inbox`] (read buffer and
//!   decoder) and an [`Outbox`] (transmit queue with a high-water mark), which
//!   [`Connection::into_split`] hands out to drive separately.
//! - [`Config`]: frame limit, buffer sizes, retry delays.
//!
//! # The canonical driving loop
//!
//! 1. Call [`Connection::connect`] with `now` and the timeout.
//! 2. Take every [`Connection::poll_action`]: open an end, accept, dial, write
//!    [`Connection::io_slices`], close the write side. Report each outcome
//!    ([`Connection::handle_event`], [`Connection::handle_written`]).
//! 3. When the connection wants bytes, read into [`Connection::read_buf`], report with
//!    [`Connection::handle_read`], and take frames from [`Connection::poll_recv`] until `None`.
//! 4. Wait for IO readiness or until [`Connection::poll_timeout`]; at the timeout, call
//!    [`Connection::handle_timeout`] with the current time. Go to 2.
//!
//! Here is the loop for two in-memory TCP ends, the channel's accept succeeding at once and the
//! client refused twice before its dial goes through:
//!
//! ```
//! use bytes::Bytes;
//! use pipe_proto::{Action, Config, Connection, Event, Received, Side, State, Transport};
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
//!         assert_eq!(action, Action::Dial);
//!         let event = if refusals > 0 { refusals -= 1; Event::NotReady } else { Event::Done };
//!         client.handle_event(now, event);
//!     }
//!     if let Some(deadline) = client.poll_timeout() {
//!         now = deadline; // a real loop sleeps until then
//!         client.handle_timeout(now);
//!     }
//! }
//! assert_eq!(channel.poll_action(), Some(Action::Accept));
//! channel.handle_event(now, Event::Done);
//! assert_eq!(channel.poll_action(), Some(Action::StopListening));
//!
//! // The client sends two frames and closes; the "wire" is a Vec.
//! client.send(Bytes::from_static(b"hello"))?;
//! client.send_slice(b"world")?;
//! client.close();
//! let mut wire = Vec::new();
//! while let Some(action) = client.poll_action() {
//!     match action {
//!         Action::Transmit => {
//!             let mut slices = [IoSlice::new(&[]); 16];
//!             let n = client.io_slices(&mut slices);
//!             let before = wire.len();
//!             for slice in &slices[..n] {
//!                 wire.extend_from_slice(slice);
//!             }
//!             client.handle_written(wire.len() - before);
//!         }
//!         Action::CloseWrite => { /* shutdown(Write) on the socket */ }
//!         other => unreachable!("{other:?}"),
//!     }
//! }
//! assert_eq!(client.state(), State::Closed);
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
//!         Received::Closed => break,
//!     }
//! }
//! assert_eq!(received, ["hello", "world"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod config;
mod connection;
mod decoder;
mod error;
mod frame;
mod inbox;
mod outbox;
mod retry;

pub use config::{Config, DEFAULT_FIFO_HANGUP_PROBE, DEFAULT_MAX_FRAME_LEN};
pub use connection::{Action, Connection, Event, Failure, Side, State, Transport};
pub use decoder::{FrameDecoder, Received};
pub use error::{ConnectError, DecodeError, EncodeError, RecvError, SendError};
pub use frame::{encode_into, FrameHeader, CLOSE_FRAME, HEADER_LEN, WIRE_MAX_FRAME_LEN};
pub use inbox::Inbox;
pub use outbox::Outbox;

#[cfg(test)]
mod tests;
