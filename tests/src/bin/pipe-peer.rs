//! `pipe-peer`: one end of an AEA pipe in a process of its own, for cross-process tests. See
//! `pipe_tests::peer` for the command line, the modes and the stdout lines.

fn main() {
    std::process::exit(pipe_tests::peer::main(std::env::args().skip(1)));
}
