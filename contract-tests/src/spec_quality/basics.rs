//! Every operation named (a unique `operationId`), summarised, and answering
//! 200 with a JSON schema.

use std::collections::BTreeMap;

use super::{
    defect::{Defect, defect},
    walk::{is_blank, operations},
};
use crate::document::{Document, media_type_essence};

/// Every operation has a unique `operationId`, a summary, and a 200 response
/// with a JSON schema.
pub fn operation_basics(document: &Document) -> Vec<Defect> {
    let mut defects = Vec::new();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (pointer, name, operation) in operations(document) {
        match operation["operationId"]
            .as_str()
            .filter(|id| !id.trim().is_empty())
        {
            Some(id) => ids.entry(id.to_owned()).or_default().push(name.clone()),
            None => defects.push(defect(format!("{name} ({pointer})"), "no operationId")),
        }
        if is_blank(&operation["summary"]) {
            defects.push(defect(format!("{name} ({pointer})"), "no summary"));
        }
        let ok = document.resolve(&operation["responses"]["200"]);
        let json_schema =
            ok["content"]
                .as_object()
                .into_iter()
                .flatten()
                .any(|(media, content)| {
                    let essence = media_type_essence(media);
                    (essence == "application/json" || essence.ends_with("+json"))
                        && content.get("schema").is_some()
                });
        if !json_schema {
            defects.push(defect(
                format!("{name} ({pointer}/responses/200)"),
                "no 200 response with a JSON schema",
            ));
        }
    }
    for (id, users) in ids {
        if users.len() > 1 {
            defects.push(defect(
                users.join(", "),
                format!("operationId {id:?} is used {} times", users.len()),
            ));
        }
    }
    defects
}
