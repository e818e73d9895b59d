//! An in-memory pair of connections, driven step by step with fake time.
//!
//! [`Pair`] plays the IO owner of both ends: it answers every [`Action`] the way the OS would for
//! the transport (see [`Peer::drive`]), carries the written bytes to the other end, reads them in
//! chunks of [`Peer::max_read`] bytes, and moves time only when a test asks for it
//! ([`Pair::advance`], [`Pair::step_time`]).

use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::BufMut;

use crate::{
    Action, Config, ConnectAction, Connection, Event, Failure, Received, RecvAction, RecvError, SendAction, Side,
    State, Transport,
};

/// A connection plus what the OS and the wire look like from its side.
#[derive(Debug)]
pub(super) struct Peer {
    pub(super) conn: Connection,
    /// Bytes the other end wrote that this end has not read yet (the pipe or socket buffer).
    pub(super) inbound: VecDeque<u8>,
    /// Most bytes `inbound` may hold (the OS buffer size); writes beyond it would block.
    pub(super) capacity: usize,
    /// Most bytes one write call accepts (partial writes below the frame size).
    pub(super) max_write: usize,
    /// Most bytes one read call returns.
    pub(super) max_read: usize,
    /// This end does not read (its application is busy): the other end's writes fill `capacity`.
    pub(super) reads_paused: bool,
    /// Reads go through `read_buf_uninit` (as tokio's `read_buf` would) instead of `read_buf`.
    pub(super) uninit_reads: bool,
    /// Every byte this end wrote, in order.
    pub(super) wire: Vec<u8>,
    /// The byte count of every write call this end made.
    pub(super) writes: Vec<usize>,
    /// Every action this end was handed, in order.
    pub(super) actions: Vec<Action>,
    /// Frames and closes delivered by `poll_recv`, in order.
    pub(super) received: Vec<Received>,
    /// The error that ended receiving, if one did.
    pub(super) recv_error: Option<RecvError>,
    /// FIFO: the read end is open. TCP: the socket is connected.
    pub(super) read_end_open: bool,
    /// FIFO: the write end is open. TCP: the socket is connected.
    pub(super) write_end_open: bool,
    /// The write side was closed (FIFO: write end closed, TCP: shutdown(Write)).
    pub(super) write_end_closed: bool,
    /// TCP channel: the listener accepts dials.
    pub(super) listening: bool,
    /// TCP channel: a dialled connection waits in the listener's backlog.
    backlog: bool,
    /// TCP channel: an `Accept` was handed out and waits for a dial.
    accept_pending: bool,
    /// `poll_recv` reached a close or an error (which it would repeat forever).
    recv_done: bool,
    /// This end's read end is closed (the process died, or dropped it): writes to it fail with
    /// `EPIPE`.
    pub(super) read_end_gone: bool,
    /// This end's write side is gone, but the OS hides it from a waiting reader (macOS and a
    /// FIFO writer's hang-up): only a probe read sees the end of the stream.
    pub(super) write_end_hidden: bool,
    /// What the OS answers to this end's close of its write side.
    pub(super) close_result: Result<(), Failure>,
    /// Hang-up probes carried out.
    pub(super) probes: usize,
}

impl Peer {
    pub(super) fn new(transport: Transport, side: Side, config: Config) -> Self {
        Self {
            conn: Connection::new(transport, side, config),
            inbound: VecDeque::new(),
            capacity: usize::MAX,
            max_write: usize::MAX,
            max_read: usize::MAX,
            reads_paused: false,
            uninit_reads: false,
            wire: Vec::new(),
            writes: Vec::new(),
            actions: Vec::new(),
            received: Vec::new(),
            recv_error: None,
            read_end_open: false,
            write_end_open: false,
            write_end_closed: false,
            // The channel binds its listener when it is created, before connecting.
            listening: transport == Transport::Tcp && side == Side::Channel,
            backlog: false,
            accept_pending: false,
            recv_done: false,
            read_end_gone: false,
            write_end_hidden: false,
            close_result: Ok(()),
            probes: 0,
        }
    }

    /// Starts a reconnect of this end on the same rendezvous, as the IO owner does: the old
    /// connection's OS objects are closed first, so nothing of it is read or written again.
    pub(super) fn reconnect(&mut self, now: Instant, timeout: Duration) -> Result<(), crate::ConnectError> {
        self.conn.reconnect(now, timeout)?;
        self.inbound.clear();
        self.read_end_open = false;
        self.write_end_open = false;
        self.write_end_closed = false;
        self.write_end_hidden = false;
        self.read_end_gone = false;
        self.backlog = false;
        self.accept_pending = false;
        self.recv_done = false;
        self.recv_error = None;
        Ok(())
    }

    /// The payloads received so far, closes left out.
    pub(super) fn frames(&self) -> Vec<Vec<u8>> {
        self.received
            .iter()
            .filter_map(|r| match r {
                Received::Frame(payload) => Some(payload.to_vec()),
                Received::PeerClosed => None,
            })
            .collect()
    }

    /// Carries out everything `self.conn` asks for, as the OS would with `other` as the peer,
    /// then reads what arrived and takes every frame. Returns whether anything changed. Bounded:
    /// a connection that keeps asking without progress fails the test instead of spinning.
    pub(super) fn drive(&mut self, other: &mut Peer, now: Instant) -> bool {
        let mut progress = false;
        let mut steps = 0;
        while let Some(action) = self.conn.poll_action() {
            steps += 1;
            assert!(steps <= MAX_ACTIONS_PER_DRIVE, "{MAX_ACTIONS_PER_DRIVE} actions in one drive: {:?}", self.actions);
            self.actions.push(action);
            match action {
                Action::Connect(ConnectAction::OpenRead) => {
                    self.read_end_open = true;
                    self.conn.handle_event(now, Event::Done);
                }
                Action::Connect(ConnectAction::OpenWrite) => {
                    // ENXIO until the peer's read end is open.
                    if other.read_end_open {
                        self.write_end_open = true;
                        self.conn.handle_event(now, Event::Done);
                    } else {
                        self.conn.handle_event(now, Event::NotReady);
                    }
                }
                Action::Connect(ConnectAction::ProbeRead) => {
                    let event = self.probe(other);
                    self.conn.handle_event(now, event);
                }
                Action::Connect(ConnectAction::Accept) => {
                    if std::mem::take(&mut self.backlog) {
                        self.socket_connected();
                        self.conn.handle_event(now, Event::Done);
                    } else {
                        self.accept_pending = true;
                    }
                }
                Action::Connect(ConnectAction::Dial) => {
                    if other.listening {
                        self.socket_connected();
                        other.incoming_dial(now);
                        self.conn.handle_event(now, Event::Done);
                    } else {
                        self.conn.handle_event(now, Event::NotReady);
                    }
                }
                Action::Connect(ConnectAction::StopListening) => self.listening = false,
                Action::Connect(ConnectAction::Listen) => {
                    // TCP: the listener is bound again; FIFO: fresh FIFOs, holding nothing.
                    self.listening = self.conn.transport() == Transport::Tcp;
                    self.inbound.clear();
                    self.conn.handle_event(now, Event::Done);
                }
                Action::Recv(RecvAction::ProbeHangup) => {
                    // One non-blocking read: data or EOF if there is any, else "would block".
                    let eof = (other.write_end_closed || other.write_end_hidden) && self.inbound.is_empty();
                    if self.inbound.is_empty() && !eof {
                        self.conn.recv_half_mut().handle_read_blocked(now);
                    } else {
                        let n = self.read_into_buf();
                        self.conn.handle_read(n);
                    }
                    self.probes += 1;
                }
                Action::Send(SendAction::Transmit) => {
                    if other.read_end_gone {
                        // EPIPE: the peer's read end is closed.
                        self.conn.handle_write_error(broken_pipe());
                    } else if self.transmit(other) == 0 {
                        // The write would block: wait until the other end reads.
                        break;
                    }
                }
                Action::Send(SendAction::CloseWrite) => {
                    self.write_end_closed = true;
                    self.conn.handle_close(self.close_result.clone());
                }
            }
            progress = true;
        }
        self.receive(other, now) || progress
    }

    /// A probe read: EOF while the peer has no write end open, data or `WouldBlock` after.
    fn probe(&mut self, other: &Peer) -> Event {
        if !other.write_end_open || (other.write_end_closed && self.inbound.is_empty()) {
            return Event::Read(0);
        }
        match self.read_into_buf() {
            0 => Event::WouldBlock,
            n => Event::Read(n),
        }
    }

    fn socket_connected(&mut self) {
        self.read_end_open = true;
        self.write_end_open = true;
    }

    /// A client dialled this end's listener.
    fn incoming_dial(&mut self, now: Instant) {
        if std::mem::take(&mut self.accept_pending) {
            self.socket_connected();
            self.conn.handle_event(now, Event::Done);
        } else {
            self.backlog = true;
        }
    }

    /// One vectored write of at most `max_write` bytes, limited by the room in `other`.
    fn transmit(&mut self, other: &mut Peer) -> usize {
        let mut slices = [IoSlice::new(&[]); 64];
        let count = self.conn.io_slices(&mut slices);
        let room = other.capacity.saturating_sub(other.inbound.len());
        let mut budget = self.max_write.min(room);
        let before = self.wire.len();
        for slice in &slices[..count] {
            let take = slice.len().min(budget);
            self.wire.extend_from_slice(&slice[..take]);
            other.inbound.extend(&slice[..take]);
            budget -= take;
        }
        let written = self.wire.len() - before;
        let slice_bytes: usize = slices[..count].iter().map(|slice| slice.len()).sum();
        assert!(slice_bytes > 0, "Transmit handed out with no bytes in the slices");
        if written > 0 {
            self.writes.push(written);
            let queued = self.conn.send_half().buffered_len();
            self.conn.handle_written(written);
            assert_eq!(self.conn.send_half().buffered_len(), queued - written, "the written bytes leave the queue");
        }
        written
    }

    /// Copies up to `max_read` inbound bytes into the connection's read buffer.
    fn read_into_buf(&mut self) -> usize {
        let limit = self.max_read;
        if self.uninit_reads {
            let mut space = self.conn.read_buf_uninit();
            let n = space.remaining_mut().min(limit).min(self.inbound.len());
            assert!(n > 0 || self.inbound.is_empty(), "bytes wait, yet the connection offers no space");
            for byte in self.inbound.drain(..n) {
                space.put_u8(byte);
            }
            return n;
        }
        let buf = self.conn.read_buf();
        let n = buf.len().min(limit).min(self.inbound.len());
        assert!(n > 0 || self.inbound.is_empty(), "bytes wait, yet the connection offers no space");
        for (slot, byte) in buf[..n].iter_mut().zip(self.inbound.drain(..n)) {
            *slot = byte;
        }
        n
    }

    /// Reads (data, or EOF once the other end closed its write side) while the connection wants
    /// bytes, taking every frame after each read. A read that would block is reported, as an IO
    /// owner does, so that the hang-up probe can run.
    fn receive(&mut self, other: &Peer, now: Instant) -> bool {
        let mut progress = self.take_frames();
        let mut reads = 0;
        while !self.reads_paused && self.conn.recv_half().wants_read() {
            let eof = other.write_end_closed && self.inbound.is_empty();
            if self.inbound.is_empty() && !eof {
                self.conn.recv_half_mut().handle_read_blocked(now);
                break;
            }
            reads += 1;
            assert!(reads <= MAX_ACTIONS_PER_DRIVE, "{MAX_ACTIONS_PER_DRIVE} reads in one drive");
            let n = self.read_into_buf();
            self.conn.handle_read(n);
            progress = true;
            self.take_frames();
        }
        progress
    }

    fn take_frames(&mut self) -> bool {
        let mut progress = false;
        let mut taken = 0;
        while !self.recv_done && matches!(self.conn.state(), State::Open | State::Failed) {
            taken += 1;
            assert!(taken <= MAX_ACTIONS_PER_DRIVE, "{MAX_ACTIONS_PER_DRIVE} frames in one drive");
            match self.conn.poll_recv() {
                None => break,
                Some(Ok(received)) => {
                    self.recv_done = received == Received::PeerClosed;
                    self.received.push(received);
                }
                Some(Err(err)) => {
                    self.recv_done = true;
                    self.recv_error = Some(err);
                }
            }
            progress = true;
        }
        progress
    }
}

/// The most actions one [`Peer::drive`] carries out before the test fails: far more than any
/// scenario needs, so only a connection that asks for the same thing forever reaches it.
const MAX_ACTIONS_PER_DRIVE: usize = 1_000_000;

/// The failure a write to a peer whose read end is closed gives (`EPIPE`).
pub(super) fn broken_pipe() -> Failure {
    Failure::io(std::io::ErrorKind::BrokenPipe, Some(32), "Broken pipe (os error 32)")
}

/// Two ends of one pipe, the channel and the client, with the fake clock they share.
#[derive(Debug)]
pub(super) struct Pair {
    pub(super) now: Instant,
    pub(super) channel: Peer,
    pub(super) client: Peer,
}

impl Pair {
    pub(super) fn new(transport: Transport) -> Self {
        Self::with_config(transport, Config::default())
    }

    pub(super) fn with_config(transport: Transport, config: Config) -> Self {
        Self {
            // The one clock reading: a base for fake time, which only moves when a test says so.
            now: Instant::now(),
            channel: Peer::new(transport, Side::Channel, config.clone()),
            client: Peer::new(transport, Side::Client, config),
        }
    }

    /// A pair that has completed its rendezvous: both ends [`State::Open`].
    pub(super) fn connected(transport: Transport) -> Self {
        Self::connected_with(transport, Config::default())
    }

    pub(super) fn connected_with(transport: Transport, config: Config) -> Self {
        let mut pair = Self::with_config(transport, config);
        pair.connect_both(Duration::from_secs(10));
        pair.run_until(|p| p.both_in(State::Open));
        pair
    }

    /// The client process died (its descriptors closed by the OS, mid-frame or not) and a new
    /// one, with `config`, takes its place; the channel sees the old one's end of stream.
    pub(super) fn replace_client(&mut self, config: Config) {
        self.client.write_end_closed = true;
        self.client.read_end_gone = true;
        while self.channel.drive(&mut self.client, self.now) {}
        let transport = self.client.conn.transport();
        self.client = Peer::new(transport, Side::Client, config);
    }

    pub(super) fn connect_both(&mut self, timeout: Duration) {
        self.channel.conn.connect(self.now, timeout).unwrap();
        self.client.conn.connect(self.now, timeout).unwrap();
    }

    pub(super) fn both_in(&self, state: State) -> bool {
        self.channel.conn.state() == state && self.client.conn.state() == state
    }

    /// Drives both ends until neither has anything left to do at the current time.
    pub(super) fn drive(&mut self) {
        for _ in 0..10_000 {
            let client = self.client.drive(&mut self.channel, self.now);
            let channel = self.channel.drive(&mut self.client, self.now);
            if !client && !channel {
                return;
            }
        }
        panic!("the pair never settled");
    }

    /// Moves time by `by` and lets both ends see it.
    pub(super) fn advance(&mut self, by: Duration) {
        self.now += by;
        self.channel.conn.handle_timeout(self.now);
        self.client.conn.handle_timeout(self.now);
    }

    /// Moves time to the earliest timer of either end and lets both see it; `false` when
    /// neither end has a timer running.
    pub(super) fn step_time(&mut self) -> bool {
        let next = [self.channel.conn.poll_timeout(), self.client.conn.poll_timeout()].into_iter().flatten().min();
        match next {
            Some(at) => {
                assert!(at >= self.now, "a timer in the past: {at:?} < {:?}", self.now);
                self.now = at;
                self.channel.conn.handle_timeout(at);
                self.client.conn.handle_timeout(at);
                true
            }
            None => false,
        }
    }

    /// Drives and lets time pass until `done` holds; panics if it never does.
    pub(super) fn run_until(&mut self, done: impl Fn(&Pair) -> bool) {
        for _ in 0..10_000 {
            self.drive();
            if done(self) {
                return;
            }
            assert!(self.step_time(), "stuck: no timer runs and the condition does not hold: {self:#?}");
        }
        panic!("the condition never held");
    }
}

/// The wire form of `payloads`, one frame each.
pub(super) fn encoded(payloads: &[&[u8]]) -> Vec<u8> {
    let mut wire = Vec::new();
    for payload in payloads {
        wire.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        wire.extend_from_slice(payload);
    }
    wire
}

/// Milliseconds, for readable schedules.
pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
