//! Arbitrary sequences of application commands and IO results on one `Connection`, with an
//! arbitrary configuration and fake time that only moves forward. The model shared with the
//! property tests (`pipe-proto/tests/model/mod.rs`) checks, after every step, that the connection
//! is in a documented state; see that file for the list of invariants.

#![no_main]

#[path = "../../tests/model/mod.rs"]
mod model;

use std::time::Duration;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use model::Op;
use pipe_proto::{Config, Event, Side, Transport};

fuzz_target!(|data: &[u8]| {
    let mut input = Unstructured::new(data);
    let Ok((transport, side, config, open_first)) = setup(&mut input) else { return };
    let mut ops = Vec::new();
    while !input.is_empty() && ops.len() < 500 {
        match op(&mut input) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    model::run(transport, side, config, open_first, &ops);
});

fn setup(u: &mut Unstructured<'_>) -> Result<(Transport, Side, Config, bool)> {
    let transport = if bool::arbitrary(u)? { Transport::Fifo } else { Transport::Tcp };
    let side = if bool::arbitrary(u)? { Side::Channel } else { Side::Client };
    let config = Config::default()
        .with_max_frame_len(usize::from(u16::arbitrary(u)?))
        .with_high_water_mark(usize::from(u16::arbitrary(u)?))
        .with_read_chunk(usize::from(u16::arbitrary(u)?))
        .with_coalesce_limit(usize::from(u16::arbitrary(u)?))
        .with_retry_delays(delay(u)?, delay(u)?)
        .with_half_close(bool::arbitrary(u)?);
    Ok((transport, side, config, bool::arbitrary(u)?))
}

fn delay(u: &mut Unstructured<'_>) -> Result<Duration> {
    Ok(match u8::arbitrary(u)? {
        255 => Duration::MAX,
        254 => Duration::from_secs(u64::arbitrary(u)?),
        n => Duration::from_millis(u64::from(n % 32)),
    })
}

fn duration(u: &mut Unstructured<'_>) -> Result<Duration> {
    Ok(match u8::arbitrary(u)? {
        0 => Duration::ZERO,
        1 => Duration::from_nanos(u64::from(u32::arbitrary(u)?)),
        n => Duration::from_millis(u64::from(n)),
    })
}

fn op(u: &mut Unstructured<'_>) -> Result<Op> {
    Ok(match u8::arbitrary(u)? % 19 {
        0 => Op::Connect(duration(u)?),
        1 | 2 => Op::Send { len: usize::from(u16::arbitrary(u)? % 4096), by_ref: bool::arbitrary(u)? },
        3 => Op::Close,
        4 | 5 => Op::PollAction,
        6 => Op::Event(match u8::arbitrary(u)? % 5 {
            0 => Event::Done,
            1 => Event::NotReady,
            2 => Event::WouldBlock,
            3 => Event::Read(usize::from(u8::arbitrary(u)?)),
            _ => Event::Failed(model::io_failure()),
        }),
        7 => Op::Succeed,
        8 | 9 => Op::Step,
        10 => Op::Read(Vec::<u8>::arbitrary(u)?),
        11 => Op::Written(usize::from(u16::arbitrary(u)?)),
        12 => Op::WrittenAllBut(usize::from(u8::arbitrary(u)? % 4)),
        13 => Op::Advance(duration(u)?),
        14 => Op::Timeout,
        15 => Op::WriteError,
        16 => Op::ReadError,
        17 => Op::CloseReported(bool::arbitrary(u)?),
        _ => Op::PollRecv,
    })
}
