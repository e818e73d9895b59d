//! The main job on async-std: two processes talking through the pipe.
//!
//! The parent creates the channel side with `make_pipe()` (FIFOs on Unix, TCP on Windows), starts
//! a copy of this program as a child process with the rendezvous paths swapped, and the two
//! exchange a thousand round trips and a 4 MiB frame before the parent closes and the child sees
//! a clean close.
//!
//! ```text
//! cargo run -p pipe-async-std --example two_processes_async_std            # FIFOs (platform default)
//! cargo run -p pipe-async-std --example two_processes_async_std -- --tcp   # loopback TCP
//! ```
//!
//! The program is the same on every runtime: its body, `examples/two_processes.rs` at the root of
//! the workspace, is shared with pipe-tokio and pipe-smol and names the crate `pipe`.

use pipe_async_std as pipe;

include!("../../examples/two_processes.rs");

fn main() -> Result<(), pipe::Error> {
    async_std::task::block_on(run())
}
