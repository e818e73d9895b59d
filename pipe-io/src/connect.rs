//! The connect loop: carries out the core's connect actions with the runtime, and sleeps until
//! the core's next timer. Every decision (what to try next, when to retry, when to give up) is
//! the core's.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::time::{Duration, Instant};

use futures_util::future::{select, Either};
use pipe_proto::{ConnectAction, ConnectError, Event};

#[cfg(unix)]
use crate::ends::FifoReadEnd;
use crate::ends::{ReadEnd, WriteEnd};
use crate::error::{failure_of, os_error, Error};
#[cfg(unix)]
use crate::fifo;
use crate::pipe::Pipe;
use crate::rendezvous::{Kind, Listener};
use crate::runtime::Runtime;
use crate::tcp;

/// What carrying out one action gave.
enum Outcome {
    /// An answer for the core.
    Event(Event),
    /// The deadline passed while waiting for the OS.
    DeadlinePassed,
    /// The action needs no answer.
    Done,
}

impl<R: Runtime, K> Pipe<R, K> {
    pub(crate) async fn drive_connect(&mut self, timeout: Duration) -> Result<(), Error> {
        self.conn.connect(Instant::now(), timeout)?;
        self.run_connect(timeout).await
    }

    /// Starts again on the same rendezvous: the core decides whether it may; the old
    /// connection's OS objects are closed before anything else is opened, so nothing of it is
    /// read or written again.
    pub(crate) async fn drive_reconnect(&mut self, timeout: Duration) -> Result<(), Error> {
        self.conn.reconnect(Instant::now(), timeout)?;
        self.read_end = None;
        self.write_end = None;
        self.run_connect(timeout).await
    }

    async fn run_connect(&mut self, timeout: Duration) -> Result<(), Error> {
        log::debug!(
            "connecting {:?} {:?} pipe (in {}, out {}) within {timeout:?}",
            self.conn.side(),
            self.conn.transport(),
            self.rendezvous.in_path,
            self.rendezvous.out_path
        );
        loop {
            while let Some(action) = self.conn.poll_connect_action() {
                match self.perform(action).await {
                    Ok(Outcome::Event(event)) => {
                        if matches!(event, Event::NotReady | Event::Read(0)) {
                            log::debug!(
                                "connect: peer not ready for {action:?} (attempt {})",
                                self.conn.attempts() + 1
                            );
                        }
                        self.conn.handle_event(Instant::now(), event);
                    }
                    Ok(Outcome::DeadlinePassed) => self.conn.handle_timeout(Instant::now()),
                    Ok(Outcome::Done) => {}
                    Err(err) => {
                        log::debug!("connect failed on {action:?}: {err}");
                        self.conn.handle_event(Instant::now(), Event::Failed(failure_of(&err)));
                        return Err(err);
                    }
                }
            }
            match self.conn.poll_connect() {
                Some(Ok(())) => {
                    self.install_ends()?;
                    log::debug!("connected {:?} {:?} pipe", self.conn.side(), self.conn.transport());
                    return Ok(());
                }
                Some(Err(err)) => {
                    log::debug!("connect gave up: {err}");
                    return Err(match err {
                        ConnectError::Timeout { timeout, waiting_for } => Error::Timeout {
                            timeout,
                            waiting_for: waiting_for.and_then(|step| self.rendezvous.waiting_for(step)),
                        },
                        other => other.into(),
                    });
                }
                None => {}
            }
            let Some(at) = self.conn.poll_timeout() else {
                return Err(Error::NotConnected);
            };
            R::sleep_until(at).await;
            self.conn.handle_timeout(Instant::now());
        }
    }

    async fn perform(&mut self, action: ConnectAction) -> Result<Outcome, Error> {
        match action {
            #[cfg(unix)]
            ConnectAction::OpenRead => {
                let expect = self.rendezvous.fifo_expect();
                if expect == fifo::Expect::OurFifo {
                    // Both paths, before anything is opened: a refusal comes at once.
                    fifo::check_ours(self.rendezvous.in_path.as_ref())?;
                    fifo::check_ours(self.rendezvous.out_path.as_ref())?;
                }
                self.fifo_read = Some(fifo::open_read(self.rendezvous.in_path.as_ref(), expect)?);
                Ok(Outcome::Event(Event::Done))
            }
            #[cfg(unix)]
            ConnectAction::OpenWrite => {
                match fifo::open_write(self.rendezvous.out_path.as_ref(), self.rendezvous.fifo_expect())? {
                    Some(file) => {
                        self.fifo_write = Some(file);
                        Ok(Outcome::Event(Event::Done))
                    }
                    None => Ok(Outcome::Event(Event::NotReady)),
                }
            }
            #[cfg(unix)]
            ConnectAction::ProbeRead => {
                let file = self.fifo_read.as_ref().ok_or(Error::NotConnected)?;
                match fifo::probe(file, self.conn.read_buf()) {
                    Ok(0) if self.fifos_replaced()? => Ok(Outcome::Event(Event::Replaced)),
                    Ok(n) => Ok(Outcome::Event(Event::Read(n))),
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(Outcome::Event(Event::WouldBlock)),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => Ok(Outcome::Event(Event::NotReady)),
                    Err(err) => Err(err.into()),
                }
            }
            ConnectAction::Accept => {
                let deadline = self.conn.poll_timeout();
                let Kind::TcpListen { listener, addr: local } = &mut self.rendezvous.kind else {
                    return Err(Error::NotConnected);
                };
                let local = *local;
                if let Listener::Std(_) = listener {
                    let Listener::Std(std) = std::mem::replace(listener, Listener::Closed) else { unreachable!() };
                    *listener = Listener::Runtime(
                        R::listener(std).map_err(|err| os_error(format_args!("listening on {local}"), err))?,
                    );
                }
                let Listener::Runtime(listener) = listener else {
                    return Err(Error::ClosedLocally);
                };
                match until::<R, _>(deadline, R::accept(listener)).await {
                    Some(stream) => {
                        let accepting = |err| os_error(format_args!("accepting a connection on {local}"), err);
                        let stream = stream.map_err(accepting)?;
                        let peer = R::peer_addr(&stream).map_err(accepting)?;
                        if tcp::admit(local, peer, &self.config)? {
                            self.tcp = Some(stream);
                            Ok(Outcome::Event(Event::Done))
                        } else {
                            // Closed now; the listener stays open for our peer.
                            drop(stream);
                            Ok(Outcome::Event(Event::NotReady))
                        }
                    }
                    None => Ok(Outcome::DeadlinePassed),
                }
            }
            ConnectAction::Dial => {
                let Kind::TcpDial(target) = &self.rendezvous.kind else {
                    return Err(Error::NotConnected);
                };
                // Resolving a host name is part of the dial, bounded by the same deadline.
                match until::<R, _>(self.conn.poll_timeout(), tcp::dial::<R>(target)).await {
                    Some(Ok(Some(stream))) => {
                        self.tcp = Some(stream);
                        Ok(Outcome::Event(Event::Done))
                    }
                    Some(Ok(None)) => Ok(Outcome::Event(Event::NotReady)),
                    Some(Err(err)) => Err(err),
                    None => Ok(Outcome::DeadlinePassed),
                }
            }
            ConnectAction::StopListening => {
                self.rendezvous.release();
                Ok(Outcome::Done)
            }
            ConnectAction::Listen => {
                self.rendezvous.listen_again()?;
                Ok(Outcome::Event(Event::Done))
            }
            // FIFO steps on a platform without FIFOs: a FIFO pipe cannot be built there.
            #[cfg(not(unix))]
            ConnectAction::OpenRead | ConnectAction::OpenWrite | ConnectAction::ProbeRead => {
                Err(Error::Io(io::ErrorKind::Unsupported.into()))
            }
        }
    }

    /// Whether either FIFO path now names another FIFO than the one this end opened (see
    /// [`Event::Replaced`]).
    #[cfg(unix)]
    fn fifos_replaced(&self) -> Result<bool, Error> {
        let read = match &self.fifo_read {
            Some(file) => fifo::replaced(file, self.rendezvous.in_path.as_ref())?,
            None => false,
        };
        let write = match &self.fifo_write {
            Some(file) => fifo::replaced(file, self.rendezvous.out_path.as_ref())?,
            None => false,
        };
        Ok(read || write)
    }

    /// Hands the connected OS objects to the runtime, one end per direction.
    fn install_ends(&mut self) -> Result<(), Error> {
        #[cfg(unix)]
        if let (Some(read), Some(write)) = (self.fifo_read.take(), self.fifo_write.take()) {
            let (in_path, out_path) = (&self.rendezvous.in_path, &self.rendezvous.out_path);
            let read = FifoReadEnd::new(read).map_err(|err| os_error(in_path, err))?;
            let write = R::fifo_writer(write).map_err(|err| os_error(out_path, err))?;
            self.read_end = Some(ReadEnd::Fifo(read));
            self.write_end = Some(WriteEnd::Fifo(write));
            return Ok(());
        }
        let stream = self.tcp.take().ok_or(Error::NotConnected)?;
        let (read, write) = R::split(stream);
        self.read_end = Some(ReadEnd::Tcp(read));
        self.write_end = Some(WriteEnd::Tcp(write));
        Ok(())
    }
}

/// Runs `work` until `deadline`: `None` if the deadline came first.
async fn until<R: Runtime, T>(deadline: Option<Instant>, work: impl Future<Output = T>) -> Option<T> {
    let Some(deadline) = deadline else {
        return Some(work.await);
    };
    match select(pin!(work), pin!(R::sleep_until(deadline))).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(((), _)) => None,
    }
}
