//! Application-layer decoders, one file per protocol. Each is a pure parser:
//! bytes in, borrowed views out, no state kept between calls.

pub mod demux;
pub mod dtls;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod sip;
pub mod stun;
