//! Browser test suite for tulipa; the tests live in `tests/`.
