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
    steps::{Arg, CodeArg, Peer, PhoneArg, SessionRef, Step},
    transitions_on::transitions_on,
};
use crate::Document;

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
    /// `/me` and `/logout`, where the document has them.
    pub(super) sessions: Option<(BoxedStrategy<Step>, BoxedStrategy<Step>)>,
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
    let sessions = has_sessions().then(|| {
        (
            (session(), token_via())
                .prop_map(|(session, via)| Step::Me { session, via })
                .boxed(),
            (session(), token_via())
                .prop_map(|(session, via)| Step::Logout { session, via })
                .boxed(),
        )
    });
    Shared {
        account_phone,
        login,
        sessions,
    }
}

/// sendsms of any phone, expect and encoding.
pub(super) fn any_send_sms() -> BoxedStrategy<Step> {
    (phone_arg(), expect_arg(), via())
        .prop_map(|(phone, expect, via)| Step::SendSms { phone, expect, via })
        .boxed()
}

/// isregister of any phone and expect.
pub(super) fn any_is_register() -> BoxedStrategy<Step> {
    (phone_arg(), expect_arg())
        .prop_map(|(phone, expect)| Step::IsRegister { phone, expect })
        .boxed()
}

/// register of `phone` with `code`, any name, password, device and encoding.
pub(super) fn register(
    phone: BoxedStrategy<PhoneArg>,
    code: BoxedStrategy<CodeArg>,
) -> BoxedStrategy<Step> {
    (phone, name_arg(), password_arg(), device_arg(), code, via())
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
        .boxed()
}

/// verify_code of `phone` with `code`, from the second address with probability `second`.
pub(super) fn verify(
    phone: BoxedStrategy<PhoneArg>,
    code: BoxedStrategy<CodeArg>,
    second: f64,
) -> BoxedStrategy<Step> {
    (phone, code, peer_arg(second))
        .prop_map(|(phone, code, peer)| Step::VerifyCode { phone, code, peer })
        .boxed()
}

/// forget_password of `phone` with `code` from `peer`, any password and encoding.
pub(super) fn forget(
    phone: BoxedStrategy<PhoneArg>,
    code: BoxedStrategy<CodeArg>,
    peer: BoxedStrategy<Peer>,
) -> BoxedStrategy<Step> {
    (phone, password_arg(), code, via(), peer)
        .prop_map(|(phone, password, code, via, peer)| Step::ForgetPassword {
            phone,
            password,
            code,
            via,
            peer,
        })
        .boxed()
}

/// One of `steps` by weight, or of `sessions` (`/me` 2, `/logout` 1), with
/// at most one bad field (the model checks one at a time).
pub(super) fn draw(
    mut steps: Vec<(u32, BoxedStrategy<Step>)>,
    sessions: Option<(BoxedStrategy<Step>, BoxedStrategy<Step>)>,
    verification: bool,
) -> BoxedStrategy<Step> {
    if let Some((me, logout)) = sessions {
        steps.push((2, me));
        steps.push((1, logout));
    }
    proptest::strategy::Union::new_weighted(steps)
        .prop_filter("one bad field at a time", move |step| {
            step.bad_fields(verification).len() <= 1
        })
        .boxed()
}

/// Verification off: the original document's mode.
pub(super) fn transitions_off(state: &Model) -> BoxedStrategy<Step> {
    let shared = shared_steps(state);
    let steps = vec![
        (2, any_send_sms()),
        (2, any_is_register()),
        (3, register(phone_arg(), code_arg())),
        (6, shared.login),
        (1, verify(phone_arg(), code_arg(), 0.3)),
        (
            2,
            forget(shared.account_phone, ignored_code_arg(), peer_arg(0.3)),
        ),
    ];
    draw(steps, shared.sessions, false)
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
