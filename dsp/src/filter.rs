//! The caller-owned filter of recently seen aircraft addresses.
//!
//! Address/parity replies (DF0/4/5/16/20/21) carry no checkable CRC: their syndrome is the
//! address, so any noise burst "decodes" to some address. Accepting only addresses that a
//! checkable reply (DF11/17/18 with a clean CRC) announced recently keeps noise out; repaired
//! replies must also come from a known address. The filter belongs to the caller (one per
//! receiver), time is whatever monotonic tick the caller passes in (the demodulator uses the
//! sample counter), and memory is fixed: an open-addressing table with bounded probing where
//! the stalest entry in a full probe window is replaced.

/// Slots probed per lookup; a full window evicts its stalest entry.
const PROBE: usize = 16;

#[derive(Clone, Copy, Default)]
struct Slot {
    /// Address + 1, so that 0 marks an empty slot.
    key: u32,
    seen: u64,
}

#[derive(Clone)]
pub struct AddressFilter {
    slots: Box<[Slot]>,
    mask: usize,
    ttl: u64,
}

impl AddressFilter {
    /// A filter remembering addresses for `ttl` ticks, with room for about `capacity` of them.
    pub fn new(capacity: usize, ttl: u64) -> Self {
        let size = (capacity.max(PROBE) * 2).next_power_of_two();
        Self {
            slots: vec![Slot::default(); size].into_boxed_slice(),
            mask: size - 1,
            ttl,
        }
    }

    /// A filter sized for one 1090 MHz receiver: 4,096 aircraft, remembered for 60 s of samples.
    pub fn for_sample_rate(samples_per_second: u64) -> Self {
        Self::new(4096, 60 * samples_per_second)
    }

    fn home(addr: u32) -> usize {
        // Fibonacci hashing spreads the sequential address blocks states allocate.
        (addr.wrapping_mul(0x9E37_79B9) >> 8) as usize
    }

    /// Records that `addr` was seen at `now`.
    pub fn insert(&mut self, addr: u32, now: u64) {
        let key = (addr & 0xFF_FFFF) + 1;
        let home = Self::home(addr);
        let mut victim = home & self.mask;
        let mut victim_age = 0u64;
        for i in 0..PROBE {
            let idx = (home + i) & self.mask;
            let slot = self.slots[idx];
            if slot.key == key || slot.key == 0 {
                self.slots[idx] = Slot { key, seen: now };
                return;
            }
            let age = now.saturating_sub(slot.seen);
            if age > victim_age {
                victim = idx;
                victim_age = age;
            }
        }
        self.slots[victim] = Slot { key, seen: now };
    }

    /// Whether `addr` was seen within the time-to-live before `now`.
    pub fn contains(&self, addr: u32, now: u64) -> bool {
        let key = (addr & 0xFF_FFFF) + 1;
        let home = Self::home(addr);
        (0..PROBE).any(|i| {
            let slot = self.slots[(home + i) & self.mask];
            slot.key == key && now.saturating_sub(slot.seen) <= self.ttl
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_ttl() {
        let mut f = AddressFilter::new(64, 100);
        f.insert(0x4840D6, 1000);
        assert!(f.contains(0x4840D6, 1100));
        assert!(!f.contains(0x4840D6, 1101));
        assert!(!f.contains(0x4840D7, 1000));
    }

    #[test]
    fn fixed_memory_evicts_stalest() {
        let mut f = AddressFilter::new(16, u64::MAX);
        for a in 0..10_000u32 {
            f.insert(a, u64::from(a));
        }
        assert!(f.contains(9_999, 10_000));
        assert_eq!(f.slots.len(), 32);
    }
}
