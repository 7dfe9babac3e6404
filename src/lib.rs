//! callscope: rebuilds the SIP, STUN/TURN, DTLS and RTP of each call found in a
//! packet capture and says where a failed call stopped.
//!
//! The flow is one-way: [`capture`] reads frames, [`net`] takes them through
//! link, IP and transport layers, [`decode`] turns payloads into protocol
//! messages, [`pipeline`] runs that in parallel and hands results on in frame
//! order, and the output layers print them.

pub mod capture;
pub mod decode;
pub mod net;
pub mod packets;
pub mod pipeline;
