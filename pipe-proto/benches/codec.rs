//! Codec throughput: this crate's framing against tokio-util's `LengthDelimitedCodec` (whose
//! default, a big-endian u32 length, is the same wire format), in the same groups so the ratios
//! can be read off directly.
//!
//! - `decode/<size>`: a buffer holding many frames, all decoded. `FrameDecoder` and tokio-util's
//!   `Decoder::decode` work on a filled `BytesMut`; `Inbox` and `tokio-util read+decode` also
//!   take the bytes in 64 KiB reads (a copy into the read buffer, as from a socket) first; for
//!   64-byte frames also one frame per read, as when messages trickle in. `Inbox read_buf_uninit`
//!   appends through `Inbox::read_buf_uninit` instead (no zeroing), as a tokio reader can.
//! - `encode/<size>`: `FrameHeader` plus the two slices of a vectored write (no payload copy),
//!   `encode_into` (one copy into a `BytesMut`), `Outbox` (queue, slices, written), and
//!   tokio-util's `Encoder::encode` into a `BytesMut`.
//!
//! Run with `cargo bench -p pipe-proto --bench codec`.

use std::hint::black_box;
use std::io::IoSlice;

use bytes::{BufMut, Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pipe_proto::{encode_into, Config, FrameDecoder, FrameHeader, Inbox, Outbox, Received, DEFAULT_MAX_FRAME_LEN};
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

/// Payload size, its label, and how many frames one iteration handles (about 1 MiB of payload,
/// at least 4 frames).
const CASES: [(usize, &str, usize); 3] = [(64, "64B", 16 * 1024), (4096, "4KiB", 256), (1 << 20, "1MiB", 4)];

/// Bytes per simulated read from the OS, the default `Config::read_chunk`.
const READ_CHUNK: usize = 64 * 1024;

fn throughput(payload_len: usize, frames: usize) -> Throughput {
    if payload_len <= 64 {
        Throughput::Elements(frames as u64)
    } else {
        Throughput::Bytes(((payload_len + 4) * frames) as u64)
    }
}

/// `frames` distinct payloads of `len` bytes, static so that cloning one costs nothing.
fn payloads(len: usize, frames: usize) -> Vec<Bytes> {
    (0..frames)
        .map(|i| {
            let payload: Vec<u8> = (0..len).map(|j| (i + j) as u8).collect();
            Bytes::from_static(Box::leak(payload.into_boxed_slice()))
        })
        .collect()
}

fn wire(payloads: &[Bytes]) -> BytesMut {
    let mut wire = BytesMut::new();
    for payload in payloads {
        encode_into(payload, &mut wire, DEFAULT_MAX_FRAME_LEN).unwrap();
    }
    wire
}

fn decode(c: &mut Criterion) {
    for (len, label, frames) in CASES {
        let wire = wire(&payloads(len, frames));
        let mut group = c.benchmark_group(format!("decode/{label}"));
        group.throughput(throughput(len, frames));

        group.bench_function("pipe-proto FrameDecoder", |b| {
            b.iter_batched(
                || wire.clone(),
                |mut buf| {
                    let mut decoder = FrameDecoder::new(DEFAULT_MAX_FRAME_LEN);
                    let mut count = 0;
                    while let Some(received) = decoder.decode(&mut buf).unwrap() {
                        black_box(received);
                        count += 1;
                    }
                    assert_eq!(count, frames);
                    buf
                },
                BatchSize::LargeInput,
            )
        });

        group.bench_function("tokio-util decode", |b| {
            b.iter_batched(
                || wire.clone(),
                |mut buf| {
                    let mut codec = LengthDelimitedCodec::new();
                    let mut count = 0;
                    while let Some(frame) = codec.decode(&mut buf).unwrap() {
                        black_box(frame);
                        count += 1;
                    }
                    assert_eq!(count, frames);
                    buf
                },
                BatchSize::LargeInput,
            )
        });

        let read_sizes: &[(usize, &str)] =
            if len == 64 { &[(READ_CHUNK, ""), (len + 4, ", one frame per read")] } else { &[(READ_CHUNK, "")] };
        for &(read_size, suffix) in read_sizes {
            group.bench_function(format!("pipe-proto Inbox read+decode{suffix}"), |b| {
                let config = Config::default().with_read_chunk(READ_CHUNK);
                b.iter_batched(
                    || Inbox::new(&config),
                    |mut inbox| {
                        let mut count = 0;
                        let mut offset = 0;
                        while offset < wire.len() {
                            let space = inbox.read_buf();
                            let n = space.len().min(read_size).min(wire.len() - offset);
                            space[..n].copy_from_slice(&wire[offset..offset + n]);
                            offset += n;
                            inbox.handle_read(n);
                            while let Some(received) = inbox.poll_frame() {
                                black_box(received.unwrap());
                                count += 1;
                            }
                        }
                        assert_eq!(count, frames);
                        inbox
                    },
                    BatchSize::LargeInput,
                )
            });

            group.bench_function(format!("pipe-proto Inbox read_buf_uninit+decode{suffix}"), |b| {
                let config = Config::default().with_read_chunk(READ_CHUNK);
                b.iter_batched(
                    || Inbox::new(&config),
                    |mut inbox| {
                        let mut count = 0;
                        let mut offset = 0;
                        while offset < wire.len() {
                            let mut space = inbox.read_buf_uninit();
                            let n = space.remaining_mut().min(read_size).min(wire.len() - offset);
                            space.put_slice(&wire[offset..offset + n]);
                            offset += n;
                            inbox.handle_read(n);
                            while let Some(received) = inbox.poll_frame() {
                                black_box(received.unwrap());
                                count += 1;
                            }
                        }
                        assert_eq!(count, frames);
                        inbox
                    },
                    BatchSize::LargeInput,
                )
            });

            group.bench_function(format!("tokio-util read+decode{suffix}"), |b| {
                b.iter_batched(
                    || (LengthDelimitedCodec::new(), BytesMut::with_capacity(8 * 1024)),
                    |(mut codec, mut buf)| {
                        let mut count = 0;
                        for chunk in wire.chunks(read_size) {
                            // What FramedRead does: make room, read, decode until it needs more.
                            buf.reserve(chunk.len());
                            buf.extend_from_slice(chunk);
                            while let Some(frame) = codec.decode(&mut buf).unwrap() {
                                black_box(frame);
                                count += 1;
                            }
                        }
                        assert_eq!(count, frames);
                        buf
                    },
                    BatchSize::LargeInput,
                )
            });
        }
        group.finish();
    }
}

fn encode(c: &mut Criterion) {
    for (len, label, frames) in CASES {
        let payloads = payloads(len, frames);
        let mut group = c.benchmark_group(format!("encode/{label}"));
        group.throughput(throughput(len, frames));

        group.bench_function("pipe-proto FrameHeader+IoSlice", |b| {
            b.iter(|| {
                for payload in &payloads {
                    let header = FrameHeader::for_payload(payload, DEFAULT_MAX_FRAME_LEN).unwrap();
                    let slices = [IoSlice::new(header.as_bytes()), IoSlice::new(payload)];
                    black_box(&slices);
                }
            })
        });

        let mut dst = BytesMut::new();
        group.bench_function("pipe-proto encode_into", |b| {
            b.iter(|| {
                dst.clear();
                for payload in &payloads {
                    encode_into(payload, &mut dst, DEFAULT_MAX_FRAME_LEN).unwrap();
                }
                black_box(&dst);
            })
        });

        group.bench_function("pipe-proto Outbox", |b| {
            let mut outbox = Outbox::new(&Config::default().with_high_water_mark(usize::MAX));
            b.iter(|| {
                for payload in &payloads {
                    outbox.push(payload.clone()).unwrap();
                }
                while !outbox.is_flushed() {
                    let mut slices = [IoSlice::new(&[]); 64];
                    let count = outbox.io_slices(&mut slices);
                    let written: usize = black_box(&slices[..count]).iter().map(|s| s.len()).sum();
                    outbox.advance(written);
                }
            })
        });

        let mut codec = LengthDelimitedCodec::new();
        let mut dst = BytesMut::new();
        group.bench_function("tokio-util encode", |b| {
            b.iter(|| {
                dst.clear();
                for payload in &payloads {
                    codec.encode(payload.clone(), &mut dst).unwrap();
                }
                black_box(&dst);
            })
        });
        group.finish();
    }
}

/// Sanity check before measuring: both decoders agree on the wire both encoders produce.
fn same_wire_format(_: &mut Criterion) {
    let payloads = payloads(100, 10);
    let ours = wire(&payloads);
    let mut theirs = BytesMut::new();
    let mut codec = LengthDelimitedCodec::new();
    for payload in &payloads {
        codec.encode(payload.clone(), &mut theirs).unwrap();
    }
    assert_eq!(ours, theirs);
    let mut decoder = FrameDecoder::new(DEFAULT_MAX_FRAME_LEN);
    for payload in &payloads {
        assert_eq!(decoder.decode(&mut theirs).unwrap(), Some(Received::Frame(payload.clone())));
    }
}

criterion_group!(benches, same_wire_format, decode, encode);
criterion_main!(benches);
