//! The field profile for `load`: one recipient desk per support center in
//! `prefectures.csv`, and referrals spread over the desks as that
//! prefecture's consultations are (split evenly between its centers), so
//! that the broker sees the skew it would see in the field: a few busy desks
//! in Aichi and Shizuoka, many nearly idle ones.

use std::path::Path;

use anyhow::{Context, bail, ensure};
use referral_protocol::DeskId;

/// A recipient desk of the profile.
#[derive(Debug, Clone)]
pub struct ProfileDesk {
    /// `tokyo-1`, `tokyo-2`, …
    pub id: DeskId,
    /// `Tokyo support center 1`.
    pub name: String,
    /// `JP-13`.
    pub prefecture: String,
    /// Its share of the consultations (any unit; only ratios count).
    pub weight: f64,
}

/// Every desk of the profile, and a sampler over them.
#[derive(Debug)]
pub struct Profile {
    pub desks: Vec<ProfileDesk>,
    pub prefectures: usize,
    /// Consultations per year over all prefectures with a center.
    pub consultations: u64,
    /// Running sums of the weights, for sampling.
    cumulative: Vec<f64>,
}

impl Profile {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the profile {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in the profile {}", path.display()))
    }

    /// Parses the CSV by its header names, so that a column added to the
    /// file later does not shift the ones read here. The file has no quoted
    /// fields; one that did would fail the number parses loudly.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&str> = lines
            .next()
            .context("empty file")?
            .split(',')
            .map(str::trim)
            .collect();
        let column = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .with_context(|| format!("no `{name}` column"))
        };
        let (iso, name, centers, consultations) = (
            column("iso_code")?,
            column("name")?,
            column("support_centers")?,
            column("consultations_per_year")?,
        );
        let mut desks = Vec::new();
        let (mut prefectures, mut total) = (0, 0u64);
        for (n, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let field = |i: usize| {
                fields
                    .get(i)
                    .copied()
                    .with_context(|| format!("row {}: too few fields", n + 2))
            };
            let centers: u32 = field(centers)?
                .parse()
                .with_context(|| format!("row {}: support_centers", n + 2))?;
            let consultations: u64 = field(consultations)?
                .parse()
                .with_context(|| format!("row {}: consultations_per_year", n + 2))?;
            if centers == 0 {
                // No desk to receive them: such a prefecture's people are
                // referred elsewhere, which the profile cannot know.
                continue;
            }
            let (iso, name) = (field(iso)?, field(name)?);
            let slug = slug(name);
            ensure!(!slug.is_empty(), "row {}: no usable name", n + 2);
            prefectures += 1;
            total += consultations;
            for c in 1..=centers {
                desks.push(ProfileDesk {
                    id: format!("{slug}-{c}")
                        .parse()
                        .with_context(|| format!("row {}: desk id from {name:?}", n + 2))?,
                    name: format!("{name} support center {c}"),
                    prefecture: iso.to_owned(),
                    weight: consultations as f64 / f64::from(centers),
                });
            }
        }
        if desks.is_empty() || total == 0 {
            bail!("no support center with consultations");
        }
        let cumulative = desks
            .iter()
            .scan(0.0, |sum, d| {
                *sum += d.weight;
                Some(*sum)
            })
            .collect();
        Ok(Self {
            desks,
            prefectures,
            consultations: total,
            cumulative,
        })
    }

    /// The desk a referral goes to, for a uniform `u` in [0, 1).
    pub fn pick(&self, u: f64) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = u * total;
        self.cumulative
            .partition_point(|&c| c <= target)
            .min(self.desks.len() - 1)
    }
}

/// `Hokkaido` → `hokkaido`; anything but ASCII letters and digits becomes
/// one `-`, as desk ids require.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// A small deterministic generator (SplitMix64): the same profile and seed
/// give the same referrals in every run, so runs compare. Not for secrets.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "iso_code,name,foreign_residents,support_centers,consultations_per_year\n\
                       JP-01,Hokkaido,41048,2,600\n\
                       JP-02,Aomori,6306,0,238\n\
                       JP-13,Tokyo,1,1,300\n";

    #[test]
    fn one_desk_per_center_weighted_by_consultations() {
        let p = Profile::parse(CSV).unwrap();
        let ids: Vec<String> = p.desks.iter().map(|d| d.id.to_string()).collect();
        assert_eq!(ids, ["hokkaido-1", "hokkaido-2", "tokyo-1"]);
        assert_eq!(p.prefectures, 2);
        assert_eq!(p.consultations, 900);
        // Each desk gets a third here: 300 per Hokkaido center, 300 in Tokyo.
        let mut rng = SplitMix::new(7);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[p.pick(rng.next_f64())] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
        assert_eq!(p.pick(0.0), 0);
        assert_eq!(p.pick(0.999_999), 2);
    }

    #[test]
    fn names_become_desk_ids() {
        assert_eq!(slug("Hokkaido"), "hokkaido");
        assert_eq!(slug("Kyoto  (fu)"), "kyoto-fu");
    }

    #[test]
    fn the_field_data_gives_302_desks() {
        // The same table the CLI validates prefectures against.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../client-cli/data/prefectures.csv");
        let p = Profile::read(&path).expect("the prefecture table in client-cli/data");
        assert_eq!(p.desks.len(), 302);
        assert_eq!(p.prefectures, 47);
    }
}
