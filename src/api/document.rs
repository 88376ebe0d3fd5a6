//! What the OpenAPI document says beside the operations themselves: where
//! they live ([`BASE_PATH`]), the groups they are listed under
//! ([`ApiTags`]), and the GET operations' query parameters, taken from their
//! request objects ([`QueryParameters`]): one parameter per field, with the
//! field's doc, so a GET and its POST twin document their fields from one
//! declaration.

use std::collections::HashMap;

use poem::{endpoint::BoxEndpoint, http::Method};
use poem_openapi::{
    OpenApi, Tags,
    registry::{MetaApi, MetaOperationParam, MetaParamIn, MetaSchemaRef, Registry},
};

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
