//! The platform default pair used across the tasks of tokio's multi-thread runtime. The
//! runtime-independent portability checks are scenarios in `pipe-tests`, run by
//! `tests/behaviour.rs`.

use std::time::Duration;

use pipe_tokio::{make_pipe, make_pipe_client};

const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_transport_pair_works_across_tasks_of_a_multi_thread_runtime() {
    let mut channel = make_pipe().unwrap();
    let mut client = make_pipe_client(channel.out_path(), channel.in_path()).unwrap();
    let peer = tokio::spawn(async move {
        client.connect(TIMEOUT).await.unwrap();
        while let Some(frame) = client.read().await.unwrap() {
            client.write(&frame).await.unwrap();
        }
        client.close().await.unwrap();
    });
    channel.connect(TIMEOUT).await.unwrap();
    for i in 1..=50u32 {
        let frame = i.to_be_bytes().repeat(i as usize);
        channel.write(&frame).await.unwrap();
        assert_eq!(channel.read().await.unwrap().as_deref(), Some(&frame[..]));
    }
    channel.close().await.unwrap();
    peer.await.unwrap();
}
