//! Production's steps (verification on): besides the random steps of
//! every operation, steps aimed at the flows, the limits and the edges of
//! every window.

use proptest::{prelude::*, sample::select};

use super::{
    args::{
        device_arg, name_arg, password_arg, peer_arg, phone_arg, reset_code_arg,
        verifying_code_arg, via,
    },
    limits::{CODE_LIFETIME, DAY, MINUTE, Ms, PHONES, POLL_PASSWORD, RESET, SIGN_UP},
    state::{Model, Window},
    steps::{Arg, CodeArg, Peer, PhoneArg, Step, Via, retry_seconds},
    transitions::{
        any_is_register, any_send_sms, draw, forget, one_of, register, shared_steps, verify,
    },
};

/// Verification on. Besides the random steps of every operation, steps aimed
/// at the flows: codes go mostly to phones in the state that fits (sign-up
/// codes to free phones, reset codes to registered ones); phones with a
/// sign-up code register, phones with a reset code verify it, and phones
/// with an open window reset their password; a phone with wrong tries gets
/// more of them (5 kill the code); time passes.
pub(super) fn transitions_on(state: &Model) -> BoxedStrategy<Step> {
    let shared = shared_steps(state);
    let limits = state.setup.limits;
    let max_tries = limits.code_max_tries;
    let lockout = limits.login_lockout_minutes.saturating_mul(60);
    let registered: [bool; PHONES] = std::array::from_fn(|i| state.accounts[i].is_some());
    let phones =
        |keep: &dyn Fn(usize) -> bool| -> Vec<usize> { (0..PHONES).filter(|&i| keep(i)).collect() };
    let signing_up = phones(&|i| !registered[i] && state.codes[i][SIGN_UP].sent > 0);
    let resetting = phones(&|i| registered[i] && state.codes[i][RESET].sent > 0);
    // Phones whose unexpired code (for the purpose that fits them) took
    // wrong tries: more guesses, towards the fifth that kills it; and once
    // dead, the right code, which must be refused.
    let fresh_tries: [u32; PHONES] = std::array::from_fn(|i| {
        let code = &state.codes[i][usize::from(registered[i])];
        let fresh = code
            .sent_at
            .is_some_and(|at| at + CODE_LIFETIME > state.now && !code.used);
        if fresh { code.wrong_tries } else { 0 }
    });
    let guessing = phones(&|i| fresh_tries[i] > 0);
    let dying = (0..PHONES).any(|i| (1..max_tries).contains(&fresh_tries[i]));
    let with_window = phones(&|i| state.codes[i][RESET].window != Window::Never);
    let registered_phones = phones(&|i| registered[i]);
    // Open windows and the address that owns each.
    let open_windows: Vec<(usize, Peer)> = (0..PHONES)
        .filter_map(|i| match state.codes[i][RESET].window {
            Window::Open(end, owner) if end > state.now => Some((i, owner)),
            _ => None,
        })
        .collect();
    // Registered phones with unverified resets this hour: more of them.
    let polled = phones(&|i| registered[i] && state.recent_reset_attempts(i) > 0);
    let near_reset_limit = (0..PHONES)
        .any(|i| (3..limits.max_unverified_resets()).contains(&state.recent_reset_attempts(i)));
    // Phones sent several codes today: more sends, towards the hour and day limits.
    let busy = phones(&|i| {
        state.sends[i]
            .iter()
            .filter(|&&t| t > state.now - DAY)
            .count()
            >= 3
    });
    let minute_blocked =
        (0..PHONES).any(|i| state.sends[i].iter().any(|&t| t > state.now - MINUTE));
    let failing = phones(&|i| state.recent_failures(i) >= 1);
    let near_lockout =
        (0..PHONES).any(|i| (2..limits.max_login_failures()).contains(&state.recent_failures(i)));
    // Each phone's next step along sign-up, then password reset: send the
    // code that fits, use it, reset the password while the window is open,
    // and wait out the minute between sends. A code that died is resent:
    // refused (429) while it stays dead, a fresh code once its lockout ended.
    let flow: Vec<Step> = (0..PHONES)
        .map(|i| {
            let purpose = usize::from(registered[i]);
            let code = &state.codes[i][purpose];
            let fresh = code
                .sent_at
                .is_some_and(|at| at + CODE_LIFETIME > state.now)
                && !code.used;
            let use_it =
                fresh && (code.wrong_tries < max_tries || code.inherited_tries >= max_tries);
            let text = |t: &str| Arg::Text(t.to_owned());
            match state.codes[i][RESET].window {
                Window::Open(end, owner) if end > state.now => {
                    return Step::ForgetPassword {
                        phone: PhoneArg::Pool(i),
                        password: text("密码密码密码"),
                        code: CodeArg::Absent,
                        via: Via::Form,
                        peer: owner,
                    };
                }
                _ => {}
            }
            if use_it && registered[i] {
                Step::VerifyCode {
                    phone: PhoneArg::Pool(i),
                    code: CodeArg::Right,
                    peer: Peer::First,
                }
            } else if use_it {
                Step::Register {
                    phone: PhoneArg::Pool(i),
                    name: text("于连林"),
                    password: text("123456"),
                    device: text("uuid"),
                    code: CodeArg::Right,
                    via: Via::Form,
                }
            } else if state.sends[i].iter().any(|&t| t > state.now - MINUTE) {
                Step::Wait { seconds: 61 }
            } else {
                Step::SendSms {
                    phone: PhoneArg::Pool(i),
                    expect: text(&purpose.to_string()),
                    via: Via::Form,
                }
            }
        })
        .collect();

    // The expect that fits the phone (sign-up for a free one, reset for a
    // registered one), or now and then the other.
    let fitting = move |(i, fits): (usize, bool)| -> u8 { u8::from(registered[i] == fits) };
    let send = (0..PHONES, prop::bool::weighted(0.85), via())
        .prop_map(move |(i, fits, via)| Step::SendSms {
            phone: PhoneArg::Pool(i),
            expect: Arg::Text(fitting((i, fits)).to_string()),
            via,
        })
        .boxed();
    // Sends in a row to one of `phones`, mostly with the expect that fits.
    let resend = move |phones: BoxedStrategy<usize>| {
        (phones, prop::bool::weighted(0.9), 2..=5u8)
            .prop_map(move |(i, fits, times)| Step::Resend {
                phone: i,
                expect: fitting((i, fits)),
                times,
            })
            .boxed()
    };
    let pool = |phones: &[usize]| one_of(phones).prop_map(PhoneArg::Pool).boxed();
    // A guess goes where the phone's code is: register while free, verify once registered.
    let guess = (one_of(&guessing), 0..100u32)
        .prop_flat_map(move |(i, roll)| {
            let dead = fresh_tries[i] >= max_tries;
            let code = if roll < if dead { 60 } else { 10 } {
                CodeArg::Right
            } else {
                CodeArg::Wrong
            };
            if registered[i] {
                Just(Step::VerifyCode {
                    phone: PhoneArg::Pool(i),
                    code,
                    peer: Peer::First,
                })
                .boxed()
            } else {
                (name_arg(), password_arg(), device_arg(), via())
                    .prop_map(move |(name, password, device, via)| Step::Register {
                        phone: PhoneArg::Pool(i),
                        name,
                        password,
                        device,
                        code: code.clone(),
                        via,
                    })
                    .boxed()
            }
        })
        .boxed();
    // Someone polling forget_password for a phone, mostly from the second
    // address and without a code, towards the 10 unverified attempts an hour.
    let poll = |phones: &[usize]| {
        (
            one_of(phones),
            reset_code_arg(6, 1, 2, 0),
            peer_arg(0.7),
            2..=6u8,
        )
            .prop_map(|(phone, code, peer, times)| Step::Poll {
                phone,
                code,
                peer,
                times,
            })
            .boxed()
    };
    let wait = |seconds: Vec<u32>| {
        select(seconds)
            .prop_map(|seconds| Step::Wait { seconds })
            .boxed()
    };

    let mut steps: Vec<(u32, BoxedStrategy<Step>)> = vec![
        (1, any_send_sms()),
        (4, send),
        (1, resend((0..PHONES).boxed())),
        (1, any_is_register()),
        (1, register(phone_arg(), verifying_code_arg(2, 2, 1, 1))),
        (1, verify(phone_arg(), verifying_code_arg(2, 2, 1, 1), 0.25)),
        (2, shared.login),
        (
            1,
            forget(
                shared.account_phone,
                reset_code_arg(4, 1, 1, 1),
                peer_arg(0.3),
            ),
        ),
        (3, wait(vec![61, 61, 61, 300, 600, lockout, 3600, 86_400])),
        (8, select(flow).boxed()),
    ];
    // Waits to either side of the edges that matter now: the minute between
    // sends, a code's 5 minutes, the reset window's 10 and the lockout's 15.
    if minute_blocked {
        steps.push((2, wait(vec![61, 59])));
    }
    let fresh_code = state.codes.iter().flatten().any(|code| {
        code.sent_at
            .is_some_and(|at| at + CODE_LIFETIME > state.now && !code.used)
    });
    if fresh_code {
        steps.push((1, wait(vec![300, 299])));
    }
    if !open_windows.is_empty() {
        steps.push((4, wait(vec![600, 599])));
        // The window from the other address (refused, and it stays open),
        // with or without its code, or from its owner with a code: the right
        // one or a wrong one (refused, and it stays open).
        let steal = (
            select(open_windows.clone()),
            reset_code_arg(3, 2, 1, 0),
            via(),
        )
            .prop_map(|((i, owner), code, via)| Step::ForgetPassword {
                phone: PhoneArg::Pool(i),
                password: Arg::Text(POLL_PASSWORD.to_owned()),
                code,
                via,
                peer: owner.other(),
            })
            .boxed();
        let with_code = (
            select(open_windows.clone()),
            password_arg(),
            reset_code_arg(0, 1, 2, 0),
            via(),
        )
            .prop_map(|((i, owner), password, code, via)| Step::ForgetPassword {
                phone: PhoneArg::Pool(i),
                password,
                code,
                via,
                peer: owner,
            })
            .boxed();
        steps.push((4, steal));
        steps.push((6, with_code));
    }
    if !registered_phones.is_empty() {
        steps.push((1, poll(&registered_phones)));
    }
    if !polled.is_empty() {
        steps.push((if near_reset_limit { 5 } else { 2 }, poll(&polled)));
    }
    // Phones whose 429 for unverified resets has just ended: try again.
    let freed = phones(&|i| state.reset_limited[i] && state.reset_wait(i).is_none());
    if !freed.is_empty() {
        steps.push((20, poll(&freed)));
    }
    // Waits to either side of the end of a 429 for unverified resets.
    let reset_waits: Vec<u32> = (0..PHONES)
        .filter_map(|i| state.reset_wait(i))
        .flat_map(either_side)
        .collect();
    if !reset_waits.is_empty() {
        steps.push((10, wait(reset_waits)));
    }
    // Waits to either side of the end of a dead code's lockout.
    let dead_waits: Vec<u32> = (0..PHONES)
        .flat_map(|i| [SIGN_UP, RESET].map(|purpose| state.dead_wait(i, purpose)))
        .flatten()
        .flat_map(either_side)
        .collect();
    if !dead_waits.is_empty() {
        steps.push((5, wait(dead_waits)));
    }
    if (0..PHONES).any(|i| state.lockout(i).is_some()) {
        steps.push((1, wait(vec![lockout, lockout.saturating_sub(1)])));
    }
    if !busy.is_empty() {
        steps.push((3, resend(select(busy).boxed())));
        steps.push((1, wait(vec![3600])));
    }
    if !failing.is_empty() {
        let brute_force = (select(failing), password_arg(), device_arg(), via())
            .prop_map(|(i, password, device, via)| Step::Login {
                phone: PhoneArg::Pool(i),
                password,
                device,
                via,
            })
            .boxed();
        steps.push((if near_lockout { 10 } else { 3 }, brute_force));
    }
    if !signing_up.is_empty() {
        steps.push((
            5,
            register(pool(&signing_up), verifying_code_arg(5, 2, 1, 0)),
        ));
    }
    if !resetting.is_empty() {
        steps.push((
            5,
            verify(pool(&resetting), verifying_code_arg(5, 2, 1, 2), 0.4),
        ));
    }
    if !guessing.is_empty() {
        steps.push((if dying { 60 } else { 4 }, guess));
    }
    if !with_window.is_empty() {
        steps.push((
            4,
            forget(
                pool(&with_window),
                reset_code_arg(6, 2, 1, 1),
                peer_arg(0.2),
            ),
        ));
    }
    draw(steps, shared.sessions, true)
}

/// Waits to either side of the end of `wait`: its `Retry-After` seconds and
/// one second less (at least one).
fn either_side(wait: Ms) -> [u32; 2] {
    let seconds = u32::try_from(retry_seconds(wait)).unwrap_or(u32::MAX);
    [seconds, seconds.saturating_sub(1).max(1)]
}
