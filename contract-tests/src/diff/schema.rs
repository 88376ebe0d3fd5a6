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

/// A schema and its place in its document.
#[derive(Debug, Clone, Copy)]
pub(super) struct At<'a> {
    pub value: &'a Value,
    pub pointer: &'a str,
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
        let (old_value, old_pointer) = resolve(self.old, old.value, old.pointer);
        let (new_value, new_pointer) = resolve(self.new, new.value, new.pointer);
        if !self
            .seen
            .insert((old_pointer.clone(), new_pointer.clone(), direction))
        {
            return;
        }
        if let (Some(before), Some(after)) =
            (old_value["type"].as_str(), new_value["type"].as_str())
            && before != after
        {
            self.add(
                Severity::Breaking,
                Side::New,
                format!("{new_pointer}/type"),
                format!("type changed from {before} to {after}"),
            );
            return;
        }
        self.compare_enums(old_value, new_value, &new_pointer, direction);
        self.compare_properties(old_value, &old_pointer, new_value, &new_pointer, direction);
        if old_value.get("items").is_some() && new_value.get("items").is_some() {
            let (old_items, new_items) = (
                format!("{old_pointer}/items"),
                format!("{new_pointer}/items"),
            );
            self.compare(
                At {
                    value: &old_value["items"],
                    pointer: &old_items,
                },
                At {
                    value: &new_value["items"],
                    pointer: &new_items,
                },
                direction,
            );
        }
        for keyword in ["oneOf", "anyOf", "allOf"] {
            self.compare_alternatives(
                keyword,
                old_value,
                &old_pointer,
                new_value,
                &new_pointer,
                direction,
            );
        }
    }

    fn compare_enums(&mut self, old: &Value, new: &Value, new_pointer: &str, direction: Direction) {
        let pointer = format!("{new_pointer}/enum");
        match (old["enum"].as_array(), new["enum"].as_array(), direction) {
            (Some(before), Some(after), Direction::Request) => {
                let removed = missing(before, after);
                if !removed.is_empty() {
                    self.add(
                        Severity::Breaking,
                        Side::New,
                        pointer,
                        format!("no longer accepts {removed}, which a client may send"),
                    );
                }
            }
            (Some(before), Some(after), Direction::Response) => {
                let added = missing(after, before);
                if !added.is_empty() {
                    self.add(
                        Severity::Warning,
                        Side::New,
                        pointer,
                        format!("may now answer {added} (an exhaustive switch over the old values breaks)"),
                    );
                }
            }
            (None, Some(after), Direction::Request) => self.add(
                Severity::Breaking,
                Side::New,
                pointer,
                format!(
                    "now accepts only {}, where any value was accepted",
                    listed(after)
                ),
            ),
            (Some(before), None, Direction::Response) => self.add(
                Severity::Warning,
                Side::New,
                new_pointer.to_owned(),
                format!(
                    "may now answer any value, where it was one of {}",
                    listed(before)
                ),
            ),
            _ => {}
        }
    }

    fn compare_properties(
        &mut self,
        old: &Value,
        old_pointer: &str,
        new: &Value,
        new_pointer: &str,
        direction: Direction,
    ) {
        let empty = serde_json::Map::new();
        let before = old["properties"].as_object().unwrap_or(&empty);
        let after = new["properties"].as_object().unwrap_or(&empty);
        for (name, property) in before {
            let old_at = format!("{old_pointer}/properties/{}", escape_pointer(name));
            let Some(new_property) = after.get(name) else {
                let (what, why) = match direction {
                    Direction::Request => ("request", "a client may send it"),
                    Direction::Response => ("response", "a client may read it"),
                };
                self.add(
                    Severity::Breaking,
                    Side::Old,
                    old_at,
                    format!("{what} property {name} removed ({why})"),
                );
                continue;
            };
            let new_at = format!("{new_pointer}/properties/{}", escape_pointer(name));
            self.compare(
                At {
                    value: property,
                    pointer: &old_at,
                },
                At {
                    value: new_property,
                    pointer: &new_at,
                },
                direction,
            );
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
        let (was, is) = (required(old), required(new));
        let pointer = format!("{new_pointer}/required");
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
        old: &Value,
        old_pointer: &str,
        new: &Value,
        new_pointer: &str,
        direction: Direction,
    ) {
        let (Some(before), Some(after)) = (old[keyword].as_array(), new[keyword].as_array()) else {
            return;
        };
        for (n, (old_alternative, new_alternative)) in before.iter().zip(after).enumerate() {
            let (old_at, new_at) = (
                format!("{old_pointer}/{keyword}/{n}"),
                format!("{new_pointer}/{keyword}/{n}"),
            );
            self.compare(
                At {
                    value: old_alternative,
                    pointer: &old_at,
                },
                At {
                    value: new_alternative,
                    pointer: &new_at,
                },
                direction,
            );
        }
        if keyword == "allOf" {
            return;
        }
        let pointer = format!("{new_pointer}/{keyword}");
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

/// `value` with the `$ref`s at its top followed, and its pointer (`#/…`) in `document`.
pub(super) fn resolve<'a>(
    document: &'a Document,
    mut value: &'a Value,
    pointer: &str,
) -> (&'a Value, String) {
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
    (value, pointer)
}

/// The values of `from` not in `to`, listed; empty when there are none.
fn missing(from: &[Value], to: &[Value]) -> String {
    let gone: Vec<Value> = from.iter().filter(|v| !to.contains(v)).cloned().collect();
    if gone.is_empty() {
        String::new()
    } else {
        listed(&gone)
    }
}

fn listed(values: &[Value]) -> String {
    let shown: Vec<String> = values.iter().map(Value::to_string).collect();
    shown.join(", ")
}
