//! Two schemas compared in the direction their values travel: what a
//! client sends (a request) may only be accepted more widely, what it
//! receives (a response) may only be promised more.

use std::collections::HashSet;

use serde_json::Value;

use super::{Change, Severity, Side};
use crate::{document::Document, schema::escape_pointer};

/// Which way a schema's values travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Direction {
    /// From the client: parameters and request bodies.
    Request,
    /// To the client: response bodies.
    Response,
}

/// A value and its place in its document (a JSON pointer with `#`).
#[derive(Debug, Clone)]
pub(super) struct At<'a> {
    pub value: &'a Value,
    pub pointer: String,
}

impl<'a> At<'a> {
    /// The member `key` of this value (`null` when there is none), and its place.
    pub(super) fn member(&self, key: &str) -> Self {
        Self {
            value: &self.value[key],
            pointer: format!("{}/{}", self.pointer, escape_pointer(key)),
        }
    }

    /// The `n`th item of this array, and its place.
    fn item(&self, n: usize) -> Self {
        Self {
            value: &self.value[n],
            pointer: format!("{}/{n}", self.pointer),
        }
    }
}

/// The comparison of two documents' schemas, collecting changes.
pub(super) struct Schemas<'a> {
    old: &'a Document,
    new: &'a Document,
    /// The pairs already compared, so a schema shared by many operations (or
    /// reaching itself) is walked once per direction.
    seen: HashSet<(String, String, Direction)>,
    /// What was found.
    pub changes: Vec<Change>,
}

impl<'a> Schemas<'a> {
    pub(super) fn new(old: &'a Document, new: &'a Document) -> Self {
        Self {
            old,
            new,
            seen: HashSet::new(),
            changes: Vec::new(),
        }
    }

    /// The old and the new document.
    pub(super) fn documents(&self) -> (&'a Document, &'a Document) {
        (self.old, self.new)
    }

    pub(super) fn add(&mut self, severity: Severity, side: Side, pointer: String, message: String) {
        self.changes.push(Change {
            severity,
            side,
            pointer,
            message,
        });
    }

    /// Compares the schema `old` with `new`, values travelling `direction`.
    pub(super) fn compare(&mut self, old: At<'_>, new: At<'_>, direction: Direction) {
        let old = resolve(self.old, old.value, &old.pointer);
        let new = resolve(self.new, new.value, &new.pointer);
        if !self
            .seen
            .insert((old.pointer.clone(), new.pointer.clone(), direction))
        {
            return;
        }
        if let (Some(before), Some(after)) =
            (old.value["type"].as_str(), new.value["type"].as_str())
            && before != after
        {
            self.add(
                Severity::Breaking,
                Side::New,
                format!("{}/type", new.pointer),
                format!("type changed from {before} to {after}"),
            );
            return;
        }
        self.compare_enums(&old, &new, direction);
        self.compare_properties(&old, &new, direction);
        if old.value.get("items").is_some() && new.value.get("items").is_some() {
            self.compare(old.member("items"), new.member("items"), direction);
        }
        for keyword in ["oneOf", "anyOf", "allOf"] {
            self.compare_alternatives(keyword, &old, &new, direction);
        }
    }

    fn compare_enums(&mut self, old: &At<'_>, new: &At<'_>, direction: Direction) {
        let pointer = format!("{}/enum", new.pointer);
        // (how bad, where, what) of the one rule that applies, if any.
        let change = match (
            old.value["enum"].as_array(),
            new.value["enum"].as_array(),
            direction,
        ) {
            (Some(before), Some(after), Direction::Request) => {
                missing(before, after).map(|removed| {
                    let message = format!("no longer accepts {removed}, which a client may send");
                    (Severity::Breaking, pointer, message)
                })
            }
            (Some(before), Some(after), Direction::Response) => {
                missing(after, before).map(|added| {
                    let message = format!(
                        "may now answer {added} (an exhaustive switch over the old values breaks)"
                    );
                    (Severity::Warning, pointer, message)
                })
            }
            (None, Some(after), Direction::Request) => Some((
                Severity::Breaking,
                pointer,
                format!(
                    "now accepts only {}, where any value was accepted",
                    listed(after)
                ),
            )),
            (Some(before), None, Direction::Response) => Some((
                Severity::Warning,
                new.pointer.clone(),
                format!(
                    "may now answer any value, where it was one of {}",
                    listed(before)
                ),
            )),
            _ => None,
        };
        if let Some((severity, pointer, message)) = change {
            self.add(severity, Side::New, pointer, message);
        }
    }

    fn compare_properties(&mut self, old: &At<'_>, new: &At<'_>, direction: Direction) {
        let empty = serde_json::Map::new();
        let before = old.value["properties"].as_object().unwrap_or(&empty);
        let after = new.value["properties"].as_object().unwrap_or(&empty);
        for name in before.keys() {
            let old_property = old.member("properties").member(name);
            if !after.contains_key(name) {
                let (what, why) = match direction {
                    Direction::Request => ("request", "a client may send it"),
                    Direction::Response => ("response", "a client may read it"),
                };
                self.add(
                    Severity::Breaking,
                    Side::Old,
                    old_property.pointer,
                    format!("{what} property {name} removed ({why})"),
                );
                continue;
            }
            let new_property = new.member("properties").member(name);
            self.compare(old_property, new_property, direction);
        }
        let required = |schema: &Value| -> Vec<String> {
            schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let (was, is) = (required(old.value), required(new.value));
        let pointer = format!("{}/required", new.pointer);
        match direction {
            Direction::Request => {
                for name in is.iter().filter(|name| !was.contains(name)) {
                    let what = if before.contains_key(name) {
                        "made required"
                    } else {
                        "added, required"
                    };
                    self.add(
                        Severity::Breaking,
                        Side::New,
                        pointer.clone(),
                        format!("request property {name} {what} (a client may not send it)"),
                    );
                }
            }
            Direction::Response => {
                for name in was
                    .iter()
                    .filter(|n| !is.contains(n) && after.contains_key(*n))
                {
                    self.add(
                        Severity::Breaking,
                        Side::New,
                        pointer.clone(),
                        format!("response property {name} no longer required (a client may find it missing)"),
                    );
                }
            }
        }
    }

    fn compare_alternatives(
        &mut self,
        keyword: &str,
        old: &At<'_>,
        new: &At<'_>,
        direction: Direction,
    ) {
        let (Some(before), Some(after)) =
            (old.value[keyword].as_array(), new.value[keyword].as_array())
        else {
            return;
        };
        let (old_alternatives, new_alternatives) = (old.member(keyword), new.member(keyword));
        for n in 0..before.len().min(after.len()) {
            self.compare(
                old_alternatives.item(n),
                new_alternatives.item(n),
                direction,
            );
        }
        if keyword == "allOf" {
            return;
        }
        let pointer = new_alternatives.pointer;
        match direction {
            Direction::Request if after.len() < before.len() => self.add(
                Severity::Breaking,
                Side::New,
                pointer,
                format!(
                    "{} of the {} alternatives removed (a client may send them)",
                    before.len() - after.len(),
                    before.len()
                ),
            ),
            Direction::Response if after.len() > before.len() => self.add(
                Severity::Warning,
                Side::New,
                pointer,
                format!(
                    "{} alternative{} added (an exhaustive switch over the old ones breaks)",
                    after.len() - before.len(),
                    if after.len() - before.len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                ),
            ),
            _ => {}
        }
    }
}

/// `value` with the `$ref`s at its top followed, and its place (`#/…`) in `document`.
pub(super) fn resolve<'a>(document: &'a Document, mut value: &'a Value, pointer: &str) -> At<'a> {
    let mut pointer = pointer.to_owned();
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(target) = document.pointer(reference) else {
            break;
        };
        value = target;
        pointer = reference.to_owned();
    }
    At { value, pointer }
}

/// The values of `from` not in `to`, listed; `None` when there are none.
fn missing(from: &[Value], to: &[Value]) -> Option<String> {
    let gone: Vec<Value> = from.iter().filter(|v| !to.contains(v)).cloned().collect();
    (!gone.is_empty()).then(|| listed(&gone))
}

fn listed(values: &[Value]) -> String {
    let shown: Vec<String> = values.iter().map(Value::to_string).collect();
    shown.join(", ")
}
