//! One case: a generated request rendered (a live token minted when it asks
//! for one), sent, and its answer checked.

use serde_json::Value;

use super::setup::Checker;
use crate::{
    check::Violation,
    document::Target,
    http::{HttpRequest, HttpResponse},
    inputs::{GeneratedRequest, LIVE_TOKEN, render},
};

impl Checker {
    /// Renders, sends and checks one generated request.
    pub(super) fn exchange(
        &self,
        target: &Target,
        generated: &GeneratedRequest,
    ) -> (HttpRequest, Result<HttpResponse, String>, Vec<Violation>) {
        let live = generated
            .fields
            .iter()
            .any(|f| f.value.as_str().is_some_and(|v| v.contains(LIVE_TOKEN)));
        let minted;
        let generated = if live {
            let token = self
                .mint_token()
                .unwrap_or_else(|| "00000000000000000000000000000000".to_owned());
            let mut copy = generated.clone();
            for field in &mut copy.fields {
                if let Some(text) = field.value.as_str().filter(|v| v.contains(LIVE_TOKEN)) {
                    field.value = Value::String(text.replace(LIVE_TOKEN, &token));
                }
            }
            minted = copy;
            &minted
        } else {
            generated
        };
        let request = render(target, &self.contract.document.server_prefix(), generated);
        let response = self.client.send(&request);
        let violations = self.contract.check(&target.operation, &response);
        (request, response, violations)
    }
}
