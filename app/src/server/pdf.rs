//! PDF documents, written with printpdf's built-in Helvetica (WinAnsi text, nothing to embed).

use crate::domain::{date_label, CheckinDetail, Metric};
use crate::AppError;
use printpdf::{
    BuiltinFont, IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference,
};

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 18.0;
/// Characters per line of body text at 10.5 pt on A4 with these margins.
const WRAP: usize = 95;

/// Text the built-in fonts can show: typographic characters outside WinAnsi become ASCII.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2212}' | '\u{2013}' | '\u{2014}' => '-',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            c if (c as u32) < 0x20 => ' ',
            c if (c as u32) <= 0xFF => c,
            _ => '?',
        })
        .collect()
}

/// Splits text into lines of at most `width` characters, at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// Writes lines top to bottom, starting new pages as needed.
struct Writer {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    y: f32,
    pages: usize,
}

impl Writer {
    fn new(title: &str) -> Result<Self, AppError> {
        let (doc, page, layer) = PdfDocument::new(printable(title), Mm(PAGE_W), Mm(PAGE_H), "text");
        let regular = doc
            .add_builtin_font(BuiltinFont::Helvetica)
            .map_err(super::internal)?;
        let bold = doc
            .add_builtin_font(BuiltinFont::HelveticaBold)
            .map_err(super::internal)?;
        let layer = doc.get_page(page).get_layer(layer);
        Ok(Self {
            doc,
            layer,
            regular,
            bold,
            y: PAGE_H - MARGIN,
            pages: 1,
        })
    }

    fn line(&mut self, text: &str, size: f32, bold: bool) {
        let height = size * 0.45;
        if self.y - height < MARGIN {
            self.pages += 1;
            let (page, layer) = self.doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "text");
            self.layer = self.doc.get_page(page).get_layer(layer);
            self.y = PAGE_H - MARGIN;
        }
        self.y -= height;
        let font = if bold { &self.bold } else { &self.regular };
        self.layer
            .use_text(printable(text), size, Mm(MARGIN), Mm(self.y), font);
    }

    fn gap(&mut self, mm: f32) {
        self.y -= mm;
    }

    fn paragraph(&mut self, text: &str) {
        for line in wrap(text, WRAP) {
            self.line(&line, 10.5, false);
        }
    }

    fn finish(self) -> Result<Vec<u8>, AppError> {
        self.doc.save_to_bytes().map_err(super::internal)
    }
}

/// A check-in as a PDF: the coach's brand, the client, every reported value in the coach's
/// units, the client's notes and the coach's reply. Photos are not included.
pub fn checkin(
    brand: &str,
    client_name: &str,
    checkin: &CheckinDetail,
) -> Result<Vec<u8>, AppError> {
    let date = date_label(checkin.submitted_at);
    let mut w = Writer::new(&format!("Check-in of {client_name}, {date}"))?;
    w.line(brand, 20.0, true);
    w.gap(2.0);
    w.line(&format!("Check-in of {client_name}"), 14.0, true);
    w.line(&format!("Sent {date}"), 10.5, false);
    w.gap(4.0);
    w.line("Measurements", 12.0, true);
    if checkin.values.is_empty() {
        w.line("None reported.", 10.5, false);
    }
    for metric in Metric::ALL {
        if let Some(value) = checkin.values.get(&metric) {
            w.line(
                &format!(
                    "{}: {}",
                    metric.label(),
                    metric.format(*value, checkin.units)
                ),
                10.5,
                false,
            );
        }
    }
    w.gap(4.0);
    w.line("Client's notes", 12.0, true);
    w.paragraph(if checkin.feedback.is_empty() {
        "None."
    } else {
        &checkin.feedback
    });
    w.gap(4.0);
    w.line("Coach's reply", 12.0, true);
    w.paragraph(checkin.reply.as_deref().unwrap_or("Not replied yet."));
    if !checkin.photos.is_empty() {
        w.gap(4.0);
        w.line(
            &format!(
                "{} progress photo(s) are in Coachroom (not included here).",
                checkin.photos.len()
            ),
            9.0,
            false,
        );
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wraps_at_spaces_and_splits_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb", 10), vec!["a", "", "b"]);
    }

    #[test]
    fn text_outside_winansi_is_replaced() {
        assert_eq!(
            printable("\u{2212}1.5 kg \u{2014} Zoë \u{1F600}"),
            "-1.5 kg - Zoë ?"
        );
    }
}
