//! One `io::Error` handed out many times, with its typed cause kept.
//
// Maintainer notes.
//
// `io::Error` is not `Clone`, yet some errors are sticky: a stream reader whose connection
// broke reports the same error to every later read, drain and `wait_closed`. Rebuilding the
// error from its kind and message would lose what the typed accessors look for (a
// `TlsError` or a `NetError` inside it) and the OS error code. So the error is kept once,
// in an `Arc`, and each copy handed out is either the same OS error (by code) or an
// `io::Error` of the same kind wrapping a `Shared` that points at the original.
//
// Every typed accessor (`TlsError::of`, `NetError::of`) finds its cause through `find`,
// which sees through any number of `Shared` layers.

use std::error::Error;
use std::fmt;
use std::io;
use std::sync::Arc;

/// A sticky `io::Error`: stored once, handed out as often as needed.
#[derive(Clone)]
pub(crate) struct StickyError(Arc<io::Error>);

/// What a copy of a [`StickyError`] wraps: the original error, shown as itself.
struct Shared(Arc<io::Error>);

impl StickyError {
    pub(crate) fn new(e: io::Error) -> StickyError {
        StickyError(Arc::new(e))
    }

    /// A copy of the error: same kind, same message, same OS error code; the typed cause
    /// inside is found by [`find`].
    pub(crate) fn get(&self) -> io::Error {
        match self.0.raw_os_error() {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(self.0.kind(), Shared(Arc::clone(&self.0))),
        }
    }
}

impl fmt::Debug for StickyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The inner error's own value, not a second `Custom { kind, .. }` around it.
        match self.0.get_ref() {
            Some(inner) => fmt::Debug::fmt(inner, f),
            None => fmt::Debug::fmt(&*self.0, f),
        }
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl Error for Shared {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        // What the original error's inner value gives as its source: the copy's error chain
        // is the original's.
        self.0.get_ref().and_then(|inner| inner.source())
    }
}

/// The `T` inside `err`, seeing through copies of sticky errors.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn find<T: Error + 'static>(err: &io::Error) -> Option<&T> {
    let mut err = err;
    loop {
        let inner = err.get_ref()?;
        if let Some(t) = inner.downcast_ref::<T>() {
            return Some(t);
        }
        err = &inner.downcast_ref::<Shared>()?.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Cause;
    impl fmt::Display for Cause {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the cause")
        }
    }
    impl Error for Cause {}

    #[test]
    fn copies_keep_kind_message_code_and_typed_cause() {
        let sticky = StickyError::new(io::Error::new(io::ErrorKind::UnexpectedEof, Cause));
        for _ in 0..3 {
            let e = sticky.get();
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
            assert_eq!(e.to_string(), "the cause");
            assert_eq!(find::<Cause>(&e), Some(&Cause));
            assert!(find::<io::Error>(&e).is_none());
        }
        // A copy of a copy still shows the cause.
        let twice = StickyError::new(sticky.get()).get();
        assert_eq!(find::<Cause>(&twice), Some(&Cause));
        assert_eq!(
            format!("{twice:?}"),
            "Custom { kind: UnexpectedEof, error: Cause }"
        );

        let os = StickyError::new(io::Error::from_raw_os_error(104));
        assert_eq!(os.get().raw_os_error(), Some(104));
        let plain = StickyError::new(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(plain.get().kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(find::<Cause>(&plain.get()), None);
    }
}
