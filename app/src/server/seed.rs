//! `coachroom seed`: a demo workspace that looks lived in, for a new user to look around and
//! for the benchmark to measure at scale. One coach; clients with profiles and check-in days;
//! a weekly check-in history for each on their check-in day, with values that drift as real
//! ones do, some still waiting for review and some clients who stopped checking in; optionally a front photo on each client's first
//! and latest check-in. Everything goes through the store, sealed with each client's own key.

use crate::domain::{
    CalendarDate, ClientInput, Email, LongText, Metric, MetricValues, NewPassword, PersonName,
    PhotoSlot, Weekday,
};
use crate::server::authz;
use crate::server::db::Db;
use crate::server::storage::{ObjectKey, Storage};
use crate::server::store::checkins::StoredPhoto;
use crate::server::store::seed::{self as store, PastCheckin, SeededClient};
use crate::server::{internal, new_id, now_millis, password};
use crate::AppError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// At most this many clients in one seeded workspace.
pub const CLIENTS_MAX: u32 = 100_000;
/// At most this many check-ins per client (about 19 years of weekly check-ins).
pub const CHECKINS_PER_CLIENT_MAX: u32 = 1_000;
/// Clients made per transaction.
const CLIENTS_PER_BATCH: usize = 500;
const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// What to make.
pub struct SeedPlan {
    pub email: Email,
    pub clients: u32,
    pub checkins_per_client: u32,
    pub photos: bool,
}

/// What was made, and how to sign in to it.
pub struct Seeded {
    pub email: String,
    pub password: String,
    pub clients: u64,
    pub checkins: u64,
    pub photos: u64,
}

const FIRST_NAMES: [&str; 24] = [
    "Riley", "Jordan", "Avery", "Morgan", "Casey", "Taylor", "Jamie", "Alex", "Sam", "Robin",
    "Quinn", "Drew", "Maya", "Noah", "Lena", "Omar", "Priya", "Mateo", "Sofia", "Kenji", "Amara",
    "Lucas", "Ines", "Tariq",
];
const LAST_NAMES: [&str; 24] = [
    "Chen", "Okafor", "Garcia", "Novak", "Kowalski", "Haddad", "Silva", "Nguyen", "Schmidt",
    "Rossi", "Murphy", "Tanaka", "Andersen", "Dubois", "Patel", "Kim", "Costa", "Jensen", "Ali",
    "Moreau", "Fischer", "Lopez", "Singh", "Walsh",
];
const GOALS: [&str; 6] = [
    "Lose 8 kg before the wedding in June.",
    "Run a half marathon under two hours.",
    "Build strength: a bodyweight squat for reps, then a barbell.",
    "More energy in the afternoons; fewer takeaways.",
    "Get back to training after the knee surgery.",
    "Keep the weight off and sleep better.",
];
const FEEDBACK: [&str; 10] = [
    "Good week overall. Hit all my sessions.",
    "Struggled with evening snacking again.",
    "Slept badly midweek, work was stressful.",
    "Felt strong in the gym, up 2.5 kg on squats!",
    "Travelled for work so meals were harder.",
    "Knee felt better, did the stretches daily.",
    "Missed two sessions, kids were ill.",
    "Steps were up thanks to walking to work.",
    "",
    "Energy much better in the afternoons.",
];

/// Makes the demo workspace. The coach's password is made here and returned, never stored in
/// the clear.
pub async fn seed(db: &Db, storage: &Storage, plan: &SeedPlan) -> Result<Seeded, AppError> {
    let mut rng = StdRng::seed_from_u64(20_261_206);
    let password_text = new_password();
    let hash = password::hash(&NewPassword::parse(&password_text)?).await?;
    let name = PersonName::parse("Demo Coach")?;
    let made = store::make_coach(db, &plan.email, &name, &hash).await?;
    let workspace = authz::made_workspace(&made);
    let now = now_millis();
    let mut seeded = Seeded {
        email: plan.email.as_str().to_owned(),
        password: password_text,
        clients: 0,
        checkins: 0,
        photos: 0,
    };
    let mut index = 0u32;
    while index < plan.clients {
        let batch = (plan.clients - index).min(CLIENTS_PER_BATCH as u32);
        let inputs = (index..index + batch)
            .map(|i| client_input(i, &mut rng))
            .collect::<Result<Vec<_>, _>>()?;
        let clients = store::add_clients(db, &workspace, &inputs).await?;
        for (client, input) in clients.iter().zip(&inputs) {
            let day = input.checkin_day.unwrap_or(Weekday::Monday);
            let mut history = history(&mut rng, now, day, plan.checkins_per_client);
            if plan.photos {
                seeded.photos += add_photos(storage, client, &mut history, &mut rng).await?;
            }
            store::add_history(db, client, &history).await?;
            seeded.checkins += history.len() as u64;
        }
        seeded.clients += u64::from(batch);
        index += batch;
        if plan.clients >= 1000 {
            tracing::info!(
                clients = seeded.clients,
                checkins = seeded.checkins,
                "seeding"
            );
        }
    }
    store::refresh_statistics(db).await?;
    Ok(seeded)
}

/// Twenty letters and digits from the OS's generator (about 103 bits).
fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

fn client_input(i: u32, rng: &mut StdRng) -> Result<ClientInput, AppError> {
    let first = FIRST_NAMES[i as usize % FIRST_NAMES.len()];
    let last = LAST_NAMES[(i as usize / FIRST_NAMES.len()) % LAST_NAMES.len()];
    let long = |text: &str, field: &str| LongText::parse(text, field);
    let year = rng.gen_range(1960..2004);
    Ok(ClientInput {
        name: PersonName::parse(&format!("{first} {last}"))?,
        email: Email::parse(&format!(
            "{}.{}.{i}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        ))?,
        phone: format!("+44 7700 9{:05}", i % 100_000),
        date_of_birth: CalendarDate::optional(
            &format!(
                "{year}-{:02}-{:02}",
                rng.gen_range(1..=12),
                rng.gen_range(1..=28)
            ),
            "Date of birth",
        )?,
        age_years: None,
        gender: if i.is_multiple_of(2) {
            "Female"
        } else {
            "Male"
        }
        .to_owned(),
        height_cm: Some(f64::from(rng.gen_range(155..195))),
        weight_kg: Some(f64::from(rng.gen_range(58..115))),
        goals: long(GOALS[i as usize % GOALS.len()], "Goals")?,
        medical_conditions: long(
            if i.is_multiple_of(7) {
                "Mild asthma."
            } else {
                ""
            },
            "Medical conditions",
        )?,
        dietary_restrictions: long(
            if i.is_multiple_of(5) {
                "Vegetarian."
            } else {
                ""
            },
            "Dietary restrictions",
        )?,
        injuries: long(
            if i.is_multiple_of(9) {
                "Left knee, ACL repair 2024."
            } else {
                ""
            },
            "Injuries",
        )?,
        medications: long("", "Medications")?,
        checkin_day: Some(Weekday::ALL[i as usize % Weekday::ALL.len()]),
    })
}

/// The latest moment on `day` (between 7:00 and 19:00 UTC) that is before `now`.
fn last_checkin_time(rng: &mut StdRng, now: i64, day: Weekday) -> i64 {
    // 1 January 1970 was a Thursday, three days after a Monday.
    let today = now.div_euclid(DAY_MS);
    let weekday_today = (today + 3).rem_euclid(7);
    let wanted = Weekday::ALL.iter().position(|d| *d == day).unwrap_or(0) as i64;
    let days_back = (weekday_today - wanted).rem_euclid(7);
    let at = (today - days_back) * DAY_MS + rng.gen_range(7 * 3600 * 1000..19 * 3600 * 1000);
    if at >= now {
        at - WEEK_MS
    } else {
        at
    }
}

/// `count` weekly check-ins on the client's check-in `day`, the latest on its most recent
/// occurrence, oldest first. One client in ten stopped two to five weeks ago; a third have
/// their latest still waiting for review. Weight moves towards a goal of its own and then holds
/// (a few kilos over months, whatever the length of the history), with week-to-week noise.
fn history(rng: &mut StdRng, now: i64, day: Weekday, count: u32) -> Vec<PastCheckin> {
    let stopped_weeks_ago: i64 = if rng.gen_bool(0.1) {
        rng.gen_range(2..6)
    } else {
        0
    };
    let latest_waits = rng.gen_bool(0.33);
    let last_at = last_checkin_time(rng, now, day) - stopped_weeks_ago * WEEK_MS;
    let start_weight: f64 = rng.gen_range(60.0..112.0);
    let change: f64 = rng.gen_range(-12.0..3.0);
    let weeks_to_settle: f64 = rng.gen_range(8.0..30.0);
    let waist_start = start_weight * 0.95 + rng.gen_range(-6.0..6.0);
    (0..count)
        .map(|week| {
            let weeks_before_last = i64::from(count - 1 - week);
            let submitted_at = last_at - weeks_before_last * WEEK_MS;
            let progress = 1.0 - (-f64::from(week) / weeks_to_settle).exp();
            let weight = start_weight + change * progress + rng.gen_range(-0.6..0.6);
            let mut values = MetricValues::new();
            let mut put = |metric: Metric, value: f64| {
                values.insert(metric, (value * 10.0).round() / 10.0);
            };
            put(Metric::Weight, weight);
            put(Metric::Sleep, rng.gen_range(5.0..8.8));
            put(Metric::Steps, f64::from(rng.gen_range(3_000..14_000)));
            put(Metric::Adherence, f64::from(rng.gen_range(50..=100)));
            put(Metric::Sessions, f64::from(rng.gen_range(0..=5)));
            put(Metric::Energy, f64::from(rng.gen_range(3..=9)));
            put(Metric::Stress, f64::from(rng.gen_range(2..=8)));
            put(Metric::Mood, f64::from(rng.gen_range(4..=9)));
            if week % 4 == 0 {
                put(Metric::Waist, waist_start + change * 0.8 * progress);
                put(Metric::BodyFat, rng.gen_range(14.0..34.0));
            }
            let last = week + 1 == count;
            PastCheckin {
                id: new_id(),
                submitted_at,
                reviewed_at: (!(last && latest_waits))
                    .then_some((submitted_at + DAY_MS / 2).min(now)),
                feedback: FEEDBACK[rng.gen_range(0..FEEDBACK.len())].to_owned(),
                values,
                photos: Vec::new(),
            }
        })
        .collect()
}

/// A front photo on the client's first and latest check-in, written to storage (sealed);
/// returns how many.
async fn add_photos(
    storage: &Storage,
    client: &SeededClient,
    history: &mut [PastCheckin],
    rng: &mut StdRng,
) -> Result<u64, AppError> {
    let last = history.len().saturating_sub(1);
    let mut made = 0;
    for index in [0, last] {
        let Some(checkin) = history.get_mut(index) else {
            continue;
        };
        if !checkin.photos.is_empty() {
            continue;
        }
        let (bytes, width, height) = demo_photo(rng)?;
        let key = ObjectKey::new_photo(client.coach_id(), &client.id, &checkin.id);
        let byte_size = bytes.len();
        storage.put(&key, bytes).await?;
        checkin.photos.push(StoredPhoto {
            slot: PhotoSlot::Front,
            key,
            width,
            height,
            byte_size,
        });
        made += 1;
    }
    Ok(made)
}

/// A 360x480 JPEG: a figure-like shape on a soft background, in colours of its own.
fn demo_photo(rng: &mut StdRng) -> Result<(Vec<u8>, u32, u32), AppError> {
    let (width, height) = (360u32, 480u32);
    let background = [
        rng.gen_range(170..230u8),
        rng.gen_range(170..230u8),
        rng.gen_range(170..230u8),
    ];
    let figure = [
        rng.gen_range(60..140u8),
        rng.gen_range(60..140u8),
        rng.gen_range(60..140u8),
    ];
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let (cx, x, y) = (width as f32 / 2.0, x as f32, y as f32);
        let head = (x - cx).powi(2) + (y - 90.0).powi(2) < 45.0f32.powi(2);
        let body = (x - cx).abs() < 70.0 - (y - 300.0).abs() * 0.08 && (140.0..460.0).contains(&y);
        let shade = (y / height as f32 * 30.0) as u8;
        let [r, g, b] = if head || body { figure } else { background };
        image::Rgb([
            r.saturating_sub(shade),
            g.saturating_sub(shade),
            b.saturating_sub(shade),
        ])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80)
        .encode_image(&image)
        .map_err(internal)?;
    Ok((bytes, width, height))
}
