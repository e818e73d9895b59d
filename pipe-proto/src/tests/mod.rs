//! Scenarios: two connections driven against each other in memory, with fake time.

mod batch_cut;
mod buffers;
mod close;
mod codec;
mod connect;
mod contract;
mod reconnect;
mod transmit;
mod util;
