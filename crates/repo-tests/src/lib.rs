//! Repository contract tests live in tests/.
