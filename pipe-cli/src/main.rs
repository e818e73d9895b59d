//! `pipecat`: open, join, relay and tap a live AEA pipe from the shell. See `pipecat --help`
//! and the crate's README.

mod address;
mod args;
mod clock;
mod exit;
mod format;
mod relay;
mod rendezvous;
mod signal;
mod stats;
mod stop;
mod tap;

use std::sync::Arc;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command, RelayArgs};
use crate::exit::Failure;
use crate::signal::Signals;
use crate::stats::{eprint_line, Stats};

fn main() {
    let cli = Cli::parse();
    if let Err(why) = check_rendezvous(&cli) {
        let mut command = Cli::command();
        command.build();
        let name = match cli.command {
            Command::Client { .. } => "client",
            _ => "tap",
        };
        let sub = command.find_subcommand_mut(name).expect("a subcommand of pipecat");
        sub.error(clap::error::ErrorKind::ArgumentConflict, why).exit();
    }
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
        Command::Tap { ref log, ref common, tcp, fifo, .. } => {
            let to = tap_rendezvous(&cli.command);
            // The tap's own rendezvous: as asked, or the transport of the one it joins.
            let tcp = tcp || (!fifo && matches!(address::check(to[0]), Ok(address::Named::Tcp(_))));
            tap::tap(to, tcp, log.as_deref(), common, signals).await
        }
    }
}

/// IN and OUT of the tap, however they were given.
fn tap_rendezvous(command: &Command) -> [&str; 2] {
    match command {
        Command::Tap { to: Some(to), .. } => [&to[0], &to[1]],
        Command::Tap { in_path: Some(in_path), out_path: Some(out_path), .. } => [in_path, out_path],
        _ => unreachable!("clap requires IN OUT or --to IN OUT"),
    }
}

/// The command-line rules on IN and OUT together (each alone was checked by clap).
fn check_rendezvous(cli: &Cli) -> Result<(), String> {
    match &cli.command {
        Command::Client { in_path, out_path, .. } => address::check_pair(in_path, out_path),
        Command::Tap { .. } => {
            let [in_path, out_path] = tap_rendezvous(&cli.command);
            address::check_pair(in_path, out_path)
        }
        Command::Channel { .. } => Ok(()),
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
