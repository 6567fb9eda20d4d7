//! Multi-block ACARS messages: blocks ending in ETB are held until the block ending in ETX
//! arrives, then their texts are joined in order. Downlink blocks of one message share the
//! registration, the label and the first three characters of the message sequence number,
//! whose fourth character counts A, B, C…; uplink blocks share the registration and label and
//! come in block-id order. A message whose last block does not come within the timeout is
//! given up (its blocks are dropped, counted). Time is a parameter (seconds); memory is
//! bounded by [`MAX_PENDING`] messages.

use super::message::AcarsMessage;
use std::collections::HashMap;

/// Messages waiting for more blocks, at most.
pub const MAX_PENDING: usize = 256;
/// A message's next block must come within this long (s).
pub const TIMEOUT_S: f64 = 30.0;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    registration: String,
    label: String,
    msn: Option<String>,
}

struct Pending {
    blocks: Vec<AcarsMessage>,
    last_s: f64,
}

/// What a block did.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A whole message: a single block, or the last of several (texts joined).
    Complete {
        message: AcarsMessage,
        blocks: usize,
    },
    /// Held for the blocks that follow.
    Held,
}

#[derive(Default)]
pub struct Reassembler {
    pending: HashMap<Key, Pending>,
    /// Messages given up for want of their last block.
    pub timed_out: u64,
}

impl Reassembler {
    pub fn new() -> Self {
        Self::default()
    }

    fn key(m: &AcarsMessage) -> Key {
        Key {
            registration: m.registration.clone(),
            label: m.label.clone(),
            msn: m
                .msg_num
                .as_ref()
                .map(|s| s.chars().take(3).collect::<String>()),
        }
    }

    /// Takes a block heard at `now_s`.
    pub fn add(&mut self, m: AcarsMessage, now_s: f64) -> Outcome {
        self.expire(now_s);
        let key = Self::key(&m);
        if !m.more && !self.pending.contains_key(&key) {
            return Outcome::Complete {
                message: m,
                blocks: 1,
            };
        }
        if m.more && !self.pending.contains_key(&key) && self.pending.len() >= MAX_PENDING {
            // Full: the oldest message makes room.
            if let Some(oldest) = self
                .pending
                .iter()
                .min_by(|a, b| a.1.last_s.total_cmp(&b.1.last_s))
                .map(|(k, _)| k.clone())
            {
                self.pending.remove(&oldest);
                self.timed_out += 1;
            }
        }
        let p = self.pending.entry(key.clone()).or_insert(Pending {
            blocks: Vec::new(),
            last_s: now_s,
        });
        // A repeat of a block already held (a retransmission) replaces it.
        let seq = |b: &AcarsMessage| {
            b.msg_num
                .as_ref()
                .and_then(|s| s.chars().nth(3))
                .or(b.block_id)
        };
        let this = seq(&m);
        p.blocks.retain(|b| seq(b) != this);
        p.blocks.push(m);
        p.last_s = now_s;
        if p.blocks.last().is_some_and(|b| b.more) {
            return Outcome::Held;
        }
        let Some(mut p) = self.pending.remove(&key) else {
            return Outcome::Held;
        };
        p.blocks.sort_by_key(|b| seq(b));
        let blocks = p.blocks.len();
        let mut it = p.blocks.into_iter();
        let mut message = it.next().expect("at least the block just added");
        for b in it {
            message.text.push_str(&b.text);
            message.more = false;
            message.block_id = b.block_id;
            message.msg_num = b.msg_num.or(message.msg_num);
        }
        message.more = false;
        Outcome::Complete { message, blocks }
    }

    /// Drops the messages whose last block is overdue.
    pub fn expire(&mut self, now_s: f64) {
        let before = self.pending.len();
        self.pending.retain(|_, p| now_s - p.last_s <= TIMEOUT_S);
        self.timed_out += (before - self.pending.len()) as u64;
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(seq: char, text: &str, more: bool) -> AcarsMessage {
        AcarsMessage {
            mode: '2',
            registration: "N123AB".into(),
            ack: None,
            label: "H1".into(),
            block_id: Some('1'),
            msg_num: Some(format!("M01{seq}")),
            flight: Some("UA0123".into()),
            text: text.into(),
            more,
            downlink: true,
        }
    }

    #[test]
    fn blocks_are_joined_in_order_when_the_last_arrives() {
        let mut r = Reassembler::new();
        assert_eq!(r.add(block('B', "second ", true), 1.0), Outcome::Held);
        assert_eq!(r.add(block('A', "first ", true), 2.0), Outcome::Held);
        match r.add(block('C', "third", false), 3.0) {
            Outcome::Complete { message, blocks } => {
                assert_eq!(blocks, 3);
                assert_eq!(message.text, "first second third");
                assert!(!message.more);
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn a_message_whose_last_block_never_comes_is_given_up() {
        let mut r = Reassembler::new();
        r.add(block('A', "first", true), 0.0);
        r.expire(TIMEOUT_S + 0.1);
        assert_eq!((r.pending(), r.timed_out), (0, 1));
        // A single block is complete at once.
        assert!(matches!(
            r.add(block('A', "alone", false), 40.0),
            Outcome::Complete { blocks: 1, .. }
        ));
    }

    #[test]
    fn memory_is_bounded() {
        let mut r = Reassembler::new();
        for i in 0..MAX_PENDING + 10 {
            let mut b = block('A', "x", true);
            b.registration = format!("N{i}");
            r.add(b, i as f64 * 0.01);
        }
        assert_eq!(r.pending(), MAX_PENDING);
        assert_eq!(r.timed_out, 10);
    }
}
