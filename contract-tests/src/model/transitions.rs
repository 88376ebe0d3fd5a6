//! The steps a sequence is drawn from, given the model's state: those both
//! verification modes share, the original mode's (`transitions_off`), and
//! the model as a proptest state machine ([`AccountModel`]). Production's
//! steps are in `transitions_on`.

use std::{cell::Cell, sync::OnceLock};

use proptest::{prelude::*, sample::select};
use proptest_state_machine::ReferenceStateMachine;

use super::{
    args::{
        code_arg, device_arg, expect_arg, ignored_code_arg, name_arg, password_arg, peer_arg,
        phone_arg, token_via, via,
    },
    limits::PHONES,
    state::{Model, Setup},
    steps::{
        Arg, PhoneArg, SessionRef, Step, code_is_valid, device_is_valid, expect_value,
        name_is_valid, password_is_valid, reset_code_is_valid,
    },
    transitions_on::transitions_on,
};
use crate::Document;

/// How many fields of a step are malformed or missing (the model checks one at a time).
pub(super) fn bad_fields(step: &Step, verification: bool) -> usize {
    let phone = |p: &PhoneArg| usize::from(!matches!(p, PhoneArg::Pool(_)));
    let flag = |ok: bool| usize::from(!ok);
    match step {
        Step::SendSms {
            phone: p, expect, ..
        }
        | Step::IsRegister { phone: p, expect } => phone(p) + flag(expect_value(expect).is_some()),
        Step::Register {
            phone: p,
            name,
            password,
            device,
            code,
            ..
        } => {
            phone(p)
                + flag(name_is_valid(name))
                + flag(password_is_valid(password))
                + flag(device_is_valid(device))
                + flag(code_is_valid(code, verification))
        }
        Step::Login {
            phone: p,
            password,
            device,
            ..
        } => phone(p) + flag(password_is_valid(password)) + flag(device_is_valid(device)),
        Step::VerifyCode { phone: p, code, .. } => {
            phone(p) + flag(code_is_valid(code, verification))
        }
        Step::ForgetPassword {
            phone: p,
            password,
            code,
            ..
        } => {
            phone(p)
                + flag(password_is_valid(password))
                + flag(reset_code_is_valid(code, verification))
        }
        Step::Poll { code, .. } => flag(reset_code_is_valid(code, verification)),
        Step::Me { .. } | Step::Logout { .. } | Step::Resend { .. } | Step::Wait { .. } => 0,
    }
}

/// Whether the document has the session extensions (`/me`, `/logout`).
pub(super) fn has_sessions() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        let document = Document::committed();
        document.operation_by_id("me").is_some() && document.operation_by_id("logout").is_some()
    })
}

/// One of `phones`, or a pool phone when the list is empty.
pub(super) fn one_of(phones: &[usize]) -> BoxedStrategy<usize> {
    if phones.is_empty() {
        (0..PHONES).boxed()
    } else {
        select(phones.to_vec()).boxed()
    }
}

/// The steps both modes share: their weights differ.
pub(super) struct Shared {
    pub(super) account_phone: BoxedStrategy<PhoneArg>,
    pub(super) login: BoxedStrategy<Step>,
    pub(super) me: Option<BoxedStrategy<Step>>,
    pub(super) logout: Option<BoxedStrategy<Step>>,
}

/// Registered phones (and phones with failed logins) and the passwords come
/// up often, so that logins succeed, resets find accounts and lockouts are
/// reached.
pub(super) fn shared_steps(state: &Model) -> Shared {
    let registered: Vec<usize> = (0..PHONES)
        .filter(|&i| state.accounts[i].is_some())
        .collect();
    let failing: Vec<usize> = (0..PHONES)
        .filter(|&i| state.recent_failures(i) >= 2)
        .collect();
    let passwords: Vec<Arg> = state
        .accounts
        .iter()
        .flatten()
        .map(|a| Arg::Text(a.password.clone()))
        .collect();
    let account_phone = if registered.is_empty() {
        phone_arg()
    } else {
        prop_oneof![1 => select(registered).prop_map(PhoneArg::Pool), 1 => phone_arg()].boxed()
    };
    let login_phone = if failing.is_empty() {
        account_phone.clone()
    } else {
        prop_oneof![1 => select(failing).prop_map(PhoneArg::Pool), 2 => account_phone.clone()]
            .boxed()
    };
    let login_password = if passwords.is_empty() {
        password_arg()
    } else {
        prop_oneof![1 => select(passwords), 1 => password_arg()].boxed()
    };
    let sessions = state.sessions.len();
    let session = move || -> BoxedStrategy<SessionRef> {
        if sessions == 0 {
            prop_oneof![Just(SessionRef::Unknown), Just(SessionRef::Missing)].boxed()
        } else {
            prop_oneof![
                8 => (0..sessions).prop_map(SessionRef::Issued),
                1 => Just(SessionRef::Unknown),
                1 => Just(SessionRef::Missing),
            ]
            .boxed()
        }
    };
    let login = (login_phone, login_password, device_arg(), via())
        .prop_map(|(phone, password, device, via)| Step::Login {
            phone,
            password,
            device,
            via,
        })
        .boxed();
    let (me, logout) = if has_sessions() {
        (
            Some(
                (session(), token_via())
                    .prop_map(|(session, via)| Step::Me { session, via })
                    .boxed(),
            ),
            Some(
                (session(), token_via())
                    .prop_map(|(session, via)| Step::Logout { session, via })
                    .boxed(),
            ),
        )
    } else {
        (None, None)
    };
    Shared {
        account_phone,
        login,
        me,
        logout,
    }
}

/// Verification off: the original document's mode.
pub(super) fn transitions_off(state: &Model) -> BoxedStrategy<Step> {
    let shared = shared_steps(state);
    let mut steps: Vec<(u32, BoxedStrategy<Step>)> = vec![
        (
            2,
            (phone_arg(), expect_arg(), via())
                .prop_map(|(phone, expect, via)| Step::SendSms { phone, expect, via })
                .boxed(),
        ),
        (
            2,
            (phone_arg(), expect_arg())
                .prop_map(|(phone, expect)| Step::IsRegister { phone, expect })
                .boxed(),
        ),
        (
            3,
            (
                phone_arg(),
                name_arg(),
                password_arg(),
                device_arg(),
                code_arg(),
                via(),
            )
                .prop_map(
                    |(phone, name, password, device, code, via)| Step::Register {
                        phone,
                        name,
                        password,
                        device,
                        code,
                        via,
                    },
                )
                .boxed(),
        ),
        (6, shared.login),
        (
            1,
            (phone_arg(), code_arg(), peer_arg(0.3))
                .prop_map(|(phone, code, peer)| Step::VerifyCode { phone, code, peer })
                .boxed(),
        ),
        (
            2,
            (
                shared.account_phone,
                password_arg(),
                ignored_code_arg(),
                via(),
                peer_arg(0.3),
            )
                .prop_map(|(phone, password, code, via, peer)| Step::ForgetPassword {
                    phone,
                    password,
                    code,
                    via,
                    peer,
                })
                .boxed(),
        ),
    ];
    if let (Some(me), Some(logout)) = (shared.me, shared.logout) {
        steps.push((2, me));
        steps.push((1, logout));
    }
    proptest::strategy::Union::new_weighted(steps)
        .prop_filter("one bad field at a time", |step| {
            bad_fields(step, false) <= 1
        })
        .boxed()
}

thread_local! {
    /// The deployment the sequences of this thread are drawn for (set by
    /// [`AccountModel::strategy`]: proptest's `init_state` takes no argument).
    static SETUP: Cell<Setup> = Cell::new(Setup::default());
}

/// The model as a proptest state machine.
pub(super) struct AccountModel;

impl AccountModel {
    /// Sequences of `lengths` steps for a deployment as `setup` describes it.
    pub(super) fn strategy(
        setup: Setup,
        lengths: std::ops::RangeInclusive<usize>,
    ) -> impl Strategy<
        Value = (
            Model,
            Vec<Step>,
            Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
        ),
    > {
        SETUP.with(|slot| slot.set(setup));
        Self::sequential_strategy(lengths)
    }
}

impl ReferenceStateMachine for AccountModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::new(SETUP.with(Cell::get))).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let steps = if state.verification {
            transitions_on(state)
        } else {
            transitions_off(state)
        };
        if state.setup.second_address {
            steps
        } else {
            steps.prop_map(Step::on_first_address).boxed()
        }
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        match step {
            Step::Me {
                session: SessionRef::Issued(k),
                ..
            }
            | Step::Logout {
                session: SessionRef::Issued(k),
                ..
            } => *k < state.sessions.len(),
            Step::Wait { .. } | Step::Resend { .. } | Step::Poll { .. } => {
                state.verification && state.setup.clocked
            }
            _ => true,
        }
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.expected = Some(state.predict(step));
        state
    }
}
