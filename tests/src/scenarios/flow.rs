//! Backpressure: a writer much faster than its reader fills the FIFO or socket buffer again and
//! again, and must lose nothing.

use std::time::Duration;

use futures_util::future::join;
use pipe_io::Runtime;
use sha2::{Digest, Sha256};

use super::support::{connected, sleep, Frames, Kind};

/// How much the writer sends.
const TOTAL: usize = 64 << 20;

/// The frame sizes, in turn: small ones that share a write, ones around the pipe buffer, and ones
/// many times larger than it.
const SIZES: [usize; 12] = [1, 3, 100, 4_096, 65_535, 65_536, 65_537, 200_000, 17, (1 << 20) + 3, 2_500, 4 << 20];

/// Feeds one frame into a digest of a stream of frames (its length too, so that frame boundaries
/// count).
fn digest_frame(hasher: &mut Sha256, frame: &[u8]) {
    hasher.update((frame.len() as u64).to_be_bytes());
    hasher.update(frame);
}

/// The client writes 64 MiB in frames of mixed sizes as fast as it can, through every way of
/// writing; the channel reads with a pause after each read. Both sides' SHA-256 over every frame
/// (length and bytes) agree, and so do the frame counts.
pub async fn slow_reader_loses_nothing<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    let frames = Frames::new(*SIZES.iter().max().unwrap());

    let writer = async {
        let mut hasher = Sha256::new();
        let (mut sent, mut count) = (0, 0);
        while sent < TOTAL {
            let len = SIZES[count % SIZES.len()];
            let frame = frames.frame(count, len);
            digest_frame(&mut hasher, &frame);
            let result = match count % 3 {
                0 => client.write_bytes(frame).await,
                1 => client.write(&frame).await,
                _ => client.write_batch([frame]).await,
            };
            result.unwrap_or_else(|err| panic!("write of frame {count} ({len} bytes): {err}"));
            sent += len;
            count += 1;
        }
        client.close().await.expect("close the writer");
        (count, hex(hasher))
    };
    let reader = async {
        let mut hasher = Sha256::new();
        let mut count = 0;
        while let Some(frame) = channel.read().await.unwrap_or_else(|err| panic!("read of frame {count}: {err}")) {
            digest_frame(&mut hasher, &frame);
            count += 1;
            sleep::<R>(Duration::from_millis(1 + (count % 3) as u64)).await;
        }
        (count, hex(hasher))
    };
    let ((sent, sent_digest), (received, received_digest)) = join(writer, reader).await;
    assert_eq!(received, sent, "frames received vs sent");
    assert_eq!(received_digest, sent_digest, "SHA-256 of everything received vs sent");
}

fn hex(hasher: Sha256) -> String {
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
