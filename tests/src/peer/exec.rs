//! The three executors, each paired with the [`pipe_io::Runtime`] it drives, and a timeout that
//! works on all of them.

use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

use futures_util::future::{select, Either};
use pipe_io::Runtime;

/// An executor and the pipe runtime that runs under it.
pub trait Exec {
    /// The pipe runtime.
    type R: Runtime;
    /// The name on the command line.
    const NAME: &'static str;
    /// Runs `future` to completion on the current thread.
    fn block_on<F: Future>(future: F) -> F::Output;
}

/// tokio, current-thread flavour, with IO and time enabled.
#[derive(Debug)]
pub struct TokioExec;

/// `smol::block_on`.
#[derive(Debug)]
pub struct SmolExec;

/// `async_std::task::block_on`.
#[derive(Debug)]
pub struct AsyncStdExec;

impl Exec for TokioExec {
    type R = pipe_tokio::Tokio;
    const NAME: &'static str = "tokio";
    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("cannot build a tokio runtime")
            .block_on(future)
    }
}

impl Exec for SmolExec {
    type R = pipe_smol::AsyncIo;
    const NAME: &'static str = "smol";
    fn block_on<F: Future>(future: F) -> F::Output {
        smol::block_on(future)
    }
}

impl Exec for AsyncStdExec {
    type R = pipe_async_std::AsyncStd;
    const NAME: &'static str = "async-std";
    fn block_on<F: Future>(future: F) -> F::Output {
        async_std::task::block_on(future)
    }
}

/// Runs `work` for at most `timeout` on runtime `R`: `None` if time ran out first (the work is
/// dropped then).
pub async fn timeout<R: Runtime, T>(timeout: Duration, work: impl Future<Output = T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    match select(pin!(work), pin!(R::sleep_until(deadline))).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(((), _)) => None,
    }
}

/// Sleeps for `duration` on runtime `R`.
pub async fn sleep<R: Runtime>(duration: Duration) {
    R::sleep_until(Instant::now() + duration).await
}
