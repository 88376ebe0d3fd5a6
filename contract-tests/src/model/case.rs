//! One case against the deployment: its phones and client addresses, what
//! it learnt from the answers (codes, user ids, tokens), and taking a step.

use std::{
    collections::{HashSet, hash_map::RandomState},
    hash::{BuildHasher, Hasher},
    net::{IpAddr, Ipv4Addr},
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
};

use super::{
    deployment::Deployment,
    expected::Expected,
    limits::{DAY, Ms, PHONES, POLL_EVERY, RESEND_EVERY, SECOND, TICK},
    requests::{Paths, poll_attempt},
    state::Setup,
    steps::{Arg, Peer, PhoneArg, Step, Via},
};
use crate::http::Client;

/// The deployment as one case sees it, and what the case has learnt from it.
pub(super) struct Case<'a> {
    pub(super) deployment: &'a dyn Deployment,
    pub(super) setup: Setup,
    /// The case's first client address (every request but some resets).
    pub(super) client: Client,
    /// The second client address, where the deployment has one; its
    /// client is made when a step first needs it (a client costs a thread).
    pub(super) second: Option<IpAddr>,
    second_client: OnceLock<Client>,
    pub(super) phones: [String; PHONES],
    /// The codes the deployment sent, by phone and purpose, oldest first.
    pub(super) codes: [[Vec<String>; 2]; PHONES],
    /// How many codes the deployment had sent in all after the last step
    /// (where it shows its codes).
    pub(super) codes_sent: Option<usize>,
    /// The user id each pool phone registered with.
    pub(super) user_ids: [Option<String>; PHONES],
    /// Tokens by session, in the order the model counts them.
    pub(super) tokens: Vec<String>,
    pub(super) seen_tokens: HashSet<String>,
    /// Every exchange of the case, for the failure message.
    pub(super) log: Vec<String>,
}

impl<'a> Case<'a> {
    /// A new case: phones of its own, and fresh client addresses where the
    /// deployment is reached over loopback; where the model moves its clock,
    /// a day after the last case, so that no limit window of an earlier case
    /// (the per-address ones included) reaches into this one.
    pub(super) fn start(deployment: &'a dyn Deployment, setup: Setup) -> Result<Self, String> {
        let capabilities = deployment.capabilities();
        let base_url = deployment.base_url();
        let (client, second) = if capabilities.loopback {
            let [first, other] = next_addresses();
            let second = setup.second_address.then_some(other);
            (Client::bound_to(base_url, first)?, second)
        } else {
            (Client::new(base_url)?, None)
        };
        if setup.clocked {
            deployment.advance(DAY)?;
        }
        let block = next_phone_block();
        Ok(Self {
            deployment,
            setup,
            client,
            second,
            second_client: OnceLock::new(),
            phones: std::array::from_fn(|i| format!("10{:09}", (block + i as u64) % 1_000_000_000)),
            codes: Default::default(),
            codes_sent: None,
            user_ids: Default::default(),
            tokens: Vec::new(),
            seen_tokens: HashSet::new(),
            log: Vec::new(),
        })
    }

    /// The client that sends `step`'s request: from the step's address.
    pub(super) fn client_for(&self, step: &Step) -> Result<&Client, String> {
        match step {
            Step::VerifyCode {
                peer: Peer::Second, ..
            }
            | Step::ForgetPassword {
                peer: Peer::Second, ..
            } => {
                let address = self
                    .second
                    .ok_or_else(|| format!("{step:?} needs a second client address"))?;
                if let Some(client) = self.second_client.get() {
                    return Ok(client);
                }
                let client = Client::bound_to(self.deployment.base_url(), address)?;
                Ok(self.second_client.get_or_init(|| client))
            }
            _ => Ok(&self.client),
        }
    }

    /// Takes `step` (its requests, or the time passing) and compares each
    /// answer with the model's; `Err` says how one differs.
    pub(super) fn take(&mut self, step: &Step, expected: &Expected) -> Result<(), String> {
        match (step, expected) {
            (Step::Wait { seconds }, Expected::Waited) => {
                self.advance(Ms::from(*seconds) * SECOND)?;
                self.log
                    .push(format!("{step:?}\n  (the server's clock moved on)"));
                Ok(())
            }
            (
                Step::Resend {
                    phone,
                    expect,
                    times,
                },
                Expected::Each(answers),
            ) if answers.len() == usize::from(*times) => {
                let send = Step::SendSms {
                    phone: PhoneArg::Pool(*phone),
                    expect: Arg::Text(expect.to_string()),
                    via: Via::Form,
                };
                self.repeat(&send, answers, "resend", RESEND_EVERY)
            }
            (
                Step::Poll {
                    phone,
                    code,
                    peer,
                    times,
                },
                Expected::Each(answers),
            ) if answers.len() == usize::from(*times) => {
                let attempt = poll_attempt(*phone, code, *peer);
                self.repeat(&attempt, answers, "poll", POLL_EVERY)
            }
            (Step::Wait { .. } | Step::Resend { .. } | Step::Poll { .. }, _)
            | (_, Expected::Each(_) | Expected::Waited) => {
                Err(format!("the model answered {expected:?} to {step:?}"))
            }
            _ => {
                self.advance(TICK)?;
                self.check(step, expected)
            }
        }
    }

    /// `step` once per answer of `answers`, the clock moving `every` after each.
    fn repeat(
        &mut self,
        step: &Step,
        answers: &[Expected],
        what: &str,
        every: Ms,
    ) -> Result<(), String> {
        for (k, answer) in answers.iter().enumerate() {
            self.advance(TICK)?;
            let checked = self.check(step, answer);
            if let Some(entry) = self.log.last_mut() {
                entry.insert_str(0, &format!("({what} {} of {}) ", k + 1, answers.len()));
            }
            checked?;
            self.advance(every)?;
        }
        Ok(())
    }

    /// Moves the deployment's clock as the model's moves (where it does).
    fn advance(&self, millis: Ms) -> Result<(), String> {
        if self.setup.clocked {
            self.deployment.advance(millis)?;
        }
        Ok(())
    }

    /// Sends one request and compares the answer with `expected`; `Err` says how it differs.
    fn check(&mut self, step: &Step, expected: &Expected) -> Result<(), String> {
        let request = self.request(step);
        let reads_codes = self.deployment.capabilities().codes;
        if reads_codes && self.codes_sent.is_none() {
            self.codes_sent = Some(self.deployment.codes_sent()?);
        }
        let response = self.client_for(step)?.send(&request)?;
        // Every answer keeps the document's promises, besides the model's.
        let operation = Paths::get().operation_of(&request);
        let broken = Paths::get()
            .contract
            .check(&operation, &Ok(response.clone()));
        let outcome = if broken.is_empty() {
            self.compare(step, expected, &response).and_then(|()| {
                if reads_codes {
                    self.check_sender(step, expected)
                } else {
                    Ok(())
                }
            })
        } else {
            let listed: Vec<String> = broken.iter().map(|v| format!("\n  * {v}")).collect();
            Err(format!(
                "the answer breaks the document:{}",
                listed.concat()
            ))
        };
        self.log.push(format!(
            "{step:?}\n  model:  {expected:?}\n  server: {}",
            String::from_utf8_lossy(&response.body)
        ));
        outcome.map_err(|why| format!("{why}\n--- request\n{request}\n--- response\n{response}"))
    }
}

/// A random number per process, so that runs against one deployment do not
/// meet each other's phones and addresses.
fn process_start(modulo: u64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    hasher.finish() % modulo
}

/// Where the case's phones start: random per process, then one block per case.
fn next_phone_block() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: OnceLock<u64> = OnceLock::new();
    let start = *START.get_or_init(|| process_start(900_000_000));
    start + NEXT.fetch_add(PHONES as u64, Ordering::SeqCst)
}

/// Two loopback addresses no earlier case of the process used, outside
/// 127.0.0.0/16 (which other clients on the machine use): on Linux all of
/// 127.0.0.0/8 reaches a server listening on 127.0.0.1.
fn next_addresses() -> [IpAddr; 2] {
    // 127.x.y.z with x in 1..=254, y in 0..=255, z in 1..=254.
    const SPACE: u64 = 254 * 256 * 254;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: OnceLock<u64> = OnceLock::new();
    let start = *START.get_or_init(|| process_start(SPACE));
    let n = start + NEXT.fetch_add(2, Ordering::SeqCst);
    [n, n + 1].map(|k| {
        let k = k % SPACE;
        let octet = |value: u64| u8::try_from(value).unwrap_or(u8::MAX);
        IpAddr::V4(Ipv4Addr::new(
            127,
            octet(k / (256 * 254) + 1),
            octet(k / 254 % 256),
            octet(k % 254 + 1),
        ))
    })
}
