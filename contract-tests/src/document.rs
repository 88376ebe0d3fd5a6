//! The OpenAPI document and what it declares: operations, their inputs and
//! their answers. Everything the checker sends or expects is read from here.

use std::fmt;

use serde_json::Value;

/// The committed document, as text (embedded at build time).
pub const COMMITTED_DOCUMENT: &str = include_str!("../../openapi/openapi.json");

/// The HTTP methods an OpenAPI path item may hold, in the order they are listed.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Why a document cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError(pub String);

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DocumentError {}

/// An OpenAPI 3.0 document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The parsed JSON.
    pub json: Value,
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// A `{name}` segment of the path.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A form or JSON body field.
    Body,
}

/// One input of an operation: a parameter, a body field or a credential.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Its name (the header or parameter name for credentials).
    pub name: String,
    /// Where it travels.
    pub location: Location,
    /// Whether the document requires it.
    pub required: bool,
    /// Its schema, `$ref`s at the top resolved.
    pub schema: Value,
    /// For a credential (security scheme), how it carries its token.
    pub credential: Option<Credential>,
}

/// How a security scheme carries its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// The token as it is, in the named header or query parameter.
    ApiKey,
}

/// How a request carries its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    /// Parameters only (path, query, headers), no body.
    Parameters,
    /// An `application/x-www-form-urlencoded` body.
    Form,
    /// An `application/json` body.
    Json,
    /// No body at all, the body fields in the query string (the contract
    /// reads them there when a POST's body is empty).
    EmptyBodyQuery,
}

impl Encoding {
    /// A short name for reports and file names.
    pub fn label(self) -> &'static str {
        match self {
            Self::Parameters => "params",
            Self::Form => "form",
            Self::Json => "json",
            Self::EmptyBodyQuery => "query",
        }
    }
}

/// One operation of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Lowercase HTTP method.
    pub method: String,
    /// Path template, e.g. `/api/v4.0/sendsms/{mobile}`.
    pub path: String,
    /// The operation's `operationId`.
    pub operation_id: String,
    /// Parameters, then body fields.
    pub inputs: Vec<Input>,
    /// The ways to authenticate, one of which a request uses: each the
    /// credentials it needs (empty for "anonymous allowed"). Empty when the
    /// operation has no security requirement.
    pub security: Vec<Vec<Input>>,
    /// The media types of the request body, when there is one.
    pub body_media_types: Vec<String>,
    /// Whether the request body is required.
    pub body_required: bool,
}

impl Operation {
    /// The body encodings to try, or [`Encoding::Parameters`] when there is no body.
    pub fn encodings(&self) -> Vec<Encoding> {
        if self.body_media_types.is_empty() {
            return vec![Encoding::Parameters];
        }
        let mut encodings = Vec::new();
        for media_type in &self.body_media_types {
            let essence = media_type_essence(media_type);
            if essence == "application/x-www-form-urlencoded" {
                encodings.push(Encoding::Form);
            } else if essence == "application/json" {
                encodings.push(Encoding::Json);
            }
        }
        if self.inputs.iter().any(|i| i.location == Location::Body) {
            encodings.push(Encoding::EmptyBodyQuery);
        }
        encodings.sort();
        encodings.dedup();
        encodings
    }

    /// `METHOD /path`.
    pub fn title(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

/// One operation sent one way: the unit the checker reports on.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The operation.
    pub operation: Operation,
    /// How its fields travel.
    pub encoding: Encoding,
}

impl Target {
    /// `operationId/encoding`, unique in a document.
    pub fn id(&self) -> String {
        format!("{}.{}", self.operation.operation_id, self.encoding.label())
    }
}

impl Document {
    /// Parses `text` and checks it is an OpenAPI 3.0 document with paths.
    pub fn parse(text: &str) -> Result<Self, DocumentError> {
        let json: Value =
            serde_json::from_str(text).map_err(|err| DocumentError(format!("not JSON: {err}")))?;
        let version = json["openapi"].as_str().unwrap_or_default();
        if !version.starts_with("3.0.") {
            return Err(DocumentError(format!("not OpenAPI 3.0: {version:?}")));
        }
        if !json["paths"].is_object() {
            return Err(DocumentError("no paths".to_owned()));
        }
        Ok(Self { json })
    }

    /// The committed `openapi/openapi.json`.
    pub fn committed() -> Self {
        Self::parse(COMMITTED_DOCUMENT).expect("the committed document is valid")
    }

    /// The value a local `$ref` such as `#/components/schemas/X` points to.
    pub fn pointer(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        self.json.pointer(pointer)
    }

    /// `value` with any chain of `$ref`s at its top followed.
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => match self.pointer(reference) {
                    Some(target) => value = target,
                    None => return value,
                },
                None => return value,
            }
        }
        value
    }

    /// The path prefix of the first server, when it is a relative URL such as `/api`.
    pub fn server_prefix(&self) -> String {
        let url = self.json["servers"][0]["url"].as_str().unwrap_or_default();
        if url.starts_with('/') {
            url.trim_end_matches('/').to_owned()
        } else {
            String::new()
        }
    }

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

/// `application/json` of `application/json; charset=utf-8`, lowercased.
pub fn media_type_essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_that_are_not_openapi_3_0_are_refused() {
        assert!(Document::parse("{").is_err());
        assert!(Document::parse(r#"{"openapi":"3.1.0","paths":{}}"#).is_err());
        assert!(Document::parse(r#"{"openapi":"3.0.0"}"#).is_err());
        assert!(Document::parse(r#"{"openapi":"3.0.0","paths":{}}"#).is_ok());
    }

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
