//! The behaviour every runtime must show, written once as runtime-generic async functions and run
//! under each runtime by [`behaviour_tests!`](crate::behaviour_tests).
//!
//! A scenario is a `pub async fn name<R: pipe_io::Runtime, ...>()` that panics when the behaviour
//! is wrong. Scenarios that apply to both transports also take a [`Kind`] ([`Fifo`] or [`Tcp`]).
//! They use only `pipe-io`'s API, `futures-util` for concurrency and [`Runtime::sleep_until`] for
//! time, so they run unchanged on tokio, smol and async-std; each adapter crate's
//! `tests/behaviour.rs` is one macro call:
//!
//! ```text
//! pipe_tests::behaviour_tests!(pipe_smol::AsyncIo, smol::block_on);
//! ```
//!
//! Every generated test is bounded by [`SCENARIO_LIMIT`]: a hang fails the test instead of
//! stalling the run. Scenarios that count the process's file descriptors run alone (they take
//! a lock the others share), since the tests of one binary run on parallel threads.
//!
//! | module | behaviour |
//! |---|---|
//! | [`echo`] | every boundary size arrives intact, both ways at once; oversized and empty messages are refused before sending |
//! | [`contract`] | the behaviour table (`pipe-io/BEHAVIOUR.md`): every situation × every call, unsplit and split |
//! | [`close`] | what each side sees and may do after a close; the FIFO directory is removed by close and by drop |
//! | [`connect`] | connect timeouts within bounds, without leaks, saying what they waited for; impossible rendezvous fail at once; host names resolved inside `connect` only |
//! | [`security`] | owner-only FIFOs, and a FIFO client that opens only FIFOs and directories that are ours alone; a loopback-only, single-peer TCP listener that takes a stray of our own user |
//! | [`flow`] | a slow reader under a fast writer loses nothing |
//! | [`cancel`] | reads and writes cancelled by timeouts lose, duplicate or reorder nothing |
//! | [`batch`] | batches, `Sink::feed` then `flush`, concurrent split halves, half-close |
//! | [`batch_cut`] | a batch cut by the peer's death: every message taken is with the OS or counted and kept, and the next peer gets the counted ones once, in order; a batch begun before the peer's close is delivered whole |
//! | [`cycles`] | a thousand pipes leave no directory and no file descriptor behind |
//! | [`portable`] | `make_pipe` builds the platform's default transport; default and TCP pairs exchange and close |
//! | [`hangup`] | a peer dropped mid-stream: end of stream or truncation for the reader, an IO error for the writer |
//! | [`lend`] | `read_with` and `read_batch_with`: messages cut across reads or larger than the read buffer lent whole; mixed with `read`; the close or a cut frame after a batch answered by the next call, as `read` answers them |
//!
//! [`Runtime::sleep_until`]: pipe_io::Runtime::sleep_until

pub mod batch;
pub mod batch_cut;
pub mod cancel;
pub mod close;
pub mod connect;
pub mod contract;
pub mod cycles;
pub mod echo;
pub mod flow;
pub mod hangup;
pub mod lend;
pub mod portable;
pub mod security;
mod support;

#[cfg(unix)]
pub use pipe_io::Fifo;
pub use pipe_io::Tcp;
pub use support::{
    connected, connected_with, exclusive, shared, timeout, within, Frames, Jitter, Kind, CONNECT_TIMEOUT,
    SCENARIO_LIMIT,
};

/// Generates one `#[test]` per scenario for a runtime: `behaviour_tests!(Runtime, block_on)`,
/// where `Runtime` implements [`pipe_io::Runtime`] and `block_on` is an expression that, called
/// with a future, runs it to completion on that runtime's executor (a function such as
/// `smol::block_on`, or a closure that builds a runtime and blocks on the future).
///
/// The test names are specifications; the FIFO ones exist on Unix only.
#[macro_export]
macro_rules! behaviour_tests {
    ($runtime:ty, $block_on:expr $(,)?) => {
        $crate::behaviour_tests! { @tests $runtime, $block_on;
            // contract: the behaviour table, one test per row and transport
            #[cfg(unix)]
            fifo_contract_open: shared contract::open<Fifo>;
            tcp_contract_open: shared contract::open<Tcp>;
            #[cfg(unix)]
            fifo_contract_peer_closed_read: shared contract::peer_closed_read<Fifo>;
            tcp_contract_peer_closed_read: shared contract::peer_closed_read<Tcp>;
            #[cfg(unix)]
            fifo_contract_peer_closed_unread: shared contract::peer_closed_unread<Fifo>;
            tcp_contract_peer_closed_unread: shared contract::peer_closed_unread<Tcp>;
            #[cfg(unix)]
            fifo_contract_peer_died_between_frames: shared contract::peer_died_between_frames<Fifo>;
            tcp_contract_peer_died_between_frames: shared contract::peer_died_between_frames<Tcp>;
            #[cfg(unix)]
            fifo_contract_peer_died_mid_frame: shared contract::peer_died_mid_frame<Fifo>;
            tcp_contract_peer_died_mid_frame: shared contract::peer_died_mid_frame<Tcp>;
            #[cfg(unix)]
            fifo_contract_peer_half_closed: shared contract::peer_half_closed<Fifo>;
            tcp_contract_peer_half_closed: shared contract::peer_half_closed<Tcp>;
            #[cfg(unix)]
            fifo_contract_we_closed: shared contract::we_closed<Fifo>;
            tcp_contract_we_closed: shared contract::we_closed<Tcp>;
            #[cfg(unix)]
            fifo_contract_write_cancelled_peer_gone: shared contract::write_cancelled_peer_gone<Fifo>;
            tcp_contract_write_cancelled_peer_gone: shared contract::write_cancelled_peer_gone<Tcp>;
            #[cfg(unix)]
            fifo_contract_after_write_failure: shared contract::after_write_failure<Fifo>;
            tcp_contract_after_write_failure: shared contract::after_write_failure<Tcp>;
            #[cfg(unix)]
            fifo_contract_after_read_failure: shared contract::after_read_failure<Fifo>;
            tcp_contract_after_read_failure: shared contract::after_read_failure<Tcp>;
            // echo
            #[cfg(unix)]
            fifo_echo_of_every_boundary_size_arrives_intact: shared echo::boundary_sizes_echo<Fifo>;
            tcp_echo_of_every_boundary_size_arrives_intact: shared echo::boundary_sizes_echo<Tcp>;
            #[cfg(unix)]
            fifo_every_boundary_size_crosses_both_ways_at_once_intact:
                shared echo::boundary_sizes_both_ways_at_once<Fifo>;
            tcp_every_boundary_size_crosses_both_ways_at_once_intact:
                shared echo::boundary_sizes_both_ways_at_once<Tcp>;
            #[cfg(unix)]
            fifo_oversized_and_empty_frames_are_refused_before_sending_and_the_pipe_stays_usable:
                shared echo::oversized_and_empty_frames_are_refused<Fifo>;
            tcp_oversized_and_empty_frames_are_refused_before_sending_and_the_pipe_stays_usable:
                shared echo::oversized_and_empty_frames_are_refused<Tcp>;
            #[cfg(unix)]
            fifo_write_batch_stopped_by_an_invalid_frame_still_sends_the_frames_before_it:
                shared echo::batch_with_an_invalid_frame_sends_the_ones_before<Fifo>;
            tcp_write_batch_stopped_by_an_invalid_frame_still_sends_the_frames_before_it:
                shared echo::batch_with_an_invalid_frame_sends_the_ones_before<Tcp>;
            // close
            #[cfg(unix)]
            fifo_channel_close_reads_as_end_of_stream_forever_and_ends_use_of_both_sides:
                shared close::channel_close<Fifo>;
            tcp_channel_close_reads_as_end_of_stream_forever_and_ends_use_of_both_sides:
                shared close::channel_close<Tcp>;
            #[cfg(unix)]
            fifo_client_close_reads_as_end_of_stream_forever_and_ends_use_of_both_sides:
                shared close::client_close<Fifo>;
            tcp_client_close_reads_as_end_of_stream_forever_and_ends_use_of_both_sides:
                shared close::client_close<Tcp>;
            #[cfg(unix)]
            fifo_write_to_a_peer_that_closed_unread_fails_at_once_with_epipe:
                shared close::write_to_a_closed_peer_fails<Fifo>;
            tcp_write_to_a_peer_that_closed_unread_is_accepted_once_then_fails_with_epipe:
                shared close::write_to_a_closed_peer_fails<Tcp>;
            #[cfg(unix)]
            fifo_directory_is_removed_by_close_and_by_drop_without_close:
                shared close::fifo_directory_is_removed_by_close_and_by_drop;
            // connect
            #[cfg(unix)]
            fifo_channel_without_a_peer_times_out_in_bounds_leaks_no_fd_and_a_fresh_pipe_connects:
                exclusive connect::channel_without_a_peer_times_out<Fifo>;
            tcp_channel_without_a_peer_times_out_in_bounds_leaks_no_fd_and_a_fresh_pipe_connects:
                exclusive connect::channel_without_a_peer_times_out<Tcp>;
            #[cfg(unix)]
            fifo_client_without_a_connecting_channel_times_out_in_bounds_and_leaks_no_fd:
                exclusive connect::fifo_client_without_a_connecting_channel_times_out;
            tcp_client_to_a_port_nobody_listens_on_times_out_in_bounds_and_leaks_no_fd:
                exclusive connect::tcp_client_to_a_closed_port_times_out;
            #[cfg(unix)]
            fifo_client_on_missing_paths_fails_at_once_with_not_found:
                shared connect::fifo_client_on_missing_paths_fails_at_once;
            #[cfg(unix)]
            fifo_client_on_a_regular_file_is_refused_as_not_a_fifo:
                shared connect::fifo_client_on_a_regular_file_is_refused;
            #[cfg(unix)]
            fifo_pair_given_unswapped_paths_times_out_naming_the_path_and_suggesting_the_swap:
                shared connect::fifo_pair_given_unswapped_paths_times_out_naming_the_path;
            tcp_client_named_localhost_and_a_port_resolves_the_name_inside_connect_and_connects:
                shared connect::tcp_client_named_by_localhost_resolves_inside_connect;
            tcp_client_named_by_an_unresolvable_host_fails_from_connect_quickly_with_invalid_address:
                shared connect::tcp_client_named_by_an_unresolvable_host_fails_from_connect_quickly;
            tcp_client_made_with_a_host_name_does_no_lookup_and_garbage_is_refused_at_once:
                shared connect::tcp_client_made_with_a_host_name_does_no_lookup;
            // security
            #[cfg(unix)]
            fifo_rendezvous_directory_is_0700_and_its_fifos_0600_all_ours:
                shared security::fifo_rendezvous_is_private_to_the_owner;
            tcp_channel_listens_on_loopback_only_and_refuses_a_second_peer:
                shared security::tcp_channel_is_loopback_only_and_single_peer;
            tcp_stray_connection_of_our_own_user_is_taken_as_the_peer_and_reads_as_closed:
                shared security::tcp_stray_peer_of_our_own_user_is_taken_and_reads_as_closed;
            #[cfg(any(target_os = "linux", target_os = "android"))]
            tcp_stray_of_our_own_user_gone_before_the_accept_is_refused_and_our_client_taken:
                shared security::tcp_stray_that_left_before_the_accept_is_refused_and_our_client_taken;
            #[cfg(unix)]
            fifo_client_refuses_fifos_of_another_user_and_directories_others_may_write_at_once:
                shared security::fifo_client_refuses_a_rendezvous_that_is_not_ours_alone;
            #[cfg(unix)]
            fifo_client_takes_python_style_0644_fifos_in_a_0700_directory:
                shared security::fifo_client_takes_python_style_0644_fifos_in_a_0700_directory;
            // flow
            #[cfg(unix)]
            fifo_slow_reader_under_a_fast_writer_loses_no_data: shared flow::slow_reader_loses_nothing<Fifo>;
            tcp_slow_reader_under_a_fast_writer_loses_no_data: shared flow::slow_reader_loses_nothing<Tcp>;
            // cancel
            #[cfg(unix)]
            fifo_reads_cancelled_by_short_timeouts_lose_duplicate_or_reorder_nothing:
                shared cancel::reads_cancelled_by_timeouts_lose_nothing<Fifo>;
            tcp_reads_cancelled_by_short_timeouts_lose_duplicate_or_reorder_nothing:
                shared cancel::reads_cancelled_by_timeouts_lose_nothing<Tcp>;
            #[cfg(unix)]
            fifo_read_with_cancelled_by_short_timeouts_loses_duplicates_or_reorders_nothing:
                shared cancel::lent_reads_cancelled_by_timeouts_lose_nothing<Fifo>;
            tcp_read_with_cancelled_by_short_timeouts_loses_duplicates_or_reorders_nothing:
                shared cancel::lent_reads_cancelled_by_timeouts_lose_nothing<Tcp>;
            #[cfg(unix)]
            fifo_read_batch_with_cancelled_by_short_timeouts_loses_duplicates_or_reorders_nothing:
                shared cancel::batch_reads_cancelled_by_timeouts_lose_nothing<Fifo>;
            tcp_read_batch_with_cancelled_by_short_timeouts_loses_duplicates_or_reorders_nothing:
                shared cancel::batch_reads_cancelled_by_timeouts_lose_nothing<Tcp>;
            #[cfg(unix)]
            fifo_writes_cancelled_by_short_timeouts_are_sent_exactly_once_in_order:
                shared cancel::writes_cancelled_by_timeouts_are_sent_once<Fifo>;
            tcp_writes_cancelled_by_short_timeouts_are_sent_exactly_once_in_order:
                shared cancel::writes_cancelled_by_timeouts_are_sent_once<Tcp>;
            #[cfg(unix)]
            fifo_writes_never_polled_send_nothing: shared cancel::writes_never_polled_send_nothing<Fifo>;
            tcp_writes_never_polled_send_nothing: shared cancel::writes_never_polled_send_nothing<Tcp>;
            // batch
            #[cfg(unix)]
            fifo_write_batch_delivers_every_frame_in_order: shared batch::write_batch_delivers_all_in_order<Fifo>;
            tcp_write_batch_delivers_every_frame_in_order: shared batch::write_batch_delivers_all_in_order<Tcp>;
            #[cfg(unix)]
            fifo_sink_feed_then_flush_delivers_every_frame_in_order:
                shared batch::sink_feed_then_flush_delivers_all_in_order<Fifo>;
            tcp_sink_feed_then_flush_delivers_every_frame_in_order:
                shared batch::sink_feed_then_flush_delivers_all_in_order<Tcp>;
            #[cfg(unix)]
            fifo_split_halves_in_concurrent_futures_carry_both_directions:
                shared batch::split_halves_work_concurrently<Fifo>;
            tcp_split_halves_in_concurrent_futures_carry_both_directions:
                shared batch::split_halves_work_concurrently<Tcp>;
            #[cfg(unix)]
            fifo_split_writer_close_half_closes_while_the_reader_keeps_receiving:
                shared batch::writer_close_half_closes<Fifo>;
            tcp_split_writer_close_half_closes_while_the_reader_keeps_receiving:
                shared batch::writer_close_half_closes<Tcp>;
            // batch_cut
            #[cfg(unix)]
            fifo_a_batch_cut_by_a_dead_peer_reaches_the_next_peer_whole_once_in_order:
                shared batch_cut::a_batch_cut_by_a_dead_peer_reaches_the_next_peer_whole_once_in_order<Fifo>;
            tcp_a_batch_cut_by_a_dead_peer_reaches_the_next_peer_whole_once_in_order:
                shared batch_cut::a_batch_cut_by_a_dead_peer_reaches_the_next_peer_whole_once_in_order<Tcp>;
            #[cfg(unix)]
            fifo_a_split_writer_s_batch_cut_by_a_dead_peer_is_given_back_whole:
                shared batch_cut::a_split_writer_s_batch_cut_by_a_dead_peer_is_given_back_whole<Fifo>;
            tcp_a_split_writer_s_batch_cut_by_a_dead_peer_is_given_back_whole:
                shared batch_cut::a_split_writer_s_batch_cut_by_a_dead_peer_is_given_back_whole<Tcp>;
            #[cfg(unix)]
            fifo_a_sink_s_send_all_cut_by_a_dead_peer_counts_every_message_it_took:
                shared batch_cut::a_sink_s_send_all_cut_by_a_dead_peer_counts_every_message_it_took<Fifo>;
            tcp_a_sink_s_send_all_cut_by_a_dead_peer_counts_every_message_it_took:
                shared batch_cut::a_sink_s_send_all_cut_by_a_dead_peer_counts_every_message_it_took<Tcp>;
            #[cfg(unix)]
            fifo_a_batch_begun_before_the_peer_s_close_arrived_is_delivered_whole:
                shared batch_cut::a_batch_begun_before_the_peer_s_close_arrived_is_delivered_whole<Fifo>;
            tcp_a_batch_begun_before_the_peer_s_close_arrived_is_delivered_whole:
                shared batch_cut::a_batch_begun_before_the_peer_s_close_arrived_is_delivered_whole<Tcp>;
            // cycles
            #[cfg(unix)]
            fifo_a_thousand_open_connect_close_cycles_leave_no_directory_and_no_fd:
                exclusive cycles::open_connect_close_cycles_leave_nothing<Fifo>;
            tcp_a_thousand_open_connect_close_cycles_leave_no_fd:
                exclusive cycles::open_connect_close_cycles_leave_nothing<Tcp>;
            // hangup
            #[cfg(unix)]
            fifo_writer_dropped_at_a_frame_boundary_reads_as_end_of_stream:
                shared hangup::writer_dropped_at_a_frame_boundary<Fifo>;
            tcp_writer_dropped_at_a_frame_boundary_reads_as_end_of_stream:
                shared hangup::writer_dropped_at_a_frame_boundary<Tcp>;
            #[cfg(unix)]
            fifo_writer_dropped_mid_frame_reads_as_a_truncated_frame: shared hangup::writer_dropped_mid_frame<Fifo>;
            tcp_writer_dropped_mid_frame_reads_as_a_truncated_frame: shared hangup::writer_dropped_mid_frame<Tcp>;
            #[cfg(unix)]
            fifo_reader_dropped_mid_stream_fails_writes_with_epipe_and_the_process_survives:
                shared hangup::reader_dropped_mid_stream<Fifo>;
            tcp_reader_dropped_mid_stream_fails_writes_with_epipe_or_econnreset_and_the_process_survives:
                shared hangup::reader_dropped_mid_stream<Tcp>;
            #[cfg(unix)]
            fifo_reader_dropped_under_a_blocked_writer_fails_the_write_with_epipe:
                shared hangup::reader_dropped_under_a_blocked_writer<Fifo>;
            tcp_reader_dropped_under_a_blocked_writer_fails_the_write_with_epipe_or_econnreset:
                shared hangup::reader_dropped_under_a_blocked_writer<Tcp>;
            // lend
            #[cfg(unix)]
            fifo_read_with_lends_frames_cut_across_reads_and_larger_than_the_read_buffer_whole:
                shared lend::frames_cut_across_reads_are_lent_whole<Fifo>;
            tcp_read_with_lends_frames_cut_across_reads_and_larger_than_the_read_buffer_whole:
                shared lend::frames_cut_across_reads_are_lent_whole<Tcp>;
            #[cfg(unix)]
            fifo_read_batch_with_lends_frames_cut_across_reads_and_larger_than_the_read_buffer_whole:
                shared lend::frames_cut_across_reads_are_lent_whole_in_batches<Fifo>;
            tcp_read_batch_with_lends_frames_cut_across_reads_and_larger_than_the_read_buffer_whole:
                shared lend::frames_cut_across_reads_are_lent_whole_in_batches<Tcp>;
            #[cfg(unix)]
            fifo_read_batch_with_leaves_the_close_or_a_cut_frame_after_its_messages_to_the_next_call:
                shared lend::what_follows_a_batch_is_the_next_call_s_answer<Fifo>;
            tcp_read_batch_with_leaves_the_close_or_a_cut_frame_after_its_messages_to_the_next_call:
                shared lend::what_follows_a_batch_is_the_next_call_s_answer<Tcp>;
            #[cfg(unix)]
            fifo_read_read_with_and_read_batch_with_mixed_take_every_message_once_in_order:
                shared lend::read_and_read_with_take_every_message_once_in_order<Fifo>;
            tcp_read_read_with_and_read_batch_with_mixed_take_every_message_once_in_order:
                shared lend::read_and_read_with_take_every_message_once_in_order<Tcp>;
            #[cfg(unix)]
            fifo_read_with_after_the_writer_died_mid_frame_answers_the_truncated_frame_as_read_does:
                shared lend::peer_died_mid_frame_is_a_truncated_frame<Fifo>;
            tcp_read_with_after_the_writer_died_mid_frame_answers_the_truncated_frame_as_read_does:
                shared lend::peer_died_mid_frame_is_a_truncated_frame<Tcp>;
            // portable
            make_pipe_builds_the_platform_default_transport: shared portable::make_pipe_builds_the_platform_default;
            default_transport_pair_exchanges_frames_and_closes:
                shared portable::default_transport_pair_exchanges_and_closes;
            tcp_pair_exchanges_frames_and_closes_on_every_platform: shared portable::tcp_pair_exchanges_and_closes;
            a_port_or_a_socket_address_names_a_tcp_client_on_every_platform: shared portable::a_port_names_a_tcp_client;
            #[cfg(unix)]
            anything_but_a_tcp_address_names_a_fifo_client_absolute_paths_always:
                shared portable::anything_else_names_a_fifo_client;
        }
    };
    (@tests $runtime:ty, $block_on:expr;
        $($(#[$meta:meta])* $name:ident: $lock:ident $module:ident::$scenario:ident $(<$kind:ident>)?;)*
    ) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                let _lock = $crate::scenarios::$lock();
                let block_on = $block_on;
                block_on($crate::scenarios::within::<$runtime, _>(
                    $crate::scenarios::SCENARIO_LIMIT,
                    stringify!($name),
                    $crate::scenarios::$module::$scenario::<$runtime $(, $crate::scenarios::$kind)?>(),
                ));
            }
        )*
    };
}
