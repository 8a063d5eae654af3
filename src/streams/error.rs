//! The stream reader's errors.

use std::fmt;
use std::io;

/// Why a [`StreamReader`](super::StreamReader) read failed.
///
/// ```
/// use tulipa::streams::StreamError;
///
/// let e = StreamError::IncompleteRead { partial: b"ab".to_vec(), expected: Some(4) };
/// assert_eq!(e.to_string(), "2 bytes read on a total of 4 expected bytes");
/// let io: std::io::Error = e.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamError {
    /// End of file came before the read could complete (asyncio's `IncompleteReadError`):
    /// the peer closed mid-message. `partial` holds the bytes that did arrive (they are
    /// consumed); `expected` is the requested size, `None` when waiting for a separator.
    IncompleteRead {
        /// The bytes read before EOF.
        partial: Vec<u8>,
        /// How many bytes were asked for, if a count was.
        expected: Option<usize>,
    },
    /// The separator was not found within the reader's limit (asyncio's
    /// `LimitOverrunError`): the peer sent a line or record longer than allowed. `consumed`
    /// is how many bytes would have to be read to get past the problem; see each method
    /// for what is left in the buffer.
    LimitOverrun {
        /// Bytes before the separator, or scanned without finding it.
        consumed: usize,
    },
    /// The connection failed (reset, broken pipe, ...).
    Io(io::Error),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::IncompleteRead { partial, expected } => match expected {
                Some(n) => write!(
                    f,
                    "{} bytes read on a total of {n} expected bytes",
                    partial.len()
                ),
                None => write!(
                    f,
                    "{} bytes read before EOF, separator not found",
                    partial.len()
                ),
            },
            StreamError::LimitOverrun { consumed } => write!(
                f,
                "separator not found within the stream's limit ({consumed} bytes scanned)"
            ),
            StreamError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for StreamError {
    fn from(e: io::Error) -> StreamError {
        StreamError::Io(e)
    }
}

impl From<StreamError> for io::Error {
    /// `IncompleteRead` becomes `UnexpectedEof`, `LimitOverrun` `InvalidData`.
    fn from(e: StreamError) -> io::Error {
        match e {
            StreamError::Io(e) => e,
            e @ StreamError::IncompleteRead { .. } => {
                io::Error::new(io::ErrorKind::UnexpectedEof, e.to_string())
            }
            e @ StreamError::LimitOverrun { .. } => {
                io::Error::new(io::ErrorKind::InvalidData, e.to_string())
            }
        }
    }
}
