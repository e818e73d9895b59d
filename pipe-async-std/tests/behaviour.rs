//! The behaviour every runtime must show (`pipe_tests::scenarios`), on async-std's `block_on`.

pipe_tests::behaviour_tests!(pipe_async_std::AsyncStd, async_std::task::block_on);
