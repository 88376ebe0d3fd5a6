//! What an operation is made of: its inputs, their locations and
//! credentials, and the encodings a request may use.

use serde_json::Value;

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

/// `application/json` of `application/json; charset=utf-8`, lowercased.
pub fn media_type_essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}
