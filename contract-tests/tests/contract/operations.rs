//! Every operation and encoding of the committed document against the server.

use std::path::Path;

use contract_tests::{Checker, Contract, RunConfig, report};

use crate::server::TestServer;

#[test]
fn every_answer_to_every_operation_and_encoding_keeps_the_documents_promises() {
    let server = TestServer::start();
    let checker =
        Checker::new(Contract::committed(), &server.base_url).expect("the checker starts");
    assert!(checker.notes.is_empty(), "{:?}", checker.notes);
    let config = RunConfig {
        regressions: Some(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("proptest-regressions/operations"),
        ),
        ..RunConfig::default()
    };
    let reports = checker.run(&config);
    for report in &reports {
        println!("{}", report::summary_line(report));
    }
    println!("{}", report::totals(&reports));

    // Coverage: every operation of the document, POSTs as form, JSON and query string.
    let operations = checker.contract.document.operations();
    for operation in &operations {
        for encoding in operation.encodings() {
            assert!(
                reports.iter().any(
                    |r| r.target.operation.operation_id == operation.operation_id
                        && r.target.encoding == encoding
                        && r.cases >= config.cases
                ),
                "{} {} was not checked",
                operation.operation_id,
                encoding.label()
            );
        }
    }

    let details: String = reports.iter().map(report::details).collect();
    assert!(
        reports.iter().all(|r| r.failures.is_empty()),
        "the server broke the document's promises:\n{details}\n{}",
        report::totals(&reports)
    );
}
