//! A packet's own delivery state, distinct from its thread's status: the
//! broker's word for whether the addressed desk has fetched it yet.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A packet's delivery state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Stored, not yet acknowledged.
    Pending,
    /// Acknowledged by the addressed desk; purged after the grace period.
    Acknowledged,
    /// Not acknowledged within the TTL; its ciphertext is gone.
    Expired,
}

impl DeliveryState {
    /// Every state.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Acknowledged, Self::Expired];

    /// The word used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Acknowledged => "acknowledged",
            Self::Expired => "expired",
        }
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a delivery state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown delivery state {0:?}: expected pending, acknowledged or expired")]
pub struct UnknownDelivery(pub String);

impl FromStr for DeliveryState {
    type Err = UnknownDelivery;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownDelivery(s.chars().take(32).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for state in DeliveryState::ALL {
            assert_eq!(state.as_str().parse::<DeliveryState>().unwrap(), state);
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{state}\""));
        }
        assert!("lost".parse::<DeliveryState>().is_err());
    }
}
