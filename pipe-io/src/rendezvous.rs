//! Where the two ends meet: the FIFO paths or the TCP port, and the OS objects that hold the
//! meeting place open (the FIFO directory, the listener) until the pipe no longer needs them.

use std::net::SocketAddr;

use pipe_proto::{ConnectAction, Side, Transport};

use crate::error::{Error, WaitingFor};
#[cfg(unix)]
use crate::fifo::{self, FifoDir};
use crate::runtime::Runtime;
use crate::tcp::{self, Target};

/// The meeting place of one pipe end.
#[derive(Debug)]
pub(crate) struct Rendezvous<R: Runtime> {
    pub(crate) in_path: String,
    pub(crate) out_path: String,
    pub(crate) side: Side,
    pub(crate) kind: Kind<R>,
}

impl<R: Runtime> Drop for Rendezvous<R> {
    /// Dropping a pipe (or its last half) releases the rendezvous as `close` does. The pipe's
    /// descriptors are dropped before it (they come first in the pipe's fields), so removing the
    /// directory has a descriptor to spare.
    fn drop(&mut self) {
        self.release();
    }
}

#[derive(Debug)]
pub(crate) enum Kind<R: Runtime> {
    /// FIFOs; the channel side owns the directory (`None` on the client side, or once removed).
    #[cfg(unix)]
    Fifo { dir: Option<FifoDir> },
    /// The channel's listener, bound at creation (on `addr`), registered with the runtime at
    /// connect, and closed after the one peer is accepted.
    TcpListen { listener: Listener<R>, addr: SocketAddr },
    /// The client's target: an address, or a host name resolved by each dial.
    TcpDial(Target),
}

#[derive(Debug)]
pub(crate) enum Listener<R: Runtime> {
    Std(std::net::TcpListener),
    Runtime(R::Listener),
    Closed,
}

impl<R: Runtime> Rendezvous<R> {
    /// The channel side of a FIFO pipe: creates the directory and both FIFOs now.
    #[cfg(unix)]
    pub(crate) fn fifo_channel() -> Result<Self, Error> {
        let dir = FifoDir::create()?;
        Ok(Self {
            in_path: dir.in_path.display().to_string(),
            out_path: dir.out_path.display().to_string(),
            side: Side::Channel,
            kind: Kind::Fifo { dir: Some(dir) },
        })
    }

    /// The client side of a FIFO pipe, given the channel's paths swapped.
    #[cfg(unix)]
    pub(crate) fn fifo_client(in_path: &str, out_path: &str) -> Self {
        Self {
            in_path: in_path.to_owned(),
            out_path: out_path.to_owned(),
            side: Side::Client,
            kind: Kind::Fifo { dir: None },
        }
    }

    /// The channel side of a TCP pipe: binds the loopback listener now.
    pub(crate) fn tcp_channel() -> Result<Self, Error> {
        let listener = tcp::bind_loopback()?;
        let addr = listener.local_addr()?;
        let port = addr.port().to_string();
        Ok(Self {
            in_path: port.clone(),
            out_path: port,
            side: Side::Channel,
            kind: Kind::TcpListen { listener: Listener::Std(listener), addr },
        })
    }

    /// The client side of a TCP pipe: `in_path` is `"<port>"`, `"<ip>:<port>"` or
    /// `"<host>:<port>"`, parsed now; a host name is resolved only when dialling.
    pub(crate) fn tcp_client(in_path: &str, out_path: &str) -> Result<Self, Error> {
        let target = tcp::parse_address(in_path)?;
        Ok(Self {
            in_path: in_path.to_owned(),
            out_path: out_path.to_owned(),
            side: Side::Client,
            kind: Kind::TcpDial(target),
        })
    }

    /// A TCP connection made by the application: nothing to meet at, the paths name the peer.
    pub(crate) fn tcp_established(peer: SocketAddr, side: Side) -> Self {
        Self { in_path: peer.to_string(), out_path: peer.to_string(), side, kind: Kind::TcpDial(Target::Addr(peer)) }
    }

    /// What the FIFO paths must be: the channel opens the FIFOs it created; the client, which
    /// was given its paths, opens only FIFOs that are ours alone.
    #[cfg(unix)]
    pub(crate) fn fifo_expect(&self) -> fifo::Expect {
        match self.side {
            Side::Channel => fifo::Expect::Fifo,
            Side::Client => fifo::Expect::OurFifo,
        }
    }

    pub(crate) fn transport(&self) -> Transport {
        match self.kind {
            #[cfg(unix)]
            Kind::Fifo { .. } => Transport::Fifo,
            Kind::TcpListen { .. } | Kind::TcpDial(_) => Transport::Tcp,
        }
    }

    /// What a connect that timed out on `step` was waiting for, named with this rendezvous's
    /// path or address.
    pub(crate) fn waiting_for(&self, step: ConnectAction) -> Option<WaitingFor> {
        match step {
            ConnectAction::OpenWrite => Some(WaitingFor::Reader(self.out_path.clone())),
            ConnectAction::ProbeRead => Some(WaitingFor::Writer(self.in_path.clone())),
            ConnectAction::Dial => Some(WaitingFor::Listener(match &self.kind {
                Kind::TcpDial(Target::Addr(addr)) => addr.to_string(),
                _ => self.in_path.clone(),
            })),
            ConnectAction::Accept => Some(WaitingFor::Client(self.in_path.clone())),
            ConnectAction::OpenRead | ConnectAction::StopListening | ConnectAction::Listen => None,
        }
    }

    /// Opens the meeting place again for a new peer, at the same address: binds the TCP
    /// listener again on its port, or makes the channel's FIFOs anew (see
    /// [`ConnectAction::Listen`]). The client side has nothing to open.
    pub(crate) fn listen_again(&mut self) -> Result<(), Error> {
        match &mut self.kind {
            #[cfg(unix)]
            Kind::Fifo { dir: Some(dir) } => Ok(dir.renew_fifos()?),
            #[cfg(unix)]
            Kind::Fifo { dir: None } => Err(Error::ClosedLocally),
            Kind::TcpListen { listener, addr } => {
                if matches!(listener, Listener::Closed) {
                    *listener = Listener::Std(tcp::bind_at(*addr)?);
                }
                Ok(())
            }
            Kind::TcpDial(_) => Ok(()),
        }
    }

    /// Releases what holds the meeting place: removes the FIFO directory, closes the listener.
    /// A directory that cannot be removed (at the open-file limit, say) is logged at warn level
    /// with its path: it is left behind, never silently.
    pub(crate) fn release(&mut self) {
        match &mut self.kind {
            #[cfg(unix)]
            Kind::Fifo { dir } => {
                if let Some(dir) = dir.take() {
                    let path = dir.path().to_owned();
                    if let Err(err) = dir.remove() {
                        log::warn!("could not remove the FIFO directory {}: {err}", path.display());
                    }
                }
            }
            Kind::TcpListen { listener, .. } => *listener = Listener::Closed,
            Kind::TcpDial(_) => {}
        }
    }
}
