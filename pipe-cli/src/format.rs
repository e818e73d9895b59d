//! The four formats, both ways: [`FrameInput`] cuts stdin into frames, [`FrameOutput`] prints
//! received frames.

use std::io;

use base64::Engine as _;
use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};

use crate::clock;
use crate::exit::Failure;

/// How frames look on stdin and stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One frame per line, without its newline.
    Lines,
    /// One frame per line, in hexadecimal.
    Hex,
    /// One JSON object per line.
    Json,
    /// The length-prefixed bytes as on the wire.
    Wire,
}

/// The wire header: a u32 big-endian length.
const HEADER_LEN: usize = 4;

/// Frames read from a byte stream (stdin) in one format.
#[derive(Debug)]
pub struct FrameInput<R> {
    reader: BufReader<R>,
    format: Format,
    max_frame_len: usize,
    /// Lines (or, for `--wire`, frames) read so far, for messages.
    count: u64,
    /// Bytes read so far, for `--wire` messages.
    offset: u64,
    ended: bool,
}

impl<R: AsyncRead + Unpin> FrameInput<R> {
    /// Frames of at most `max_frame_len` bytes from `reader`.
    pub fn new(reader: R, format: Format, max_frame_len: usize) -> Self {
        let reader = BufReader::with_capacity(64 * 1024, reader);
        Self { reader, format, max_frame_len, count: 0, offset: 0, ended: false }
    }

    /// The next frame, `None` at the end of the input (or, for `--wire`, at a zero-length
    /// header: the close marker). Empty lines are skipped: the wire has no empty message.
    pub async fn next(&mut self) -> Result<Option<Bytes>, Failure> {
        if self.ended {
            return Ok(None);
        }
        let frame = match self.format {
            Format::Wire => self.next_wire().await?,
            Format::Lines | Format::Hex | Format::Json => self.next_text().await?,
        };
        if frame.is_none() {
            self.ended = true;
        }
        Ok(frame)
    }

    async fn next_text(&mut self) -> Result<Option<Bytes>, Failure> {
        // Enough for any valid encoding of a frame of the maximum length, and a bound on memory.
        let limit = match self.format {
            Format::Lines => self.max_frame_len,
            Format::Hex => self.max_frame_len.saturating_mul(3),
            _ => self.max_frame_len.saturating_mul(6).saturating_add(4096),
        };
        loop {
            let Some(line) = self.read_line(limit).await? else { return Ok(None) };
            self.count += 1;
            let frame = match self.format {
                Format::Lines => line,
                Format::Hex => decode_hex(&line).map_err(|e| self.bad_line(&e))?,
                _ => decode_json(&line).map_err(|e| self.bad_line(&e))?,
            };
            if frame.is_empty() {
                continue;
            }
            if frame.len() > self.max_frame_len {
                return Err(self.bad_line(&format!(
                    "a frame of {} bytes exceeds the maximum frame length of {} bytes",
                    frame.len(),
                    self.max_frame_len
                )));
            }
            return Ok(Some(frame.into()));
        }
    }

    fn bad_line(&self, why: &str) -> Failure {
        let format = match self.format {
            Format::Lines | Format::Wire => "",
            Format::Hex => " --hex",
            Format::Json => " --json",
        };
        Failure::bad_input(format!("bad{format} input on line {}: {why}", self.count))
    }

    /// One line without its `\n`, `None` at the end of the input; an error past `limit` bytes.
    async fn read_line(&mut self, limit: usize) -> Result<Option<Vec<u8>>, Failure> {
        let mut line = Vec::new();
        loop {
            let available = self.reader.fill_buf().await.map_err(|e| Failure::io("reading stdin", e))?;
            if available.is_empty() {
                return Ok((!line.is_empty()).then_some(line));
            }
            let (chunk, found) = match available.iter().position(|&b| b == b'\n') {
                Some(at) => (&available[..at], Some(at + 1)),
                None => (available, None),
            };
            line.extend_from_slice(chunk);
            let used = found.unwrap_or(chunk.len());
            self.reader.consume(used);
            if line.len() > limit {
                self.count += 1;
                let why = match self.format {
                    Format::Lines => "the line is over",
                    _ => "the line is too long to hold a frame within",
                };
                return Err(self.bad_line(&format!("{why} the maximum frame length of {} bytes", self.max_frame_len)));
            }
            if found.is_some() {
                return Ok(Some(line));
            }
        }
    }

    async fn next_wire(&mut self) -> Result<Option<Bytes>, Failure> {
        let start = self.offset;
        let mut header = [0u8; HEADER_LEN];
        let got = self.read_full(&mut header).await?;
        if got == 0 {
            return Ok(None);
        }
        if got < HEADER_LEN {
            return Err(self.bad_wire(start, format!("the input ends inside a header ({got} of 4 bytes)")));
        }
        let len = u32::from_be_bytes(header) as usize;
        if len == 0 {
            // The close marker: what follows it is not part of the stream.
            return Ok(None);
        }
        if len > self.max_frame_len {
            return Err(self.bad_wire(
                start,
                format!(
                    "a header announces {len} bytes, over the maximum frame length of {} bytes",
                    self.max_frame_len
                ),
            ));
        }
        let mut payload = vec![0u8; len];
        let got = self.read_full(&mut payload).await?;
        if got < len {
            return Err(self.bad_wire(start, format!("the input ends inside a frame ({got} of {len} payload bytes)")));
        }
        self.count += 1;
        Ok(Some(payload.into()))
    }

    fn bad_wire(&self, offset: u64, why: String) -> Failure {
        Failure::bad_input(format!("bad --wire input at byte {offset} (frame {}): {why}", self.count + 1))
    }

    /// Fills `buf` unless the input ends first; answers how many bytes were read.
    async fn read_full(&mut self, buf: &mut [u8]) -> Result<usize, Failure> {
        let mut filled = 0;
        while filled < buf.len() {
            let available = self.reader.fill_buf().await.map_err(|e| Failure::io("reading stdin", e))?;
            if available.is_empty() {
                break;
            }
            let n = available.len().min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&available[..n]);
            self.reader.consume(n);
            filled += n;
        }
        self.offset += filled as u64;
        Ok(filled)
    }
}

fn decode_hex(line: &[u8]) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = line.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err("an odd number of hex digits".into());
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => Ok(d - b'0'),
        b'a'..=b'f' => Ok(d - b'a' + 10),
        b'A'..=b'F' => Ok(d - b'A' + 10),
        _ => Err(format!("{:?} is not a hex digit", char::from(d))),
    };
    digits.chunks(2).map(|pair| Ok(value(pair[0])? << 4 | value(pair[1])?)).collect()
}

fn decode_json(line: &[u8]) -> Result<Vec<u8>, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| format!("not JSON: {e}"))?;
    let Some(payload) = value.get("payload").and_then(|p| p.as_str()) else {
        return Err("no \"payload\" string".into());
    };
    match value.get("encoding").and_then(|e| e.as_str()).unwrap_or("utf8") {
        "utf8" | "utf-8" => Ok(payload.as_bytes().to_vec()),
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(payload)
            .map_err(|e| format!("the payload is not base64: {e}")),
        other => Err(format!("unknown encoding {other:?} (expected \"utf8\" or \"base64\")")),
    }
}

/// Received frames printed to a byte stream (stdout) in one format.
#[derive(Debug)]
pub struct FrameOutput<W: AsyncWrite> {
    writer: BufWriter<W>,
    format: Format,
    /// `writer` is the terminal the `--stats` line is on: the line is put aside while frames
    /// are printed, so that they do not land after it.
    on_status_terminal: bool,
    /// The status line is aside until the next flush.
    status_aside: bool,
}

impl<W: AsyncWrite + Unpin> FrameOutput<W> {
    /// Frames printed to `writer`.
    pub fn new(writer: W, format: Format) -> Self {
        let writer = BufWriter::with_capacity(64 * 1024, writer);
        Self { writer, format, on_status_terminal: false, status_aside: false }
    }

    /// Frames printed to `writer`, which is the terminal that the `--stats` line is on when
    /// `terminal`.
    pub fn on_terminal(writer: W, format: Format, terminal: bool) -> Self {
        Self { on_status_terminal: terminal, ..Self::new(writer, format) }
    }

    /// Prints one frame (buffered: see [`flush`](Self::flush)).
    pub async fn write(&mut self, frame: &[u8]) -> io::Result<()> {
        if self.on_status_terminal && !self.status_aside {
            crate::stats::hide_status();
            self.status_aside = true;
        }
        match self.format {
            Format::Lines => {
                self.writer.write_all(frame).await?;
                self.writer.write_all(b"\n").await
            }
            Format::Hex => {
                let mut line = encode_hex(frame);
                line.push('\n');
                self.writer.write_all(line.as_bytes()).await
            }
            Format::Json => {
                let mut line = json_line("received", frame);
                line.push('\n');
                self.writer.write_all(line.as_bytes()).await
            }
            Format::Wire => {
                let len = u32::try_from(frame.len()).map_err(|_| io::Error::other("frame over 4 GiB"))?;
                self.writer.write_all(&len.to_be_bytes()).await?;
                self.writer.write_all(frame).await
            }
        }
    }

    /// Hands everything printed so far to the OS.
    pub async fn flush(&mut self) -> io::Result<()> {
        let flushed = self.writer.flush().await;
        if self.status_aside {
            crate::stats::show_status();
            self.status_aside = false;
        }
        flushed
    }
}

/// Lowercase hexadecimal.
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// One frame as a JSON object: direction, time, length, payload (UTF-8 text where it is,
/// base64 otherwise) and its encoding, the keys in that order (the documented one).
pub fn json_line(direction: &str, frame: &[u8]) -> String {
    json_line_at(direction, &clock::now(), frame)
}

fn json_line_at(direction: &str, time: &str, frame: &[u8]) -> String {
    let (payload, encoding) = match std::str::from_utf8(frame) {
        Ok(text) => (serde_json::Value::from(text), "utf8"),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(frame).into(), "base64"),
    };
    // serde_json's own map sorts its keys: the object is written key by key instead.
    let string = |text: &str| serde_json::Value::from(text).to_string();
    format!(
        "{{\"direction\":{},\"time\":{},\"length\":{},\"payload\":{payload},\"encoding\":{}}}",
        string(direction),
        string(time),
        frame.len(),
        string(encoding),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8], format: Format, max: usize) -> Result<Vec<Vec<u8>>, Failure> {
        let mut reader = FrameInput::new(input, format, max);
        let mut all = Vec::new();
        while let Some(frame) = reader.next().await? {
            all.push(frame.to_vec());
        }
        Ok(all)
    }

    async fn printed(frames: &[&[u8]], format: Format) -> Vec<u8> {
        let mut out = FrameOutput::new(Vec::new(), format);
        for frame in frames {
            out.write(frame).await.unwrap();
        }
        out.flush().await.unwrap();
        out.writer.into_inner()
    }

    #[tokio::test]
    async fn lines_drop_the_newline_skip_empty_lines_and_keep_a_last_unterminated_line() {
        let got = frames(b"one\n\ntwo\r\nthree", Format::Lines, 100).await.unwrap();
        assert_eq!(got, [&b"one"[..], b"two\r", b"three"]);
        assert_eq!(printed(&[b"one", b"two"], Format::Lines).await, b"one\ntwo\n");
    }

    #[tokio::test]
    async fn a_line_over_the_limit_is_bad_input() {
        let err = frames(b"ok\ntoo long\n", Format::Lines, 4).await.unwrap_err();
        assert_eq!(err.code, crate::exit::BAD_INPUT);
        assert!(err.message.contains("line 2"), "{}", err.message);
    }

    #[tokio::test]
    async fn hex_round_trips_and_rejects_non_hex() {
        assert_eq!(printed(&[b"\x00\xffA"], Format::Hex).await, b"00ff41\n");
        assert_eq!(frames(b"00ff41\n00 FF 41\n", Format::Hex, 10).await.unwrap(), [b"\x00\xffA", b"\x00\xffA"]);
        assert_eq!(frames(b"0g\n", Format::Hex, 10).await.unwrap_err().code, crate::exit::BAD_INPUT);
        assert_eq!(frames(b"abc\n", Format::Hex, 10).await.unwrap_err().code, crate::exit::BAD_INPUT);
    }

    #[test]
    fn json_keys_come_in_the_documented_order() {
        assert_eq!(
            json_line_at("received", "T", b"hi \"there\""),
            r#"{"direction":"received","time":"T","length":10,"payload":"hi \"there\"","encoding":"utf8"}"#
        );
        assert_eq!(
            json_line_at("received", "T", b"\xff"),
            r#"{"direction":"received","time":"T","length":1,"payload":"/w==","encoding":"base64"}"#
        );
    }

    #[tokio::test]
    async fn json_output_can_be_read_back_as_input() {
        let out = printed(&[b"caf\xc3\xa9", b"\xff\x00"], Format::Json).await;
        let lines: Vec<serde_json::Value> =
            out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect();
        assert_eq!(lines[0]["payload"], "café");
        assert_eq!(lines[0]["encoding"], "utf8");
        assert_eq!(lines[1]["encoding"], "base64");
        assert_eq!(lines[1]["length"], 2);
        assert_eq!(frames(&out, Format::Json, 10).await.unwrap(), [&b"caf\xc3\xa9"[..], b"\xff\x00"]);
        assert_eq!(frames(b"{\"nopayload\":1}\n", Format::Json, 10).await.unwrap_err().code, crate::exit::BAD_INPUT);
    }

    #[tokio::test]
    async fn wire_round_trips_stops_at_the_close_marker_and_rejects_a_cut_stream() {
        let out = printed(&[b"ab", b"c"], Format::Wire).await;
        assert_eq!(out, b"\0\0\0\x02ab\0\0\0\x01c");
        assert_eq!(frames(&out, Format::Wire, 10).await.unwrap(), [&b"ab"[..], b"c"]);
        let mut closed = out.clone();
        closed.extend_from_slice(b"\0\0\0\0garbage");
        assert_eq!(frames(&closed, Format::Wire, 10).await.unwrap().len(), 2);
        let cut = frames(&out[..5], Format::Wire, 10).await.unwrap_err();
        assert_eq!(cut.code, crate::exit::BAD_INPUT);
        assert!(cut.message.contains("inside a frame"), "{}", cut.message);
        assert!(frames(&out[..2], Format::Wire, 10).await.unwrap_err().message.contains("inside a header"));
        let big = frames(b"\0\0\0\x0babcdefghijk", Format::Wire, 10).await.unwrap_err();
        assert!(big.message.contains("maximum frame length"), "{}", big.message);
    }
}
