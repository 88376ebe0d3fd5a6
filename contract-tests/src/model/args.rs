//! Strategies for the arguments of steps: mostly good values, sometimes a
//! malformed one or none, and which code a step sends.

use proptest::{prelude::*, sample::select};

use super::{
    limits::PHONES,
    steps::{Arg, CodeArg, Peer, PhoneArg, TokenVia, Via},
};

pub(super) fn texts(values: &[&str]) -> BoxedStrategy<Arg> {
    let values: Vec<Arg> = values.iter().map(|v| Arg::Text((*v).to_owned())).collect();
    select(values).boxed()
}

/// Mostly good values, sometimes a bad one (or none).
pub(super) fn arg(good: BoxedStrategy<Arg>, bad: BoxedStrategy<Arg>) -> BoxedStrategy<Arg> {
    prop_oneof![6 => good, 1 => bad].boxed()
}

/// One of the malformed `values`, or the field left out, alike.
fn malformed_or_absent(values: &[&str]) -> BoxedStrategy<Arg> {
    prop_oneof![texts(values), Just(Arg::Absent)].boxed()
}

pub(super) fn phone_arg() -> BoxedStrategy<PhoneArg> {
    let malformed = select(vec![
        "",
        "1312693991",
        "131269399160",
        "23126939916",
        "1312693991a",
        "１3126939916",
        "+8613126939916",
        " 13126939916",
    ])
    .prop_map(|t| PhoneArg::Malformed(t.to_owned()));
    prop_oneof![
        12 => (0..PHONES).prop_map(PhoneArg::Pool),
        1 => malformed,
        1 => Just(PhoneArg::Absent),
    ]
    .boxed()
}

pub(super) fn name_arg() -> BoxedStrategy<Arg> {
    let long_ok = "名".repeat(32);
    let too_long = "名".repeat(33);
    arg(
        texts(&[
            "于连林",
            "  Alice Smith  ",
            "😀",
            "\u{3000}名\u{3000}",
            &long_ok,
        ]),
        malformed_or_absent(&["", "   ", &too_long]),
    )
}

/// Three good passwords, so logins often match and sometimes do not.
pub(super) fn password_arg() -> BoxedStrategy<Arg> {
    arg(
        texts(&["123456", "密码密码密码", "abcdefghijklmn"]),
        malformed_or_absent(&["12345", "密码密码密码密码密码密码密码密", ""]),
    )
}

pub(super) fn device_arg() -> BoxedStrategy<Arg> {
    arg(
        texts(&["uuid", "iphone-15", "设备一"]),
        malformed_or_absent(&["", &"x".repeat(129)]),
    )
}

pub(super) fn expect_arg() -> BoxedStrategy<Arg> {
    arg(
        prop_oneof![texts(&["0", "1"]), Just(Arg::Absent)].boxed(),
        texts(&["2", "-1", "abc", "", "1.0", "１"]),
    )
}

/// Verification off: the original example's `xxx`, six digits, or none.
pub(super) fn code_arg() -> BoxedStrategy<CodeArg> {
    prop_oneof![
        select(vec!["xxx", "123456"]).prop_map(|t| CodeArg::Text(t.to_owned())),
        Just(CodeArg::Absent),
    ]
    .boxed()
}

/// Verification on: which code, by weight (right, wrong, the previous, the
/// other purpose's), and now and then none or a malformed one (400).
pub(super) fn verifying_code_arg(
    right: u32,
    wrong: u32,
    previous: u32,
    other: u32,
) -> BoxedStrategy<CodeArg> {
    let malformed = prop_oneof![
        select(vec![
            "xxx",
            "12345",
            "1234567",
            "１２３４５６",
            "12345a",
            " 123456",
            ""
        ])
        .prop_map(|t| CodeArg::Text(t.to_owned())),
        Just(CodeArg::Absent),
    ];
    let mut choices: Vec<(u32, BoxedStrategy<CodeArg>)> = vec![
        (right, Just(CodeArg::Right).boxed()),
        (wrong, Just(CodeArg::Wrong).boxed()),
        (previous, Just(CodeArg::Previous).boxed()),
        (other, Just(CodeArg::OtherPurpose).boxed()),
        (1, malformed.boxed()),
    ];
    choices.retain(|(weight, _)| *weight > 0);
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// forget_password's optional code with verification on, by weight: none,
/// the code that opened the window, six wrong digits, or a malformed one (400).
pub(super) fn reset_code_arg(
    absent: u32,
    right: u32,
    wrong: u32,
    malformed: u32,
) -> BoxedStrategy<CodeArg> {
    let malformed_code = select(vec![
        "xxx",
        "12345",
        "1234567",
        "１２３４５６",
        "12ab",
        " 123456",
        "",
    ])
    .prop_map(|t| CodeArg::Text(t.to_owned()));
    let mut choices: Vec<(u32, BoxedStrategy<CodeArg>)> = vec![
        (absent, Just(CodeArg::Absent).boxed()),
        (right, Just(CodeArg::Right).boxed()),
        (wrong, Just(CodeArg::Wrong).boxed()),
        (malformed, malformed_code.boxed()),
    ];
    choices.retain(|(weight, _)| *weight > 0);
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// Verification off: forget_password's code is ignored whatever it is.
pub(super) fn ignored_code_arg() -> BoxedStrategy<CodeArg> {
    prop_oneof![
        3 => Just(CodeArg::Absent),
        1 => select(vec!["xxx", "123456", "12ab", "", "１２３４５６"])
            .prop_map(|t| CodeArg::Text(t.to_owned())),
        1 => Just(CodeArg::Right),
    ]
    .boxed()
}

/// The second client address with probability `second`, else the first.
pub(super) fn peer_arg(second: f64) -> BoxedStrategy<Peer> {
    prop::bool::weighted(second)
        .prop_map(|second| if second { Peer::Second } else { Peer::First })
        .boxed()
}

pub(super) fn via() -> BoxedStrategy<Via> {
    select(vec![Via::Get, Via::Form, Via::Json, Via::Query]).boxed()
}

pub(super) fn token_via() -> BoxedStrategy<TokenVia> {
    select(vec![TokenVia::Bearer, TokenVia::Header, TokenVia::Query]).boxed()
}
