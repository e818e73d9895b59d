//! The behaviour every runtime must show (`pipe_tests::scenarios`), on smol's `block_on`.

pipe_tests::behaviour_tests!(pipe_smol::AsyncIo, smol::block_on);
