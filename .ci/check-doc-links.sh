#!/usr/bin/env bash
# Fails if the rendered documentation of our crates shows a link that did not resolve: rustdoc
# then prints the Markdown as it was, `[Name]` or [`Name`], as text. Run after `cargo doc`.
set -euo pipefail
cd "$(dirname "$0")/.."
docs=target/doc
found=0
# Every public name of our crates that a link could be written for.
ours='Pipe|PipeReader|PipeWriter|PosixNamedPipe|TcpSocketPipe|LocalPortablePipe|Connection|Config|Error|Inbox|Outbox'
ours+='|RecvHalf|SendHalf|Received|State|Side|Transport|Failure|Undelivered|FrameDecoder|FrameHeader|Header'
ours+='|Action|ConnectAction|RecvAction|SendAction|Event|EncodeError|DecodeError|SendError|RecvError|ConnectError'
ours+='|Runtime|Fifo|Tcp|Portable|PipeCodec|Tokio|AsyncIo|make_pipe[a-z_]*|encode_into|prelude|behaviour|BufMut'
for crate in pipe_proto pipe_io pipe_tokio pipe_smol pipe_async_std; do
    [ -d "$docs/$crate" ] || { echo "no rendered documentation for $crate in $docs: run cargo doc first" >&2; exit 1; }
    # [<code>Name</code>] or [Name] as text, for a name of ours (the pages also show the docs
    # of foreign traits' methods, whose own links are not ours to fix).
    if grep -rnoE "\[(<code>)? *(${ours})(::[A-Za-z0-9_]+)*(\(\))? *(</code>)?\]" "$docs/$crate" --include='*.html'; then
        found=1
    fi
done
if [ "$found" = 1 ]; then
    echo "the rendered documentation shows unresolved links as literal text (above)" >&2
    exit 1
fi
echo "no literal link text in the rendered documentation"
