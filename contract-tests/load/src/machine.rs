//! The machine a run is on, from `/proc`: its CPU, cores, memory and kernel,
//! and the other work on it.

/// The 1-minute load average, from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// CPU model, cores, memory and kernel, from `/proc`.
pub fn machine(cores: usize) -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim())
        .to_owned();
    let memory_gib = read("/proc/meminfo")
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().strip_suffix("kB")?.trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0 / 1024.0);
    let kernel = read("/proc/sys/kernel/osrelease");
    let mut text = format!("{model}, {cores} cores");
    if let Some(gib) = memory_gib {
        text.push_str(&format!(", {gib:.0} GiB RAM"));
    }
    if !kernel.trim().is_empty() {
        text.push_str(&format!(", Linux {}", kernel.trim()));
    }
    text
}
