//! Every parameter and every schema property described.

use super::{
    defect::{Defect, defect},
    walk::{is_blank, operations, parameters, schema_roots, walk_schemas},
};
use crate::{document::Document, schema::escape_pointer};

/// Every parameter and every schema property has a description.
pub fn descriptions(document: &Document) -> Vec<Defect> {
    let mut defects = Vec::new();
    for (pointer, name, operation) in operations(document) {
        for (at, parameter) in parameters(&pointer, operation) {
            let parameter = document.resolve(parameter);
            if is_blank(&parameter["description"]) {
                let parameter_name = parameter["name"].as_str().unwrap_or("?");
                defects.push(defect(
                    format!("{name}: parameter {parameter_name:?} ({at})"),
                    "no description",
                ));
            }
        }
    }
    for (root, schema) in schema_roots(document) {
        walk_schemas(schema, &root, &mut |schema, at| {
            for (property, value) in schema["properties"].as_object().into_iter().flatten() {
                // A bare $ref cannot carry a description in 3.0; its target's counts.
                let described = !is_blank(&value["description"])
                    || !is_blank(&document.resolve(value)["description"]);
                if !described {
                    defects.push(defect(
                        format!(
                            "property {property:?} ({at}/properties/{})",
                            escape_pointer(property)
                        ),
                        "no description",
                    ));
                }
            }
        });
    }
    defects
}
