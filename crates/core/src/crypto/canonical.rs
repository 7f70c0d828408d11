//! The canonical encoding shared by signed actions and request proofs.

/// Builds the canonical, injective byte strings that get signed.
///
/// Each variable-length field is written as a big-endian `u64` length followed by its bytes;
/// integers are fixed-width big-endian; optional fields get an explicit presence byte. Given
/// a fixed field order (each format's own), two different sequences of fields can never
/// produce the same bytes.
pub(crate) struct CanonicalWriter {
    out: Vec<u8>,
}

impl CanonicalWriter {
    /// Starts a message with a length-prefixed domain-separation tag, so a signature made for
    /// one format can never be read as valid for another.
    pub(crate) fn new(domain: &str) -> Self {
        let mut w = CanonicalWriter {
            out: Vec::with_capacity(256),
        };
        w.bytes(domain.as_bytes());
        w
    }

    /// A length-prefixed byte string.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        // usize never exceeds 64 bits on any target Rust supports.
        self.out
            .extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        self.out.extend_from_slice(bytes);
    }

    /// A length-prefixed byte string, or an explicit absence.
    pub(crate) fn optional(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            None => self.out.push(0),
            Some(b) => {
                self.out.push(1);
                self.bytes(b);
            }
        }
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn i64(&mut self, v: i64) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.out
    }
}
