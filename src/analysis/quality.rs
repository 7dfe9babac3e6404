//! Voice quality of an RTP stream as a MOS estimate, from the E-model
//! (ITU-T G.107) with the codec impairments of ITU-T G.113 Appendix I, as
//! sngrep and VoIPmonitor users expect to see one.
//!
//! A capture taken at one point cannot see the mouth-to-ear delay, so the
//! delay is estimated from what the receiver must buffer: two jitters plus
//! 40 ms of codec frame and playout. Loss is taken as random (BurstR = 1).
//! The number ranks streams and flags a bad one; it is not a listening test.

/// Equipment impairment `Ie` and packet-loss robustness `Bpl` of a codec
/// (G.113 Appendix I), by static payload type (RFC 3551). Codecs G.113
/// does not list (Opus and other dynamic types) get G.711's values: they
/// are at least as good at the rates WebRTC uses.
fn codec_impairment(payload_type: u8) -> (f64, f64) {
    match payload_type {
        // G.711 with packet-loss concealment.
        0 | 8 => (0.0, 25.1),
        // GSM-FR.
        3 => (20.0, 10.0),
        // G.723.1 at 6.3 kbit/s.
        4 => (15.0, 16.1),
        // G.729A with VAD.
        18 => (11.0, 19.0),
        _ => (0.0, 25.1),
    }
}

/// The MOS estimate (1.0 to 4.5) of an audio stream, or `None` for a
/// stream whose clock rate says video (90 kHz) or that expected nothing.
pub fn mos_estimate(
    payload_type: u8,
    clock_rate: Option<u32>,
    lost: u64,
    expected: u64,
    jitter_ms: f64,
) -> Option<f64> {
    if expected == 0 || clock_rate == Some(90_000) {
        return None;
    }
    let (ie, bpl) = codec_impairment(payload_type);
    let ppl = (lost.min(expected) as f64 / expected as f64) * 100.0;
    let ie_eff = ie + (95.0 - ie) * ppl / (ppl + bpl);
    // The delay impairment Id of G.107 in the simplified form of Cole and
    // Rosenbluth (2001), with Ta the one-way delay estimate (ms).
    let ta = 2.0 * jitter_ms.max(0.0) + 40.0;
    let id = 0.024 * ta + if ta > 177.3 { 0.11 * (ta - 177.3) } else { 0.0 };
    let r = 93.2 - id - ie_eff;
    // G.107 Annex B: R to MOS.
    let mos = if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)
    };
    Some((mos * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_g711_scores_as_toll_quality() {
        // R = 93.2 - 0.96 = 92.24: the well-known 4.4 of G.711.
        assert_eq!(mos_estimate(0, Some(8000), 0, 1000, 0.0), Some(4.39));
    }

    #[test]
    fn loss_and_jitter_lower_the_score() {
        let clean = mos_estimate(8, Some(8000), 0, 1000, 1.0).unwrap();
        let lossy = mos_estimate(8, Some(8000), 50, 1000, 1.0).unwrap();
        let jittery = mos_estimate(8, Some(8000), 0, 1000, 120.0).unwrap();
        assert!(
            lossy < clean && jittery < clean,
            "{clean} {lossy} {jittery}"
        );
        // 5 % random loss on G.711: Ie_eff = 95 * 5 / 30.1 = 15.8, R = 76.4.
        assert_eq!(lossy, 3.88);
        // Everything lost: Ie_eff = 95 * 100 / 125.1 = 75.9, R = 16.3.
        assert_eq!(mos_estimate(0, Some(8000), 1000, 1000, 0.0), Some(1.15));
        // Jitter past the delay knee (Ta = 290 ms): R = 93.2 - 19.4.
        assert_eq!(mos_estimate(0, Some(8000), 0, 1000, 125.0), Some(3.77));
    }

    #[test]
    fn g729_starts_lower_than_g711() {
        assert_eq!(mos_estimate(18, Some(8000), 0, 1000, 0.0), Some(4.07));
    }

    #[test]
    fn video_and_empty_streams_have_no_score() {
        assert_eq!(mos_estimate(96, Some(90_000), 0, 100, 0.0), None);
        assert_eq!(mos_estimate(0, Some(8000), 0, 0, 0.0), None);
    }
}
