//! Lenient readers for request fields that Gist clients send in more than one JSON
//! type: ids and times as numbers or strings of digits, a numeric `user_id`, booleans
//! as `"true"`. Use them with `#[serde(default, deserialize_with = "...")]`.

use serde::de::Error;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// An optional id: a whole number or a string of digits; `""` means absent.
pub fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number
            .as_i64()
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("`{number}` is not an id"))),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("`{text}` is not an id"))),
        Some(other) => Err(D::Error::custom(format!("`{other}` is not an id"))),
    }
}

/// An optional time in Unix seconds: a number (a fraction is dropped) or a string of
/// digits; `""` means absent.
pub fn time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let invalid = |value: &dyn std::fmt::Display| {
        D::Error::custom(format!("`{value}` is not a time in Unix seconds"))
    };
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => match (number.as_i64(), number.as_f64()) {
            (Some(seconds), _) => Ok(Some(seconds)),
            (None, Some(seconds)) if seconds.is_finite() && seconds.abs() < 1e15 => {
                Ok(Some(seconds.trunc() as i64))
            }
            _ => Err(invalid(&number)),
        },
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => text.trim().parse().map(Some).map_err(|_| invalid(&text)),
        Some(other) => Err(invalid(&other)),
    }
}

/// An optional string that some clients send as a number (a numeric `user_id`).
pub fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(other) => Err(D::Error::custom(format!(
            "`{other}` is neither a string nor a number"
        ))),
    }
}

/// An optional boolean, also as `"true"`/`"false"` (Gist's own sample contact
/// quotes it) or `1`/`0`; `""` means absent.
pub fn boolean<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    match &value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Bool(flag)) => return Ok(Some(*flag)),
        Some(Value::Number(number)) => match number.as_i64() {
            Some(0) => return Ok(Some(false)),
            Some(1) => return Ok(Some(true)),
            _ => {}
        },
        Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
            "" => return Ok(None),
            "true" | "1" => return Ok(Some(true)),
            "false" | "0" => return Ok(Some(false)),
            _ => {}
        },
        Some(_) => {}
    }
    let shown = value.map(|value| value.to_string()).unwrap_or_default();
    Err(D::Error::custom(format!("`{shown}` is not true or false")))
}
