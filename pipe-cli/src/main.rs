//! `pipecat`: open, join, relay and tap a live AEA pipe from the shell. See `pipecat --help`
//! and the crate's README.

mod args;
mod clock;
mod exit;
mod format;
mod relay;
mod rendezvous;
mod signal;
mod stats;
mod tap;

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use crate::args::{Cli, Command, RelayArgs};
use crate::exit::Failure;
use crate::signal::Signals;
use crate::stats::{eprint_line, Stats};

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprint_line(&format!("pipecat: cannot start the async runtime: {err}"));
            std::process::exit(exit::OTHER.into());
        }
    };
    let code = match runtime.block_on(async { run(cli, &mut signal::Signals::install()?).await }) {
        Ok(()) => exit::OK,
        Err(failure) => {
            eprint_line(&format!("pipecat: {failure}"));
            failure.code
        }
    };
    // A read of stdin may still be blocked in the runtime's thread pool: do not wait for it.
    runtime.shutdown_background();
    std::process::exit(code.into());
}

async fn run(cli: Cli, signals: &mut Signals) -> Result<(), Failure> {
    match cli.command {
        Command::Channel { tcp, relay } => {
            let pipe = rendezvous::channel(tcp, rendezvous::config(relay.common.max_frame_len, true))?;
            eprint_line(&rendezvous::client_line(&pipe));
            connect_and_relay(pipe, &relay, "waiting for the peer", signals).await
        }
        Command::Client { in_path, out_path, relay } => {
            let pipe = rendezvous::client(&in_path, &out_path, rendezvous::config(relay.common.max_frame_len, true))?;
            connect_and_relay(pipe, &relay, &format!("joining {in_path} {out_path}"), signals).await
        }
        Command::Tap { listen: _, tcp, to, log, common } => tap::tap(tcp, &to, log.as_deref(), &common, signals).await,
    }
}

async fn connect_and_relay(
    mut pipe: pipe_tokio::LocalPortablePipe,
    args: &RelayArgs,
    what: &str,
    signals: &mut Signals,
) -> Result<(), Failure> {
    let stats = Stats::new(["sent", "received"]);
    let display = args.common.stats.then(|| tokio::spawn(Arc::clone(&stats).show(Duration::from_secs(1))));
    let result = signals
        .interruptible(async {
            rendezvous::connect(&mut pipe, args.common.timeout, what).await?;
            relay::relay(pipe, args.format.format(), args.common.max_frame_len, Arc::clone(&stats)).await
        })
        .await;
    if let Some(display) = display {
        display.abort();
        stats.finish();
    }
    result
}
