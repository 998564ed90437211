//! Bar charts drawn on the laptop as SVG, in the page itself: no script,
//! no request to anywhere. Every label goes through maud's escaping (a
//! label may be a code another desk's referral carried); each chart has
//! `role="img"` and a `<title>`, and the page gives the same numbers as a
//! table for screen readers.

use maud::{Markup, html};

/// One bar: what it counts, and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// The label, in words.
    pub label: String,
    /// The count.
    pub count: u64,
}

/// The chart's width in SVG units; it scales to the page.
const WIDTH: u32 = 640;
/// Where the bars start: the labels are to their left.
const LABEL_WIDTH: u32 = 240;
/// Room for the count after the longest bar.
const COUNT_WIDTH: u32 = 56;
/// One row's height.
const ROW: u32 = 28;
/// A bar's height within its row.
const BAR: u32 = 18;
/// The longest label drawn, in characters: SVG text does not wrap.
const LABEL_CHARS: usize = 30;

/// A horizontal bar chart of `bars`, titled `title` (its accessible name),
/// with `id` naming the title element.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar]) -> Markup {
    let height = ROW * u32::try_from(bars.len().max(1)).unwrap_or(u32::MAX / ROW);
    let most = bars.iter().map(|b| b.count).max().unwrap_or(0);
    let span = WIDTH - LABEL_WIDTH - COUNT_WIDTH;
    let title_id = format!("{id}-title");
    html! {
        svg.chart id=(id) role="img" aria-labelledby=(title_id) xmlns="http://www.w3.org/2000/svg"
            viewBox=(format!("0 0 {WIDTH} {height}")) width="100%" preserveAspectRatio="xMinYMin meet" {
            title id=(title_id) { (title) }
            @for (i, bar) in bars.iter().enumerate() {
                @let y = ROW * u32::try_from(i).unwrap_or(0);
                @let length = bar_length(bar.count, most, span);
                text x=(LABEL_WIDTH - 8) y=(y + ROW / 2 + 5) text-anchor="end" font-size="14" fill="currentColor" {
                    (shortened(&bar.label))
                }
                rect.bar x=(LABEL_WIDTH) y=(y + (ROW - BAR) / 2) width=(length) height=(BAR) fill="#3467a8" {}
                text x=(LABEL_WIDTH + length + 6) y=(y + ROW / 2 + 5) font-size="14" fill="currentColor" {
                    (bar.count)
                }
            }
        }
    }
}

/// A bar's length: its share of the largest count, over `span` units; a
/// count above zero is always visible.
fn bar_length(count: u64, most: u64, span: u32) -> u32 {
    if most == 0 || count == 0 {
        return 0;
    }
    let length = u128::from(count) * u128::from(span) / u128::from(most);
    u32::try_from(length).unwrap_or(span).max(2)
}

/// A label cut to what fits, with an ellipsis if cut.
fn shortened(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let mut cut: String = label.chars().take(LABEL_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<Bar> {
        vec![
            Bar {
                label: "ベトナム語 (vi)".to_owned(),
                count: 4,
            },
            Bar {
                label: "<script>x</script> & \"y\"".to_owned(),
                count: 1,
            },
            Bar {
                label: "none".to_owned(),
                count: 0,
            },
        ]
    }

    #[test]
    fn the_chart_is_an_image_with_a_title_and_escaped_labels() {
        let svg = bar_chart("by-language", "By <language>", &bars()).into_string();
        assert!(svg.starts_with("<svg class=\"chart\" id=\"by-language\" role=\"img\" aria-labelledby=\"by-language-title\""), "{svg}");
        assert!(
            svg.contains("<title id=\"by-language-title\">By &lt;language&gt;</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("&lt;script&gt;x&lt;/script&gt; &amp; &quot;y&quot;"),
            "{svg}"
        );
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains(">ベトナム語 (vi)</text>"), "{svg}");
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3);
        assert!(svg.contains("viewBox=\"0 0 640 84\""), "{svg}");
    }

    #[test]
    fn bars_are_in_proportion_and_never_vanish() {
        assert_eq!(bar_length(4, 4, 344), 344);
        assert_eq!(bar_length(2, 4, 344), 172);
        assert_eq!(bar_length(1, 1000, 344), 2, "a small count still shows");
        assert_eq!(bar_length(0, 4, 344), 0);
        assert_eq!(bar_length(0, 0, 344), 0);
        assert_eq!(bar_length(u64::MAX, u64::MAX, 344), 344);
    }

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        let long = "x".repeat(100);
        let cut = shortened(&long);
        assert_eq!(cut.chars().count(), LABEL_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(shortened("Tokyo (JP-13)"), "Tokyo (JP-13)");
    }

    #[test]
    fn an_empty_chart_still_has_its_title() {
        let svg = bar_chart("empty", "Nothing", &[]).into_string();
        assert!(svg.contains("<title id=\"empty-title\">Nothing</title>"));
        assert!(!svg.contains("<rect"));
    }
}
