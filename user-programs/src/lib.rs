//! Nothing to use: this crate's tests are the programs the README and the crate docs invite a
//! user to write (split halves in two tasks with `select!`, `Stream`/`Sink` combinators on the
//! whole pipe and on the halves, `reunite`, a configured `make_pipe`, matching errors), each
//! compiled against nothing but one runtime crate and its runtime (see `Cargo.toml`), and run.
