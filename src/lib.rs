//! callscope: rebuilds the SIP, STUN/TURN, DTLS and RTP of each call found in a
//! packet capture and says where a failed call stopped.
//!
//! The flow is one-way: [`capture`] reads frames, [`net`] takes them through
//! link, IP and transport layers, [`decode`] turns payloads into protocol
//! messages, [`pipeline`] runs that in parallel and hands results on in frame
//! order, and [`report`] prints them.

pub mod analysis;
pub mod bench_support;
pub mod capture;
pub mod decode;
pub mod engine;
#[cfg(feature = "live")]
pub mod live;
pub mod net;
pub mod pipeline;
pub mod report;
pub mod triage;
pub mod tui;
pub mod verdict;
