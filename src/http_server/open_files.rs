//! The open-file limit: every connection is a file descriptor, so the
//! server raises its soft limit to the hard one at start-up, and says when
//! even that is below what `--max-connections` asks for.

/// Descriptors the server needs besides connections: the listener, the
/// database pool, log and key files, the hashing threads' channels.
const BESIDES_CONNECTIONS: u64 = 64;

/// What [`raise_open_file_limit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFileLimit {
    /// The soft limit found at start-up.
    pub before: u64,
    /// The soft limit now.
    pub now: u64,
    /// The hard limit, which only the operating system's configuration raises.
    pub hard: u64,
}

/// Raises the soft open-file limit to the hard limit, logging what it did,
/// and warns when the result cannot hold `max_connections` connections.
#[cfg(unix)]
pub fn raise_open_file_limit(max_connections: u32) -> Option<OpenFileLimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the current limits into `limit`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        tracing::warn!(
            error = %std::io::Error::last_os_error(),
            "cannot read the open-file limit"
        );
        return None;
    }
    let before = limit.rlim_cur;
    let hard = limit.rlim_max;
    let mut now = before;
    if before < hard {
        let raised = libc::rlimit {
            rlim_cur: hard,
            rlim_max: hard,
        };
        // SAFETY: setrlimit only reads `raised`; raising the soft limit up
        // to the hard one needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            now = hard;
            tracing::info!(before, now, "raised the open-file limit to the hard limit");
        } else {
            tracing::warn!(
                error = %std::io::Error::last_os_error(),
                before,
                hard,
                "cannot raise the open-file limit"
            );
        }
    }
    let needed = u64::from(max_connections) + BESIDES_CONNECTIONS;
    if now < needed {
        tracing::warn!(
            open_file_limit = now,
            max_connections,
            "the open-file limit ({now}) cannot hold --max-connections {max_connections} \
             (it needs about {needed}): connections beyond about {} fail to be accepted; \
             raise the hard limit (ulimit -Hn, LimitNOFILE= in systemd) or lower \
             --max-connections",
            now.saturating_sub(BESIDES_CONNECTIONS)
        );
    }
    Some(OpenFileLimit { before, now, hard })
}

/// The open-file limit is a Unix notion.
#[cfg(not(unix))]
pub fn raise_open_file_limit(_max_connections: u32) -> Option<OpenFileLimit> {
    None
}
