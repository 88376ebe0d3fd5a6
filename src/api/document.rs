//! What the OpenAPI document says beside the operations themselves: where
//! they live ([`BASE_PATH`]), the groups they are listed under
//! ([`ApiTags`]), and the GET operations' query parameters, taken from their
//! request objects ([`QueryParameters`]): one parameter per field, with the
//! field's doc, so a GET and its POST twin document their fields from one
//! declaration. And what poem-openapi cannot say, added to the JSON it
//! generates ([`with_account_events`]): the account events webhook
//! endpoints receive, a schema per event type in `components` and their
//! requests in `x-webhooks` (poem-openapi writes OpenAPI 3.0.0, which has
//! no `webhooks` section).

use std::collections::HashMap;

use poem::{endpoint::BoxEndpoint, http::Method};
use poem_openapi::{
    OpenApi, Tags,
    registry::{MetaApi, MetaOperationParam, MetaParamIn, MetaSchemaRef, Registry},
};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::domain::account_event::{EVENT_KINDS, EventKind};

/// Where the documented account operations live.
pub const BASE_PATH: &str = "/api/v4.0";

/// The groups operations are listed under.
#[derive(Tags)]
pub enum ApiTags {
    /// 账号接口 v4.0, 与原文档一致 (the account operations of the original v4.0 document)
    Account,
    /// 扩展接口, 原文档没有 (extensions beyond the original document: sessions)
    #[oai(rename = "extensions")]
    Extensions,
    /// 运维接口 (operations: liveness and health)
    Operations,
}

/// Declares a list of operation structs once: the tuple type of them
/// (`$list`) and the function that makes its value (`$make`).
macro_rules! operation_list {
    ($(#[$doc:meta])* $list:ident, $make:ident = ($($api:path),+ $(,)?)) => {
        $(#[$doc])*
        pub type $list = ($($api,)+);

        /// The value of the operation list.
        pub fn $make() -> $list {
            ($($api,)+)
        }
    };
}
pub(crate) use operation_list;

/// The API `A`, with every [`QueryFields`](super::request_fields::QueryFields)
/// stand-in parameter spread into the fields of its object.
pub struct QueryParameters<A>(pub A);

impl<A: OpenApi> OpenApi for QueryParameters<A> {
    fn meta() -> Vec<MetaApi> {
        let mut apis = A::meta();
        for path in apis.iter_mut().flat_map(|api| api.paths.iter_mut()) {
            for operation in &mut path.operations {
                operation.params = std::mem::take(&mut operation.params)
                    .into_iter()
                    .flat_map(spread)
                    .collect();
            }
        }
        apis
    }

    fn register(registry: &mut Registry) {
        A::register(registry);
    }

    fn add_routes(self, route_table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(route_table);
    }
}

/// `param` itself, or, when it is a query parameter whose schema is an
/// object, one query parameter per property of that object.
fn spread(param: MetaOperationParam) -> Vec<MetaOperationParam> {
    let MetaSchemaRef::Inline(schema) = &param.schema else {
        return vec![param];
    };
    if param.in_type != MetaParamIn::Query || schema.ty != "object" {
        return vec![param];
    }
    schema
        .properties
        .iter()
        .map(|(name, property)| {
            let description = match property {
                MetaSchemaRef::Inline(property) => property.description.map(str::to_owned),
                MetaSchemaRef::Reference(_) => None,
            };
            MetaOperationParam {
                name: (*name).to_owned(),
                schema: property.clone(),
                in_type: MetaParamIn::Query,
                description,
                required: schema.required.contains(name),
                deprecated: false,
                explode: true,
                style: None,
            }
        })
        .collect()
}

/// The event types' schemas and requests, added to the generated document
/// `spec` (pretty JSON, as poem-openapi writes it): for each type of
/// [`EVENT_KINDS`], its `data` schema (named after its struct), its
/// payload's (`…Event`: `type`, `timestamp`, `data`) and its request in
/// `x-webhooks`, keyed by its `type`. The operations are untouched.
pub fn with_account_events(spec: &str) -> String {
    let mut document: Value = serde_json::from_str(spec).expect("poem-openapi writes JSON");
    let mut generator = SchemaSettings::openapi3().into_generator();
    let mut events = Vec::new();
    for kind in EVENT_KINDS {
        let reference = (kind.schema)(&mut generator);
        let data = reference
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .expect("an event's data is a struct, referenced")
            .to_owned();
        events.push((kind, data));
    }
    let schemas = document["components"]["schemas"]
        .as_object_mut()
        .expect("the document has component schemas");
    for (name, schema) in generator.take_definitions(true) {
        assert!(
            !schemas.contains_key(&name),
            "an event's schema {name} is named like one of the API's"
        );
        schemas.insert(name, schema);
    }
    let mut webhooks = Map::new();
    for (kind, data) in &events {
        let event = format!("{data}Event");
        schemas.insert(
            event.clone(),
            json!({
                "type": "object",
                "description": format!("`{}`: {}", kind.event_type, kind.summary),
                "required": ["type", "timestamp", "data"],
                "properties": {
                    "type": {
                        "type": "string",
                        "enum": [kind.event_type],
                        "description": "The event's type."
                    },
                    "timestamp": {
                        "type": "string",
                        "format": "date-time",
                        "description": "When it happened (UTC, RFC 3339, milliseconds)."
                    },
                    "data": {"$ref": format!("#/components/schemas/{data}")}
                }
            }),
        );
        webhooks.insert(kind.event_type.to_owned(), webhook_request(kind, &event));
    }
    document["x-webhooks"] = Value::Object(webhooks);
    serde_json::to_string_pretty(&document).expect("a document serializes")
}

/// The request an endpoint receives for events of `kind`.
fn webhook_request(kind: &EventKind, schema: &str) -> Value {
    let header = |name: &str, description: &str| {
        json!({
            "name": name,
            "in": "header",
            "required": true,
            "description": description,
            "schema": {"type": "string"}
        })
    };
    json!({
        "post": {
            "summary": kind.summary,
            "description": format!(
                "`{}`, POSTed to each `[[webhooks]]` endpoint that subscribes to it, \
                 signed per Standard Webhooks (https://www.standardwebhooks.com/): verify \
                 the headers with any Standard Webhooks library and the endpoint's \
                 `whsec_` secret. Delivered at least once (deduplicate on `webhook-id`), \
                 in order per account and endpoint, only after the change it describes \
                 committed.",
                kind.event_type
            ),
            "parameters": [
                header("webhook-id", "The event's id (`msg_…`), the same on every retry."),
                header("webhook-timestamp", "When this attempt was signed (Unix seconds)."),
                header(
                    "webhook-signature",
                    "`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the \
                     secret's key; several, space-separated, while a secret is rotated."
                ),
            ],
            "requestBody": {
                "required": true,
                "content": {
                    "application/json": {
                        "schema": {"$ref": format!("#/components/schemas/{schema}")}
                    }
                }
            },
            "responses": {
                "200": {
                    "description": "Accepted: any 2xx. A 429, a 5xx, a timeout (10 s) or \
                                    no connection is retried on the endpoint's \
                                    `retry_schedule_secs`, then dead-lettered; any other \
                                    status is final (dead at once)."
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_has_its_request_and_schemas_and_the_rest_is_untouched() {
        let spec = crate::api::api_service().spec();
        let plain: Value = serde_json::from_str(&spec).unwrap();
        let with: Value = serde_json::from_str(&with_account_events(&spec)).unwrap();
        assert_eq!(with["paths"], plain["paths"]);
        assert_eq!(with["info"], plain["info"]);
        let schemas = with["components"]["schemas"].as_object().unwrap();
        for (name, schema) in plain["components"]["schemas"].as_object().unwrap() {
            assert_eq!(&schemas[name], schema, "{name} changed");
        }
        let webhooks = with["x-webhooks"].as_object().unwrap();
        let types: Vec<&str> = webhooks.keys().map(String::as_str).collect();
        let kinds: Vec<&str> = EVENT_KINDS.iter().map(|k| k.event_type).collect();
        assert_eq!(types, kinds);
        for (event_type, request) in webhooks {
            let reference = request["post"]["requestBody"]["content"]["application/json"]["schema"]
                ["$ref"]
                .as_str()
                .unwrap();
            let name = reference.rsplit('/').next().unwrap();
            let event = &schemas[name];
            assert_eq!(event["properties"]["type"]["enum"], json!([event_type]));
            let data = event["properties"]["data"]["$ref"].as_str().unwrap();
            assert!(
                schemas.contains_key(data.rsplit('/').next().unwrap()),
                "{data}"
            );
        }
    }
}
