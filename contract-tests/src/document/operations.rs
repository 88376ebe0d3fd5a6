//! Reading the operations out of the document: parameters, body fields and
//! security requirements, each as an [`Input`].

use serde_json::Value;

use super::{
    openapi::{Document, METHODS},
    types::{Credential, Input, Location, Operation, Target},
};

impl Document {
    /// Every operation, in document order.
    pub fn operations(&self) -> Vec<Operation> {
        let mut operations = Vec::new();
        for (path, item) in self.json["paths"].as_object().into_iter().flatten() {
            let item = self.resolve(item);
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                operations.push(self.operation(path, method, item, operation));
            }
        }
        operations
    }

    /// The operation with `operation_id`.
    pub fn operation_by_id(&self, operation_id: &str) -> Option<Operation> {
        self.operations()
            .into_iter()
            .find(|op| op.operation_id == operation_id)
    }

    /// Every operation with each of its encodings.
    pub fn targets(&self) -> Vec<Target> {
        self.operations()
            .into_iter()
            .flat_map(|operation| {
                operation
                    .encodings()
                    .into_iter()
                    .map(move |encoding| Target {
                        operation: operation.clone(),
                        encoding,
                    })
            })
            .collect()
    }

    /// The raw operation object of `op`.
    pub fn operation_json(&self, op: &Operation) -> &Value {
        &self.resolve(&self.json["paths"][&op.path])[&op.method]
    }

    fn operation(&self, path: &str, method: &str, item: &Value, operation: &Value) -> Operation {
        let mut inputs: Vec<Input> = Vec::new();
        // Path-level parameters apply unless the operation overrides them.
        let declared = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(item["parameters"].as_array().into_iter().flatten());
        for parameter in declared {
            let parameter = self.resolve(parameter);
            let name = parameter["name"].as_str().unwrap_or_default().to_owned();
            let location = match parameter["in"].as_str() {
                Some("path") => Location::Path,
                Some("query") => Location::Query,
                Some("header") => Location::Header,
                _ => continue,
            };
            if inputs
                .iter()
                .any(|i| i.name == name && i.location == location)
            {
                continue;
            }
            inputs.push(Input {
                name,
                location,
                required: parameter["required"].as_bool().unwrap_or(false)
                    || location == Location::Path,
                schema: self.resolve(&parameter["schema"]).clone(),
                credential: None,
            });
        }

        let body = self.resolve(&operation["requestBody"]);
        let content = body["content"].as_object();
        let body_media_types: Vec<String> = content
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect();
        if let Some(schema) = content
            .into_iter()
            .flatten()
            .map(|(_, media)| self.resolve(&media["schema"]))
            .find(|schema| schema["properties"].is_object())
        {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                inputs.push(Input {
                    name: name.clone(),
                    location: Location::Body,
                    required: required.contains(&name.as_str()),
                    schema: self.resolve(property).clone(),
                    credential: None,
                });
            }
        }

        let security = self.security(operation);

        Operation {
            method: method.to_owned(),
            path: path.to_owned(),
            operation_id: operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            inputs,
            security,
            body_media_types,
            body_required: body["required"].as_bool().unwrap_or(false),
        }
    }

    /// The alternatives of `operation`'s security requirement (or the
    /// document's), each as the token inputs its schemes need.
    fn security(&self, operation: &Value) -> Vec<Vec<Input>> {
        let requirements = operation
            .get("security")
            .or_else(|| self.json.get("security"));
        let token_schema = serde_json::json!({"type": "string", "description": "token"});
        let mut alternatives = Vec::new();
        for requirement in requirements.and_then(Value::as_array).into_iter().flatten() {
            let mut inputs = Vec::new();
            for scheme_name in requirement
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                let scheme = self.resolve(&self.json["components"]["securitySchemes"][scheme_name]);
                let (name, location, credential) =
                    match (scheme["type"].as_str(), scheme["scheme"].as_str()) {
                        (Some("http"), Some(s)) if s.eq_ignore_ascii_case("bearer") => (
                            "Authorization".to_owned(),
                            Location::Header,
                            Credential::Bearer,
                        ),
                        (Some("apiKey"), _) => {
                            let location = match scheme["in"].as_str() {
                                Some("query") => Location::Query,
                                Some("header") => Location::Header,
                                _ => continue,
                            };
                            (
                                scheme["name"].as_str().unwrap_or_default().to_owned(),
                                location,
                                Credential::ApiKey,
                            )
                        }
                        _ => continue,
                    };
                inputs.push(Input {
                    name,
                    location,
                    required: true,
                    schema: token_schema.clone(),
                    credential: Some(credential),
                });
            }
            alternatives.push(inputs);
        }
        alternatives
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Encoding;

    #[test]
    fn every_post_with_a_body_is_tried_as_form_json_and_query_string() {
        let document = Document::committed();
        let register = document.operation_by_id("register").unwrap();
        assert_eq!(
            register.encodings(),
            vec![Encoding::Form, Encoding::Json, Encoding::EmptyBodyQuery]
        );
        let body_fields: Vec<_> = register
            .inputs
            .iter()
            .filter(|i| i.location == Location::Body)
            .map(|i| (i.name.as_str(), i.required))
            .collect();
        assert_eq!(
            body_fields,
            vec![
                ("phone", true),
                ("name", true),
                ("password", true),
                ("device_identifier", true),
                ("code", false)
            ]
        );
        let sendsms = document.operation_by_id("sendsms").unwrap();
        assert_eq!(sendsms.inputs[0].location, Location::Path);
        assert_eq!(sendsms.inputs[0].name, "mobile");
        let login_get = document.operation_by_id("loginGet").unwrap();
        assert_eq!(login_get.encodings(), vec![Encoding::Parameters]);
    }

    #[test]
    fn security_alternatives_become_token_inputs() {
        let document = Document::parse(
            r#"{"openapi":"3.0.0","paths":{"/me":{"get":{"operationId":"me",
                "security":[{"Bearer":[]},{"Legacy":[]},{}],"responses":{}}}},
                "components":{"securitySchemes":{"Bearer":{"type":"http","scheme":"bearer"},
                "Legacy":{"type":"apiKey","in":"query","name":"token"}}}}"#,
        )
        .unwrap();
        let me = document.operation_by_id("me").unwrap();
        assert!(me.inputs.is_empty());
        assert_eq!(me.security.len(), 3);
        assert_eq!(me.security[0][0].name, "Authorization");
        assert_eq!(me.security[0][0].credential, Some(Credential::Bearer));
        assert_eq!(me.security[1][0].name, "token");
        assert_eq!(me.security[1][0].location, Location::Query);
        assert!(me.security[2].is_empty());
    }
}
