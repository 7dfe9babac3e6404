//! Link, IP and transport layers: stateless dissection of one frame, plus the
//! stateful parts (IP fragment and TCP stream reassembly), each bounded.
