//! Byte-level helpers for the directory log's canonical encoding: the same
//! conventions as the packet header (docs/protocol.md §3): big-endian
//! integers, `str8`/`str16` length-prefixed UTF-8, options as a 0/1 byte.

use super::error::DirectoryError;

pub(crate) fn malformed(what: &'static str) -> DirectoryError {
    DirectoryError::Malformed(what)
}

/// Appends a `str8`. Callers validate lengths first (`Statement::validate`),
/// so the `expect` documents an invariant rather than handling input.
pub(crate) fn put_str8(out: &mut Vec<u8>, s: &str) {
    let len = u8::try_from(s.len()).expect("validated: fits a u8 length");
    out.push(len);
    out.extend_from_slice(s.as_bytes());
}

/// Appends a `str16`: for an `age1pq1…` recipient, 1,959 bytes.
pub(crate) fn put_str16(out: &mut Vec<u8>, s: &str) {
    let len = u16::try_from(s.len()).expect("validated: fits a u16 length");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Appends an optional `str8`: `0`, or `1` then the `str8`.
pub(crate) fn put_opt_str8(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str8(out, s);
        }
    }
}

/// Reads the canonical encoding front to back.
pub(crate) struct Cursor<'a> {
    pub(crate) rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DirectoryError> {
        if self.rest.len() < n {
            return Err(malformed("entry ends early"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DirectoryError> {
        Ok(self.take(N)?.try_into().expect("took exactly N bytes"))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DirectoryError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DirectoryError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, DirectoryError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// A presence byte: only `0` and `1` are canonical.
    pub(crate) fn flag(&mut self) -> Result<bool, DirectoryError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(malformed("option flag is neither 0 nor 1")),
        }
    }

    pub(crate) fn str8(&mut self) -> Result<&'a str, DirectoryError> {
        let len = usize::from(self.u8()?);
        std::str::from_utf8(self.take(len)?).map_err(|_| malformed("text is not UTF-8"))
    }

    pub(crate) fn str16(&mut self) -> Result<&'a str, DirectoryError> {
        let len = usize::from(u16::from_be_bytes(self.array()?));
        std::str::from_utf8(self.take(len)?).map_err(|_| malformed("text is not UTF-8"))
    }

    pub(crate) fn opt_str8(&mut self) -> Result<Option<&'a str>, DirectoryError> {
        if self.flag()? {
            Ok(Some(self.str8()?))
        } else {
            Ok(None)
        }
    }

    pub(crate) fn finish(&self) -> Result<(), DirectoryError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(malformed("trailing bytes after entry"))
        }
    }
}
