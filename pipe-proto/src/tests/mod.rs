//! Scenarios: two connections driven against each other in memory, with fake time.

mod buffers;
mod close;
mod codec;
mod connect;
mod contract;
mod transmit;
mod util;
