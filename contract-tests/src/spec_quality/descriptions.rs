//! Every parameter and every schema property described.

use super::{
    defect::{Defect, defect},
    walk::{is_blank, operations, schema_roots, walk_schemas},
};
use crate::{document::Document, schema::escape_pointer};

/// Every parameter and every schema property has a description.
pub fn descriptions(document: &Document) -> Vec<Defect> {
    let mut defects = Vec::new();
    for (pointer, name, operation) in operations(document) {
        for (i, parameter) in operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let parameter = document.resolve(parameter);
            if is_blank(&parameter["description"]) {
                defects.push(defect(
                    format!(
                        "{name}: parameter {:?} ({pointer}/parameters/{i})",
                        parameter["name"].as_str().unwrap_or("?")
                    ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec_quality::{
        defect::listing,
        testing::{assert_none, committed, defective},
    };

    #[test]
    fn every_parameter_and_schema_property_is_described() {
        assert_none("description", &descriptions(&committed()));
    }

    #[test]
    fn names_what_is_missing() {
        let document = defective();
        let descriptions = listing(&descriptions(&document));
        for expected in [
            "GET /a/{id}: parameter \"x\" (#/paths/~1a~1{id}/get/parameters/0): no description",
            "property \"n\" (#/components/schemas/Thing/properties/n): no description",
        ] {
            assert!(
                descriptions.contains(expected),
                "{expected:?} not in:\n{descriptions}"
            );
        }
    }
}
