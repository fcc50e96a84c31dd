//! Body measurements: parsed from the coach's units, stored in SI (cm, kg), shown back in the
//! coach's units.

use super::Units;
use crate::AppError;

const CM_PER_INCH: f64 = 2.54;
const KG_PER_LB: f64 = 0.453_592_37;
const HEIGHT_CM: (f64, f64) = (50.0, 250.0);
const WEIGHT_KG: (f64, f64) = (20.0, 400.0);

fn parse_number(raw: &str, field: &str) -> Result<f64, AppError> {
    let value: f64 = raw
        .trim()
        .parse()
        .map_err(|_| AppError::invalid(format!("{field} must be a number.")))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(AppError::invalid(format!("{field} must be a number.")))
    }
}

/// Imperial height as inches: `70`, `5'10`, `5' 10"`, or `5ft 10in`.
fn parse_inches(raw: &str) -> Result<f64, AppError> {
    let text = raw
        .trim()
        .replace("ft", "'")
        .replace("in", "")
        .replace('"', "");
    match text.split_once('\'') {
        Some((feet, inches)) => {
            let feet = parse_number(feet, "Height")?;
            let inches = if inches.trim().is_empty() {
                0.0
            } else {
                parse_number(inches, "Height")?
            };
            if !(0.0..12.0).contains(&inches) {
                return Err(AppError::invalid(
                    "Height: inches must be between 0 and 11.",
                ));
            }
            Ok(feet * 12.0 + inches)
        }
        None => parse_number(&text, "Height"),
    }
}

impl Units {
    pub fn height_unit(self) -> &'static str {
        match self {
            Self::Metric => "cm",
            Self::Imperial => "in",
        }
    }

    pub fn weight_unit(self) -> &'static str {
        match self {
            Self::Metric => "kg",
            Self::Imperial => "lb",
        }
    }

    /// A height typed in these units, as centimetres. Empty means unknown.
    pub fn parse_height(self, raw: &str) -> Result<Option<f64>, AppError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let cm = match self {
            Self::Metric => parse_number(raw, "Height")?,
            Self::Imperial => parse_inches(raw)? * CM_PER_INCH,
        };
        if !(HEIGHT_CM.0..=HEIGHT_CM.1).contains(&cm) {
            return Err(AppError::invalid(format!(
                "Height must be between {} and {} {}.",
                self.height_input(HEIGHT_CM.0),
                self.height_input(HEIGHT_CM.1),
                self.height_unit()
            )));
        }
        Ok(Some(cm))
    }

    /// A weight typed in these units, as kilograms. Empty means unknown.
    pub fn parse_weight(self, raw: &str) -> Result<Option<f64>, AppError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let value = parse_number(raw, "Weight")?;
        let kg = match self {
            Self::Metric => value,
            Self::Imperial => value * KG_PER_LB,
        };
        if !(WEIGHT_KG.0..=WEIGHT_KG.1).contains(&kg) {
            return Err(AppError::invalid(format!(
                "Weight must be between {} and {} {}.",
                self.weight_input(WEIGHT_KG.0),
                self.weight_input(WEIGHT_KG.1),
                self.weight_unit()
            )));
        }
        Ok(Some(kg))
    }

    /// The number to prefill a height field with.
    pub fn height_input(self, cm: f64) -> String {
        match self {
            Self::Metric => format!("{}", round1(cm)),
            Self::Imperial => format!("{}", round1(cm / CM_PER_INCH)),
        }
    }

    /// The number to prefill a weight field with.
    pub fn weight_input(self, kg: f64) -> String {
        match self {
            Self::Metric => format!("{}", round1(kg)),
            Self::Imperial => format!("{}", round1(kg / KG_PER_LB)),
        }
    }

    /// A height for reading: `178 cm` or `5 ft 10 in`.
    pub fn format_height(self, cm: f64) -> String {
        match self {
            Self::Metric => format!("{} cm", round1(cm)),
            Self::Imperial => {
                let inches = (cm / CM_PER_INCH).round() as i64;
                format!("{} ft {} in", inches / 12, inches % 12)
            }
        }
    }

    /// A weight for reading: `80.5 kg` or `177.5 lb`.
    pub fn format_weight(self, kg: f64) -> String {
        format!("{} {}", self.weight_input(kg), self.weight_unit())
    }
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_and_imperial_round_trip_through_si() {
        assert_eq!(Units::Metric.parse_height("178").unwrap(), Some(178.0));
        let cm = Units::Imperial.parse_height("5'10").unwrap().unwrap();
        assert!((cm - 177.8).abs() < 0.01);
        assert_eq!(Units::Imperial.parse_height("70").unwrap(), Some(cm));
        assert_eq!(Units::Imperial.format_height(cm), "5 ft 10 in");
        let kg = Units::Imperial.parse_weight("176.4").unwrap().unwrap();
        assert!((kg - 80.0).abs() < 0.02);
        assert_eq!(Units::Imperial.weight_input(kg), "176.4");
        assert_eq!(Units::Metric.format_weight(80.04), "80 kg");
        assert_eq!(Units::Metric.parse_weight(" ").unwrap(), None);
    }

    #[test]
    fn absurd_values_are_refused_in_the_users_units() {
        let err = Units::Metric.parse_weight("5000").unwrap_err();
        assert_eq!(err.to_string(), "Weight must be between 20 and 400 kg.");
        let err = Units::Imperial.parse_weight("5").unwrap_err();
        assert_eq!(err.to_string(), "Weight must be between 44.1 and 881.8 lb.");
        assert!(Units::Metric.parse_height("abc").is_err());
        assert!(Units::Metric.parse_height("NaN").is_err());
        assert!(Units::Imperial.parse_height("5'13").is_err());
        assert!(Units::Metric.parse_height("-170").is_err());
    }
}
