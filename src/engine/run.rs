//! Running a session over a whole source: a reading thread, a decoding
//! thread a batch ahead, correlation on the caller's thread; or all of it
//! on the caller's thread for many sessions at once.

use super::*;

impl Session {
    /// Reads a whole source, feeding every frame, and hands each decoded
    /// frame to `on_frame`. Reading runs on a thread of its own, so it
    /// overlaps decoding and analysis. A source that yields no frame at all
    /// because of an error is an error; an error after some frames comes
    /// back in [`RunOutcome::late_error`].
    pub fn run(
        &mut self,
        source: impl FrameSource,
        on_frame: impl FnMut(&DecodedFrame<'_>, &RawFrame<'_>, &Analyzer),
    ) -> Result<RunOutcome, CaptureError> {
        self.run_observed(source, &mut FrameFn(on_frame))
    }

    /// [`Self::run`] with an observer that also sees finalised calls (all
    /// of them, the last ones at the end of the source).
    pub fn run_observed(
        &mut self,
        source: impl FrameSource,
        observer: &mut impl SessionObserver,
    ) -> Result<RunOutcome, CaptureError> {
        use std::sync::mpsc;

        if self.options.caller_thread_only {
            let mut source = source;
            let mut batch = FrameBatch::new();
            let mut frames = 0usize;
            let mut error = None;
            loop {
                match source.next_batch(&mut batch) {
                    Ok(0) => break,
                    Ok(n) => {
                        self.feed_batch_observed(&batch, observer);
                        frames += n;
                    }
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            return self.end_run(source.info(), frames, error, observer);
        }
        let fallback_info = source.info();
        std::thread::scope(|scope| {
            let (full_tx, full_rx) = mpsc::sync_channel::<Result<FrameBatch, CaptureError>>(1);
            let (empty_tx, empty_rx) = mpsc::channel::<Spare>();
            for _ in 0..BATCHES_IN_FLIGHT {
                // Cannot fail: the receiver is alive.
                let _ = empty_tx.send(Spare::Empty(FrameBatch::new()));
            }
            let reading = scope.spawn(move || -> CaptureInfo {
                let mut source = source;
                // Ends when the session stops taking batches, at the end
                // of the source, or at an error.
                while let Ok(spare) = empty_rx.recv() {
                    let mut batch = spare.into_batch();
                    match source.next_batch(&mut batch) {
                        Ok(0) => break,
                        Ok(_) => {
                            if full_tx.send(Ok(batch)).is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            let _ = full_tx.send(Err(e));
                            break;
                        }
                    }
                }
                source.info()
            });
            let mut frames = 0usize;
            let mut error = None;
            if self.options.threads == 1 {
                // One thread asked for: decode and correlate in turn.
                for item in full_rx {
                    match item {
                        Ok(batch) => {
                            self.feed_batch_observed(&batch, observer);
                            frames += batch.len();
                            let _ = empty_tx.send(Spare::Empty(batch));
                        }
                        Err(e) => error = Some(e),
                    }
                }
            } else {
                // Decoding runs a batch ahead on a thread of its own (its
                // parallel passes in the decoder's pool), correlation here:
                // the two overlap instead of taking turns. Frames stay in
                // order: one decoder, channels in order.
                let (decoder, mut correlator) = self.split();
                let (decoded_tx, decoded_rx) =
                    mpsc::sync_channel::<Result<DecodedBatch, CaptureError>>(1);
                // A scope of its own: the decoder is lent to its thread
                // only until the input ends.
                std::thread::scope(|decoding| {
                    decoding.spawn(move || {
                        for item in full_rx {
                            let out = item.map(|batch| decoder.decode_owned(batch));
                            if decoded_tx.send(out).is_err() {
                                break;
                            }
                        }
                    });
                    for item in decoded_rx {
                        match item {
                            Ok(decoded) => {
                                decoded.for_each(|f, r| correlator.take(f, r, observer));
                                frames += decoded.len();
                                // Its frames are freed on the reader's thread, off
                                // this one, which is the busiest.
                                let _ = empty_tx.send(Spare::Decoded(decoded));
                            }
                            Err(e) => error = Some(e),
                        }
                    }
                });
            }
            drop(empty_tx);
            let info = reading.join().unwrap_or(fallback_info);
            self.end_run(info, frames, error, observer)
        })
    }

    /// The end of a run: judged as of the capture's end, the calls still
    /// open finalised, and the outcome.
    fn end_run(
        &mut self,
        info: CaptureInfo,
        frames: usize,
        error: Option<CaptureError>,
        observer: &mut impl SessionObserver,
    ) -> Result<RunOutcome, CaptureError> {
        // A capture that says when it ended (pcapng statistics) is
        // judged as of that time, not its last frame: an exported call
        // keeps the verdict it had in the whole capture.
        if let Some(end) = info.end_ts_ns {
            self.analyzer.advance_to(end);
        }
        if frames > 0 || error.is_none() {
            self.finish(observer);
        }
        match error {
            Some(e) if frames == 0 => Err(e),
            late_error => Ok(RunOutcome {
                info,
                stats: self.decoder.stats(),
                late_error,
            }),
        }
    }
}
