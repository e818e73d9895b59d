//! The `Sink` of messages, one set of impls for the pipe and for its writer: [`Bytes`] and
//! `Vec<u8>` are handed over (on a failed pipe kept, counted and given back by `take_unsent`);
//! borrowed bytes (`&[u8]`, `&[u8; N]`, `&str`) are copied once into the queue (on a failed
//! pipe refused, and left with the caller).
//!
//! [`Bytes`]: bytes::Bytes

/// Implements `Sink` of every message type for `$ty`, whose method `$parts` gives its send half
/// and write end and whose method `$close` closes it; the attributes (the docs) go on the
/// `Sink<Bytes>` impl.
macro_rules! sink_of_messages {
    ($(#[$attr:meta])* $ty:ty, [$($generics:tt)*], $parts:ident, $close:ident) => {
        $(#[$attr])*
        impl<$($generics)*> Sink<Bytes> for $ty {
            $crate::sink::sink_of_messages!(@body Bytes, $parts, $close, |half, item| half.send(item));
        }
        impl<'a, $($generics)*> Sink<&'a [u8]> for $ty {
            $crate::sink::sink_of_messages!(@body &'a [u8], $parts, $close, |half, item| half.send_slice(item));
        }
        impl<'a, const N: usize, $($generics)*> Sink<&'a [u8; N]> for $ty {
            $crate::sink::sink_of_messages!(@body &'a [u8; N], $parts, $close, |half, item| half.send_slice(item));
        }
        impl<'a, $($generics)*> Sink<&'a str> for $ty {
            $crate::sink::sink_of_messages!(@body &'a str, $parts, $close, |half, item| half.send_slice(item.as_bytes()));
        }
        impl<$($generics)*> Sink<Vec<u8>> for $ty {
            $crate::sink::sink_of_messages!(@body Vec<u8>, $parts, $close, |half, item| half.send(Bytes::from(item)));
        }
    };
    (@body $item_ty:ty, $parts:ident, $close:ident, |$half:ident, $item:ident| $send:expr) => {
        type Error = Error;

        fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
            let (half, end) = self.get_mut().$parts();
            engine::poll_ready(half, end, cx)
        }

        fn start_send(self: Pin<&mut Self>, $item: $item_ty) -> Result<(), Error> {
            let ($half, _) = self.get_mut().$parts();
            Ok($send?)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
            let (half, end) = self.get_mut().$parts();
            engine::poll_flush(half, end, cx)
        }

        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
            self.get_mut().$close(cx)
        }
    };
}

pub(crate) use sink_of_messages;
