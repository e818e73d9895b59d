//! The main job: two processes talking through the pipe.
//!
//! The parent creates the channel side with `make_pipe()` (FIFOs on Unix, TCP on Windows), starts
//! a copy of this program as a child process with the rendezvous paths swapped, and the two
//! exchange a thousand round trips and a 4 MiB frame before the parent closes and the child sees
//! a clean close.
//!
//! ```text
//! cargo run -p pipe-tokio --example two_processes            # FIFOs (platform default)
//! cargo run -p pipe-tokio --example two_processes -- --tcp   # loopback TCP
//! ```
//!
//! The program is the same on every runtime: its body, `examples/two_processes.rs` at the root of
//! the workspace, is shared with pipe-smol and pipe-async-std and names the crate `pipe`.

use pipe_tokio as pipe;

include!("../../examples/two_processes.rs");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), pipe::Error> {
    run().await
}
