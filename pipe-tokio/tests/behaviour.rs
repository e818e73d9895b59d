//! The behaviour every runtime must show (`pipe_tests::scenarios`), on a current-thread tokio
//! runtime with IO and time enabled, one runtime per test.

pipe_tests::behaviour_tests!(pipe_tokio::Tokio, |scenario| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a current-thread tokio runtime")
        .block_on(scenario)
});
