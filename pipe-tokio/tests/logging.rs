//! Connect attempts, timeouts and closes are logged at debug level through the `log` facade, so
//! an application sees them in its own logger (as the Python pipe logs to the logger it is given).

use std::sync::Mutex;
use std::time::Duration;

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Capture(Mutex<Vec<(Level, String)>>);

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        self.0.lock().unwrap().push((record.level(), record.args().to_string()));
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

fn debug_lines_containing(text: &str) -> usize {
    LOGGER.0.lock().unwrap().iter().filter(|(level, line)| *level == Level::Debug && line.contains(text)).count()
}

#[tokio::test(flavor = "current_thread")]
async fn connect_attempts_timeouts_and_closes_are_logged_at_debug_level() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(LevelFilter::Trace);

    // A client whose channel never comes: refused attempts, then the timeout.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    drop(listener);
    let mut lonely = pipe_tokio::TcpSocketPipe::client(&port, &port).unwrap();
    let err = lonely.connect(Duration::from_millis(200)).await.unwrap_err();
    assert!(matches!(err, pipe_tokio::Error::Timeout { .. }), "{err:?}");
    assert!(debug_lines_containing("connecting") >= 1, "the connect start is logged");
    assert!(debug_lines_containing("peer not ready") >= 2, "each refused attempt is logged");
    assert_eq!(debug_lines_containing("connect gave up"), 1, "the timeout is logged once");

    // A connected pair, closed.
    let mut channel = pipe_tokio::TcpSocketPipe::new().unwrap();
    let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path()).unwrap();
    let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    a.unwrap();
    b.unwrap();
    assert!(debug_lines_containing("connected") >= 2);
    client.close().await.unwrap();
    assert!(debug_lines_containing("closed") >= 1, "the close is logged");
}
