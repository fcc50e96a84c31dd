//! PDF documents, written with printpdf's built-in Helvetica (WinAnsi text, nothing to embed).

use crate::domain::{
    date_label, format_number, Answers, CheckinDetail, FormDefinition, MealPlan, Metric, PlanDoc,
    WorkoutPlan,
};
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
    if let Some(form) = &checkin.form {
        w.gap(4.0);
        answers(&mut w, &form.definition, &form.answers);
    }
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

/// A form's name, then each heading and answered question with its answer.
fn answers(w: &mut Writer, definition: &FormDefinition, answers: &Answers) {
    w.line(&definition.name, 12.0, true);
    for (field, answer) in definition.answered(answers) {
        match answer {
            None => w.line(&field.label, 11.0, true),
            Some(answer) => w.paragraph(&format!("{}: {answer}", field.label)),
        }
    }
}

/// A plan body that renders as a PDF.
pub trait PlanPdf: Sized {
    fn render(doc: &PlanDoc<Self>) -> Result<Vec<u8>, AppError>;
}

/// The brand, the plan's name, whose it is, and the plan's notes.
fn plan_header(kind: &str, doc: &PlanDoc<impl Sized>, notes: &str) -> Result<Writer, AppError> {
    let title = &doc.summary.name;
    let mut w = Writer::new(&format!("{kind}: {title}"))?;
    w.line(&doc.brand, 20.0, true);
    w.gap(2.0);
    w.line(&format!("{kind}: {title}"), 14.0, true);
    if let Some(client) = &doc.client_name {
        w.line(&format!("For {client}"), 10.5, false);
    }
    if !notes.is_empty() {
        w.gap(2.0);
        w.paragraph(notes);
    }
    Ok(w)
}

impl PlanPdf for MealPlan {
    fn render(doc: &PlanDoc<MealPlan>) -> Result<Vec<u8>, AppError> {
        let plan = &doc.body;
        let mut w = plan_header("Meal plan", doc, &plan.notes)?;
        if !plan.targets.is_empty() {
            w.line(
                &format!("Daily targets: {}", plan.targets.label()),
                10.5,
                true,
            );
        }
        for day in &plan.days {
            w.gap(4.0);
            w.line(&day.name, 13.0, true);
            w.line(&format!("Day total: {}", day.totals().label()), 10.5, false);
            if !day.notes.is_empty() {
                w.paragraph(&day.notes);
            }
            for meal in &day.meals {
                w.gap(2.0);
                w.line(
                    &format!("{}  ({})", meal.name, meal.totals().label()),
                    11.0,
                    true,
                );
                if !meal.notes.is_empty() {
                    w.paragraph(&meal.notes);
                }
                for food in &meal.foods {
                    w.line(
                        &format!(
                            "- {} {} {}: {}",
                            format_number(food.quantity),
                            food.unit,
                            food.name,
                            food.macros.label()
                        ),
                        10.0,
                        false,
                    );
                }
            }
        }
        w.finish()
    }
}

impl PlanPdf for WorkoutPlan {
    fn render(doc: &PlanDoc<WorkoutPlan>) -> Result<Vec<u8>, AppError> {
        let plan = &doc.body;
        let mut w = plan_header("Workout plan", doc, &plan.notes)?;
        for session in &plan.sessions {
            w.gap(4.0);
            let day = if session.day.is_empty() {
                String::new()
            } else {
                format!(" ({})", session.day)
            };
            w.line(&format!("{}{day}", session.name), 13.0, true);
            for (label, text) in [("Warm-up", &session.warm_up), ("Notes", &session.notes)] {
                if !text.is_empty() {
                    w.paragraph(&format!("{label}: {text}"));
                }
            }
            for (n, exercise) in session.exercises.iter().enumerate() {
                w.line(&format!("{}. {}", n + 1, exercise.name), 10.5, true);
                let prescription = exercise.prescription();
                if !prescription.is_empty() {
                    w.line(&format!("   {prescription}"), 10.0, false);
                }
                if !exercise.notes.is_empty() {
                    w.paragraph(&format!("   {}", exercise.notes));
                }
            }
            if !session.cool_down.is_empty() {
                w.paragraph(&format!("Cool-down: {}", session.cool_down));
            }
        }
        w.finish()
    }
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
