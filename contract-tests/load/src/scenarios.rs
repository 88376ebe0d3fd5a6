//! The scenarios: each load's requests and sample requests, built from
//! the seeded users ([`crate::seed`]) so that every expected answer of one
//! load has the same body size ([`crate::measured`]), and running them with
//! the server's memory read from `/proc`.

use std::{
    fs,
    path::{Path, PathBuf},
    thread,
    time::Duration,
};

use contract_tests::http::Client;

use crate::{
    idle::IdleConnections,
    measured::{Answer, Measured, Sample, sample},
    oha::{Load, Oha, Outcome, Target},
    seed::{
        BASE, FORM, FRESH_PHONE_REGEX, get, login_body, post_form, register_query,
        registered_phone, reset_query, sample_phone, unregistered_phone,
    },
    server::{self, RssSampler},
};

/// The server's memory with the idle connections of the last scenario open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdleMemory {
    /// Idle keep-alive connections opened.
    pub connections: usize,
    /// `VmRSS` just before they were opened, in KiB.
    pub rss_before_kib: u64,
    /// `VmRSS` with all of them open and idle, in KiB.
    pub rss_idle_kib: u64,
    /// How many the server still held after the load beside them.
    pub still_open: usize,
}

impl IdleMemory {
    /// `VmRSS` with them open, in MiB.
    pub fn rss_idle_mib(&self) -> f64 {
        self.rss_idle_kib as f64 / 1024.0
    }

    /// `VmRSS` before, in MiB.
    pub fn rss_before_mib(&self) -> f64 {
        self.rss_before_kib as f64 / 1024.0
    }

    /// What each connection added, in KiB.
    pub fn kib_per_connection(&self) -> f64 {
        self.rss_idle_kib.saturating_sub(self.rss_before_kib) as f64
            / self.connections.max(1) as f64
    }
}

/// The settings of a run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How long each measured load runs.
    pub duration: Duration,
    /// Users seeded.
    pub users: u32,
    /// Connections of `livez` and `isregister` (alone and alongside the flood).
    pub connections: usize,
    /// Connections of `login`, `register` and the login flood.
    pub login_connections: usize,
    /// Concurrent logins of the memory scenario.
    pub burst: usize,
    /// Idle keep-alive connections held open during the last scenario.
    pub idle_connections: usize,
}

/// The server's default lockout: this many logins of one phone still being
/// verified (or wrong) lock its login, so a further one is refused.
const LOGIN_MAX_FAILURES: usize = 5;

/// Seeded users per login in flight below which some phone is likely to
/// have more than [`LOGIN_MAX_FAILURES`] logins in flight at once.
const USERS_PER_LOGIN_IN_FLIGHT: usize = 3;

impl Plan {
    /// A warning when there are too few users for the logins in flight: each
    /// login picks a user at random, and the server counts the logins of one
    /// phone still being verified towards its lockout, so with few users some
    /// phone has more than five in flight and the next one is refused (code
    /// 429, an error of the run). `None` when the users are enough.
    pub fn crowded_logins(&self) -> Option<String> {
        let in_flight = self.login_connections.max(self.burst);
        let users = usize::try_from(self.users).unwrap_or(usize::MAX);
        (users < USERS_PER_LOGIN_IN_FLIGHT * in_flight).then(|| {
            format!(
                "warning: {users} users for up to {in_flight} logins at once: some phone will \
                 likely have more than {LOGIN_MAX_FAILURES} logins in flight, which the server's \
                 lockout refuses (errors in the login loads); use --users {} or more",
                USERS_PER_LOGIN_IN_FLIGHT * in_flight
            )
        })
    }
}

/// Runs every scenario against the server at `base_url` (process `pid`).
pub struct Runner<'a> {
    /// The load generator.
    pub oha: &'a Oha,
    /// The harness's own client, for samples.
    pub client: &'a Client,
    /// `http://127.0.0.1:<port>`.
    pub base_url: &'a str,
    /// The server's process id.
    pub pid: u32,
    /// Where request files are written.
    pub work_dir: &'a Path,
    /// The settings.
    pub plan: &'a Plan,
}

/// A load with its sample requests, before it runs.
struct Prepared {
    key: &'static str,
    description: String,
    load: Load,
    sample: Sample,
}

impl Runner<'_> {
    /// The seven scenarios in order; the fifth gives two rows.
    pub fn run_all(&self) -> Result<(Vec<Measured>, IdleMemory), String> {
        let mut rows = Vec::new();
        eprintln!("warming up (livez and isregister, 2 s each, not recorded)");
        for prepared in [self.livez()?, self.isregister("")?] {
            let mut load = prepared.load;
            load.duration = Duration::from_secs(2);
            self.oha.start(&load)?.finish()?;
        }

        rows.extend(self.measure(vec![self.livez()?])?);
        rows.extend(self.measure(vec![self.isregister("")?])?);
        rows.extend(self.measure(vec![self.login("", self.plan.login_connections)?])?);
        rows.extend(self.measure(vec![self.register()?])?);
        rows.extend(self.measure(vec![
            self.login("+isregister", self.plan.login_connections)?,
            self.isregister("+flood")?,
        ])?);
        rows.extend(self.measure(vec![self.login("-burst", self.plan.burst)?])?);
        let (row, idle) = self.beside_idle_connections()?;
        rows.push(row);
        Ok((rows, idle))
    }

    /// The operations that publish account events, run at once: `register`
    /// of fresh phones, `login` and `forget_password` over the seeded users,
    /// each with [`Plan::login_connections`], after a warm-up of the same
    /// loads (up to 2 s, not recorded). The webhook benchmark's mix.
    pub fn publishing_events(&self) -> Result<Vec<Measured>, String> {
        let connections = self.plan.login_connections;
        let loads = vec![
            self.register()?,
            self.login("", connections)?,
            self.forget_password(connections)?,
        ];
        let warm_up = self.plan.duration.min(Duration::from_secs(2));
        eprintln!(
            "warming up (register, login and forget_password, {} s, not recorded)",
            warm_up.as_secs_f64()
        );
        let running = loads
            .iter()
            .map(|prepared| {
                let mut load = prepared.load.clone();
                load.duration = warm_up;
                self.oha.start(&load)
            })
            .collect::<Result<Vec<_>, _>>()?;
        for run in running {
            run.finish()?;
        }
        self.measure(loads)
    }

    /// `isregister` again with [`Plan::idle_connections`] idle keep-alive
    /// connections open, and the server's memory with them.
    fn beside_idle_connections(&self) -> Result<(Measured, IdleMemory), String> {
        let address = self
            .base_url
            .strip_prefix("http://")
            .and_then(|address| address.parse().ok())
            .ok_or_else(|| format!("not an http://address:port URL: {}", self.base_url))?;
        let rss = || server::status_kib(self.pid, "VmRSS").unwrap_or(0);
        let rss_before_kib = rss();
        eprintln!(
            "opening {} idle keep-alive connections",
            self.plan.idle_connections
        );
        let idle = IdleConnections::open(address, self.plan.idle_connections)?;
        // Let the server settle on them before reading its memory.
        thread::sleep(Duration::from_secs(1));
        let rss_idle_kib = rss();
        let mut prepared = self.isregister("+idle")?;
        prepared.description = format!(
            "{} beside {} idle keep-alive connections",
            prepared.description,
            idle.len()
        );
        let row = self.measure(vec![prepared])?.remove(0);
        let still_open = idle.still_open();
        Ok((
            row,
            IdleMemory {
                connections: idle.len(),
                rss_before_kib,
                rss_idle_kib,
                still_open,
            },
        ))
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base_url)
    }

    fn load(&self, target: Target, connections: usize) -> Load {
        Load {
            target,
            connections,
            duration: self.plan.duration,
            method: None,
            content_type: None,
            body_lines: None,
            headers: Vec::new(),
        }
    }

    fn livez(&self) -> Result<Prepared, String> {
        let request = get("/livez".into());
        let sample = sample(self.client, &vec![(request, Answer::Live); 4])?;
        Ok(Prepared {
            key: "livez",
            description: "GET /livez: the framework's ceiling (no database)".into(),
            load: self.load(Target::Url(self.url("/livez")), self.plan.connections),
            sample,
        })
    }

    /// Random phones, half registered (asked with expect=1), half not (expect=0).
    fn isregister(&self, suffix: &'static str) -> Result<Prepared, String> {
        let path = |phone: &str, expect: u8| format!("{BASE}/isregister/{phone}?expect={expect}");
        let mut urls = String::new();
        let mut requests = Vec::new();
        for index in 0..self.plan.users {
            let registered = path(&registered_phone(index), 1);
            let unregistered = path(&unregistered_phone(index), 0);
            urls.push_str(&format!(
                "{}\n{}\n",
                self.url(&registered),
                self.url(&unregistered)
            ));
            if index % (self.plan.users / 4).max(1) == 0 {
                requests.push((get(registered), Answer::Code(200)));
                requests.push((get(unregistered), Answer::Code(200)));
            }
        }
        let file = self.write("isregister-urls.txt", &urls)?;
        Ok(Prepared {
            key: match suffix {
                "" => "isregister",
                "+flood" => "isregister+flood",
                _ => "isregister+idle",
            },
            description: format!(
                "GET /isregister/{{phone}} for {} registered and {} unregistered phones at random",
                self.plan.users, self.plan.users
            ),
            load: self.load(Target::UrlsFile(file), self.plan.connections),
            sample: sample(self.client, &requests)?,
        })
    }

    /// Correct passwords of the seeded users, at random.
    fn login(&self, suffix: &'static str, connections: usize) -> Result<Prepared, String> {
        let bodies: Vec<String> = (0..self.plan.users)
            .map(|index| login_body(&registered_phone(index)))
            .collect();
        let file = self.write("login-bodies.txt", &(bodies.join("\n") + "\n"))?;
        let requests: Vec<_> = bodies
            .iter()
            .step_by((bodies.len() / 4).max(1))
            .map(|body| {
                (
                    post_form(&format!("{BASE}/login"), body.clone()),
                    Answer::Code(200),
                )
            })
            .collect();
        let mut load = self.load(Target::Url(self.url(&format!("{BASE}/login"))), connections);
        load.method = Some("POST");
        load.content_type = Some(FORM);
        load.body_lines = Some(file);
        Ok(Prepared {
            key: match suffix {
                "" => "login",
                "+isregister" => "login+isregister",
                _ => "login-burst",
            },
            description: format!(
                "POST /login (form) with the correct password of one of {} users at random",
                self.plan.users
            ),
            load,
            sample: sample(self.client, &requests)?,
        })
    }

    /// The seeded users' passwords reset to the same one (SMS verification
    /// is off, so no code is needed; later logins still succeed), at random.
    fn forget_password(&self, connections: usize) -> Result<Prepared, String> {
        let mut urls = String::new();
        let mut requests = Vec::new();
        for index in 0..self.plan.users {
            let path = format!(
                "{BASE}/forget_password?{}",
                reset_query(&registered_phone(index))
            );
            urls.push_str(&format!("{}\n", self.url(&path)));
            if index % (self.plan.users / 4).max(1) == 0 {
                requests.push((get(path), Answer::Code(200)));
            }
        }
        let file = self.write("forget-password-urls.txt", &urls)?;
        Ok(Prepared {
            key: "forget_password",
            description: format!(
                "GET /forget_password (verification off) of one of {} users at random, to the \
                 same password",
                self.plan.users
            ),
            load: self.load(Target::UrlsFile(file), connections),
            sample: sample(self.client, &requests)?,
        })
    }

    /// Fresh random phones (`1[5-9]` and 9 digits: a repeat is ~1 in 10⁴ per run).
    fn register(&self) -> Result<Prepared, String> {
        let requests: Vec<_> = (0..4)
            .map(|index| {
                let query = register_query(&sample_phone(index));
                (get(format!("{BASE}/register?{query}")), Answer::Code(200))
            })
            .collect();
        let pattern = format!(
            "{}\\?{}",
            self.url(&format!("{BASE}/register")),
            register_query(FRESH_PHONE_REGEX)
        );
        Ok(Prepared {
            key: "register",
            description: "GET /register (the original's form) of fresh random phones".into(),
            load: self.load(Target::RandRegex(pattern), self.plan.login_connections),
            sample: sample(self.client, &requests)?,
        })
    }

    /// Runs `loads` together — the first one second longer on each side, so
    /// the others run entirely inside it — and measures the server's memory.
    fn measure(&self, loads: Vec<Prepared>) -> Result<Vec<Measured>, String> {
        let keys: Vec<&str> = loads.iter().map(|p| p.key).collect();
        eprintln!(
            "running {} for {} s",
            keys.join(" with "),
            self.plan.duration.as_secs_f64()
        );
        let hwm_reset = server::reset_peak_rss(self.pid);
        let sampler = RssSampler::start(self.pid, Duration::from_millis(50));
        let margin = Duration::from_secs(1);
        let mut running = Vec::new();
        for (position, prepared) in loads.iter().enumerate() {
            let mut load = prepared.load.clone();
            if position == 0 && loads.len() > 1 {
                load.duration += margin * 2;
            }
            if position == 1 {
                thread::sleep(margin);
            }
            running.push(self.oha.start(&load)?);
        }
        let outcomes: Vec<Outcome> = running
            .into_iter()
            .map(|run| run.finish())
            .collect::<Result<_, _>>()?;
        let sampled = sampler.finish();
        let peak = match server::status_kib(self.pid, "VmHWM") {
            Some(hwm) if hwm_reset => hwm.max(sampled),
            _ => sampled,
        };
        Ok(loads
            .into_iter()
            .zip(outcomes)
            .map(|(prepared, outcome)| Measured {
                key: prepared.key.to_owned(),
                description: prepared.description,
                connections: prepared.load.connections,
                outcome,
                sample: prepared.sample,
                peak_rss_kib: peak,
                sampled_rss_kib: sampled,
            })
            .collect())
    }

    fn write(&self, name: &str, text: &str) -> Result<PathBuf, String> {
        let path = self.work_dir.join(name);
        fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(users: u32, login_connections: usize, burst: usize) -> Plan {
        Plan {
            duration: Duration::from_secs(1),
            users,
            connections: 64,
            login_connections,
            burst,
            idle_connections: 10_000,
        }
    }

    #[test]
    fn too_few_users_for_the_logins_in_flight_are_warned_of() {
        assert_eq!(plan(2000, 64, 512).crowded_logins(), None, "the defaults");
        assert_eq!(plan(200, 64, 64).crowded_logins(), None);
        let warning = plan(50, 64, 64).crowded_logins().expect("a warning");
        assert!(warning.contains("--users 192"), "{warning}");
        assert!(
            plan(1000, 16, 512).crowded_logins().is_some(),
            "the burst counts"
        );
    }
}
