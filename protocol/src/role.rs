//! A device's role. Tokens and the directory log both carry it, so it lives
//! here, in one place, with one spelling.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What an enrolled device may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Writes referrals and follows its cases.
    Caseworker,
    /// A partner desk member: receives, accepts and answers referrals.
    Desk,
    /// An administrator: may sign directory entries.
    Admin,
}

/// The text was not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role must be caseworker, desk or admin; got {0:?}")]
pub struct RoleError(pub String);

impl Role {
    /// Every role, in wire-code order.
    pub const ALL: [Role; 3] = [Role::Caseworker, Role::Desk, Role::Admin];

    /// The lowercase text form (`caseworker`, `desk`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Caseworker => "caseworker",
            Role::Desk => "desk",
            Role::Admin => "admin",
        }
    }

    /// The byte that stands for the role in the directory log's encoding.
    /// Fixed forever: changing one would change the meaning of signed entries.
    pub(crate) fn wire_code(self) -> u8 {
        match self {
            Role::Caseworker => 1,
            Role::Desk => 2,
            Role::Admin => 3,
        }
    }

    /// The inverse of [`Role::wire_code`]; `None` for any other byte.
    pub(crate) fn from_wire_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.wire_code() == code)
    }
}

impl FromStr for Role {
    type Err = RoleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| RoleError(s.chars().take(32).collect()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Role {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Role".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": ["caseworker", "desk", "admin"],
            "description": "A device's role."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_wire_forms_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(Role::from_wire_code(r.wire_code()), Some(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert!("Admin".parse::<Role>().is_err());
        assert!("".parse::<Role>().is_err());
        assert_eq!(Role::from_wire_code(0), None);
        assert_eq!(Role::from_wire_code(4), None);
    }
}
