//! Write-buffer watermarks: when to tell a protocol to pause and resume writing.

/// The default high watermark of a transport's write buffer (64 KiB, asyncio's).
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;
/// The default low watermark (a quarter of the high one, asyncio's rule).
pub const DEFAULT_LOW_WATER: usize = DEFAULT_HIGH_WATER / 4;

/// What a change in the buffer's size asks of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Pause,
    Resume,
}

/// A write buffer's watermarks and whether the protocol was told to pause.
///
/// asyncio's rules: pause when the size goes *above* `high`, resume when it falls to `low`
/// or below; each pause is matched by at most one resume.
#[derive(Debug, Clone)]
pub(crate) struct WaterMarks {
    high: usize,
    low: usize,
    paused: bool,
}

impl Default for WaterMarks {
    fn default() -> WaterMarks {
        WaterMarks {
            high: DEFAULT_HIGH_WATER,
            low: DEFAULT_LOW_WATER,
            paused: false,
        }
    }
}

impl WaterMarks {
    /// Sets the limits with asyncio's defaults: a missing `high` is `4 * low` (or 64 KiB),
    /// a missing `low` is `high / 4`.
    #[track_caller]
    pub(crate) fn set(&mut self, high: Option<usize>, low: Option<usize>) {
        let high = high.unwrap_or_else(|| low.map_or(DEFAULT_HIGH_WATER, |l| l.saturating_mul(4)));
        let low = low.unwrap_or(high / 4);
        assert!(
            low <= high,
            "set_write_buffer_limits: the low watermark ({low}) must not exceed the high one \
             ({high})"
        );
        self.high = high;
        self.low = low;
    }

    pub(crate) fn limits(&self) -> (usize, usize) {
        (self.high, self.low)
    }

    /// Reports a crossing for a buffer now holding `size` bytes.
    pub(crate) fn check(&mut self, size: usize) -> Option<Flow> {
        if !self.paused && size > self.high {
            self.paused = true;
            Some(Flow::Pause)
        } else if self.paused && size <= self.low {
            self.paused = false;
            Some(Flow::Resume)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_above_high_resumes_at_low() {
        let mut m = WaterMarks::default();
        m.set(Some(10), Some(4));
        assert_eq!(m.check(10), None);
        assert_eq!(m.check(11), Some(Flow::Pause));
        assert_eq!(m.check(20), None);
        assert_eq!(m.check(5), None);
        assert_eq!(m.check(4), Some(Flow::Resume));
        assert_eq!(m.check(0), None);
        m.set(None, Some(3));
        assert_eq!(m.limits(), (12, 3));
        m.set(Some(8), None);
        assert_eq!(m.limits(), (8, 2));
    }

    #[test]
    #[should_panic(expected = "must not exceed")]
    fn low_above_high_panics() {
        WaterMarks::default().set(Some(1), Some(2));
    }
}
