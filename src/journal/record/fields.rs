//! The bounded field writer and reader behind the record frames (no allocation, no panics).

use super::{Damage, Error, Receiver, Source};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const SRC_PUBLISHER: u8 = 1;
const SRC_PIPE: u8 = 2;
const SRC_CLI: u8 = 3;
const SRC_OPS: u8 = 4;
const SRC_DTC: u8 = 5;

/// Bounded writer over a slice.
pub(super) struct Put<'b> {
    pub(super) buf: &'b mut [u8],
    pub(super) pos: usize,
}

impl Put<'_> {
    pub(super) fn bytes(&mut self, b: &[u8]) -> Result<(), Error> {
        let end = self.pos + b.len();
        let dst = self.buf.get_mut(self.pos..end).ok_or(Error::TooLarge("record body"))?;
        dst.copy_from_slice(b);
        self.pos = end;
        Ok(())
    }

    pub(super) fn u8(&mut self, v: u8) -> Result<(), Error> {
        self.bytes(&[v])
    }

    pub(super) fn u64(&mut self, v: u64) -> Result<(), Error> {
        self.bytes(&v.to_le_bytes())
    }

    pub(super) fn blob(&mut self, b: &[u8]) -> Result<(), Error> {
        let n = u16::try_from(b.len()).map_err(|_| Error::TooLarge("field over 65535 bytes"))?;
        self.bytes(&n.to_le_bytes())?;
        self.bytes(b)
    }

    pub(super) fn source(&mut self, s: Source<'_>) -> Result<(), Error> {
        match s {
            Source::Publisher(n) => {
                self.u8(SRC_PUBLISHER)?;
                self.blob(n.as_bytes())
            }
            Source::Pipe => self.u8(SRC_PIPE),
            Source::Cli => self.u8(SRC_CLI),
            Source::Ops => self.u8(SRC_OPS),
            Source::Dtc(n) => {
                self.u8(SRC_DTC)?;
                self.blob(n.as_bytes())
            }
        }
    }

    pub(super) fn receiver(&mut self, r: &Receiver<'_>) -> Result<(), Error> {
        self.blob(r.name.as_bytes())?;
        match r.peer {
            None => self.u8(0)?,
            Some(SocketAddr::V4(a)) => {
                self.u8(4)?;
                self.bytes(&a.ip().octets())?;
                self.bytes(&a.port().to_le_bytes())?;
            }
            Some(SocketAddr::V6(a)) => {
                self.u8(6)?;
                self.bytes(&a.ip().octets())?;
                self.bytes(&a.port().to_le_bytes())?;
            }
        }
        self.bytes(&r.accounts.to_le_bytes())
    }
}

/// Bounded reader over a slice.
pub(super) struct Get<'b> {
    pub(super) buf: &'b [u8],
    pub(super) pos: usize,
}

impl<'b> Get<'b> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'b [u8], Damage> {
        let s = self
            .buf
            .get(self.pos..self.pos + n)
            .ok_or(Damage::BadBody("field runs past the end"))?;
        self.pos += n;
        Ok(s)
    }

    pub(super) fn arr<const N: usize>(&mut self) -> Result<[u8; N], Damage> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub(super) fn u8(&mut self) -> Result<u8, Damage> {
        Ok(self.take(1)?[0])
    }

    pub(super) fn u16(&mut self) -> Result<u16, Damage> {
        Ok(u16::from_le_bytes(self.arr()?))
    }

    pub(super) fn u32(&mut self) -> Result<u32, Damage> {
        Ok(u32::from_le_bytes(self.arr()?))
    }

    pub(super) fn u64(&mut self) -> Result<u64, Damage> {
        Ok(u64::from_le_bytes(self.arr()?))
    }

    pub(super) fn blob(&mut self) -> Result<&'b [u8], Damage> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    pub(super) fn str(&mut self) -> Result<&'b str, Damage> {
        std::str::from_utf8(self.blob()?).map_err(|_| Damage::BadBody("text not UTF-8"))
    }

    pub(super) fn source(&mut self) -> Result<Source<'b>, Damage> {
        Ok(match self.u8()? {
            SRC_PUBLISHER => Source::Publisher(self.str()?),
            SRC_PIPE => Source::Pipe,
            SRC_CLI => Source::Cli,
            SRC_OPS => Source::Ops,
            SRC_DTC => Source::Dtc(self.str()?),
            _ => return Err(Damage::BadBody("unknown source")),
        })
    }

    pub(super) fn receiver(&mut self) -> Result<Receiver<'b>, Damage> {
        let name = self.str()?;
        let peer = match self.u8()? {
            0 => None,
            4 => {
                let ip = Ipv4Addr::from(self.arr::<4>()?);
                Some(SocketAddr::new(IpAddr::V4(ip), self.u16()?))
            }
            6 => {
                let ip = Ipv6Addr::from(self.arr::<16>()?);
                Some(SocketAddr::new(IpAddr::V6(ip), self.u16()?))
            }
            _ => return Err(Damage::BadBody("unknown peer address family")),
        };
        Ok(Receiver { name, peer, accounts: self.u32()? })
    }
}
