//! Calls from web pages on other origins (CORS), for the origins the
//! settings allow: preflights answered, `Retry-After` and `X-Request-Id`
//! exposed. poem's `Cors` does the work; a request from an origin not
//! allowed goes on without CORS headers, so the browser refuses it while
//! clients that are not browsers are answered as ever.

use std::sync::Arc;

use poem::{
    Endpoint, EndpointExt, Request,
    http::{Method, header},
    middleware::Cors,
};

use crate::settings::AllowedOrigins;

/// `endpoint` answering the CORS requests of `origins`.
pub fn with_cors<E: Endpoint + 'static>(endpoint: E, origins: AllowedOrigins) -> impl Endpoint {
    let origins = Arc::new(origins);
    let allowed = Arc::clone(&origins);
    let inner = Arc::new(endpoint.map_to_response());
    let cors = Arc::new(
        Arc::clone(&inner).with(
            Cors::new()
                .allow_origins_fn(move |origin| allowed.allows(origin))
                .allow_methods([Method::GET, Method::POST])
                .expose_headers([header::RETRY_AFTER.as_str(), "x-request-id"])
                .max_age(600),
        ),
    );
    poem::endpoint::make(move |request: Request| {
        let (cors, inner, origins) = (Arc::clone(&cors), Arc::clone(&inner), Arc::clone(&origins));
        async move {
            let allowed = request
                .headers()
                .get(header::ORIGIN)
                .and_then(|origin| origin.to_str().ok())
                .is_some_and(|origin| origins.allows(origin));
            if allowed {
                cors.get_response(request).await
            } else {
                // Not a CORS request we take part in: answered as any other,
                // without CORS headers, so a browser keeps the page out.
                inner.get_response(request).await
            }
        }
    })
}
